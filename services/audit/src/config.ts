/** The audit service's environment: every key it reads, documented, checked at start. */
import {
  baseConfigShape,
  configTypes,
  databaseConfigShape,
  grpcServerConfigShape,
  kafkaConfigShape,
} from '@hms/platform';
import { z } from 'zod';
import { keyring, MIN_KEY_BYTES, type TrailKeys } from './domain/keyring.js';

// Audit writes no events, so it has no outbox relay to tune.
const { OUTBOX_POLL_INTERVAL_MS: _noOutbox, ...kafkaShape } = kafkaConfigShape();

const hexKey = () =>
  z
    .string()
    .regex(new RegExp(`^([0-9a-fA-F]{2}){${MIN_KEY_BYTES},}$`), `must be at least ${MIN_KEY_BYTES} bytes in hex`)
    .transform((hex) => Buffer.from(hex, 'hex'));
const hexKeys = () =>
  z
    .string()
    .default('')
    .transform((value) => value.split(',').map((item) => item.trim()))
    .transform((items) => items.filter(Boolean))
    .pipe(z.array(hexKey()));

/** The trail's keys: what the service, and whatever else verifies the trail, must be given. */
export function trailKeyShape() {
  return {
    AUDIT_CHAIN_KEY: hexKey().describe(
      'Secret key (hex, 32+ bytes) of the HMAC chaining every audit record; never stored in the database',
    ),
    AUDIT_CHAIN_RETIRED_KEYS: hexKeys().describe(
      'Comma-separated earlier chain keys, still needed to verify the records they sealed (key rotation)',
    ),
    AUDIT_ANCHOR_KEY: hexKey().describe(
      'Secret key (hex, 32+ bytes, not the chain key) that signs the checkpoints of every chain',
    ),
    AUDIT_ANCHOR_RETIRED_KEYS: hexKeys().describe(
      'Comma-separated earlier anchor keys, still needed to verify the checkpoints they signed',
    ),
  };
}

/** Keyrings from the keys of trailKeyShape(). */
export function trailKeys(config: {
  AUDIT_CHAIN_KEY: Buffer;
  AUDIT_CHAIN_RETIRED_KEYS: Buffer[];
  AUDIT_ANCHOR_KEY: Buffer;
  AUDIT_ANCHOR_RETIRED_KEYS: Buffer[];
}): TrailKeys {
  if (config.AUDIT_CHAIN_KEY.equals(config.AUDIT_ANCHOR_KEY)) {
    // Checked here too, for callers that build keys without the schema below.
    throw new Error('AUDIT_ANCHOR_KEY must differ from AUDIT_CHAIN_KEY');
  }
  return {
    chain: keyring(config.AUDIT_CHAIN_KEY, config.AUDIT_CHAIN_RETIRED_KEYS),
    anchor: keyring(config.AUDIT_ANCHOR_KEY, config.AUDIT_ANCHOR_RETIRED_KEYS),
  };
}

export const configSchema = z
  .object({
    ...baseConfigShape({ opsPort: 9106 }),
    ...databaseConfigShape(),
    ...kafkaShape,
    ...grpcServerConfigShape({ port: 50054 }),
    PARTITION_MAINTENANCE_INTERVAL_MS: configTypes
      .positiveInt()
      .max(2_147_483_647)
      .default(24 * 60 * 60_000)
      .describe("How often audit_log's monthly partitions are checked and created ahead, in ms (also at start)"),
    ANCHOR_DATABASE_URL: configTypes
      .url(['postgres', 'postgresql'])
      .describe('PostgreSQL URL of the anchor role (hms_audit_anchor), the only login that may add checkpoints'),
    ...trailKeyShape(),
    AUDIT_ANCHOR_INTERVAL_MS: configTypes
      .positiveInt()
      .max(2_147_483_647)
      .default(5 * 60_000)
      .describe(
        'How often every chain that grew gets a signed checkpoint, in ms: records newer than this can still be cut off the end unnoticed by someone who may delete rows',
      ),
    AUDIT_VERIFY_INTERVAL_MS: configTypes
      .positiveInt()
      .max(2_147_483_647)
      .default(60 * 60_000)
      .describe('How often every trail is verified from its first record (one replica at a time), in ms'),
    AUDIT_VERIFY_MAX_RECORDS: configTypes
      .positiveInt()
      .default(100_000)
      .describe(
        "Most records one VerifyTrail call may check; a larger window is refused (narrow it). 100 000 took 2.6 to 7 s here (bench/audit-verify.ts), inside the gateway's 20 s verify deadline",
      ),
  })
  // Runs even when a key failed its own check (then it has nothing to compare, and says nothing).
  .refine(
    (c) =>
      !(Buffer.isBuffer(c.AUDIT_CHAIN_KEY) && Buffer.isBuffer(c.AUDIT_ANCHOR_KEY)) ||
      !c.AUDIT_CHAIN_KEY.equals(c.AUDIT_ANCHOR_KEY),
    {
      path: ['AUDIT_ANCHOR_KEY'],
      message: 'must differ from AUDIT_CHAIN_KEY: holding one key must not be enough to forge what the other seals',
    },
  );

export type Config = z.infer<typeof configSchema>;
