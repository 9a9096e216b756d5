/** The audit service's environment: every key it reads, documented, checked at start. */
import {
  baseConfigShape,
  configTypes,
  databaseConfigShape,
  grpcServerConfigShape,
  kafkaConfigShape,
} from '@hms/platform';
import { z } from 'zod';

// Audit writes no events, so it has no outbox relay to tune.
const { OUTBOX_POLL_INTERVAL_MS: _noOutbox, ...kafkaShape } = kafkaConfigShape();

export const configSchema = z.object({
  ...baseConfigShape({ opsPort: 9106 }),
  ...databaseConfigShape(),
  ...kafkaShape,
  ...grpcServerConfigShape({ port: 50054 }),
  PARTITION_MAINTENANCE_INTERVAL_MS: configTypes
    .positiveInt()
    .max(2_147_483_647)
    .default(24 * 60 * 60_000)
    .describe("How often audit_log's monthly partitions are checked and created ahead, in ms (also at start)"),
});

export type Config = z.infer<typeof configSchema>;
