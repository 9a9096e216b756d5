import { z } from 'zod';
import { loadConfig } from '../config.js';

/** What `scripts/hms test` exports for the test processes (see scripts/lib/env.sh). */
const testEnvSchema = z.object({
  HMS_PG_ADMIN_URL: z.string().min(1).describe('Administrator URL of the test database'),
  HMS_PG_PORT: z.coerce.number().int().describe('Port of the test PostgreSQL'),
  HMS_KAFKA_BROKERS: z.string().min(1).describe('Bootstrap brokers of the test Kafka'),
  HMS_REDIS_URL: z.string().min(1).describe('URL of the test Redis'),
  HMS_NGINX_PORT: z.coerce.number().int().optional().describe('Port of nginx in front of the gateways'),
  HMS_GATEWAY_OPS_PORTS: z.string().optional().describe('Space-separated ops ports of the gateway processes'),
  HMS_JWT_SECRET: z.string().min(1).optional().describe('Secret the gateways verify development tokens with'),
  HMS_API_KEY_SECRET: z.string().min(1).optional().describe("Key of the gateways' API key HMAC (hex)"),
  HMS_ACCESS_TOKEN_PRIVATE_KEY: z.string().min(1).optional().describe('Key the gateways sign access tokens with'),
  HMS_DB_PASSWORD_APPOINTMENTS: z.string().min(1),
  HMS_DB_PASSWORD_BILLING: z.string().min(1),
  HMS_DB_PASSWORD_QUEUE: z.string().min(1),
  HMS_DB_PASSWORD_AUDIT: z.string().min(1),
  HMS_DB_PASSWORD_GATEWAY: z.string().min(1),
  HMS_DB_PASSWORD_APPOINTMENTS_OWNER: z.string().min(1),
  HMS_DB_PASSWORD_BILLING_OWNER: z.string().min(1),
  HMS_DB_PASSWORD_QUEUE_OWNER: z.string().min(1),
  HMS_DB_PASSWORD_AUDIT_OWNER: z.string().min(1),
  HMS_DB_PASSWORD_GATEWAY_OWNER: z.string().min(1),
  HMS_DB_PASSWORD_AUDIT_ANCHOR: z.string().min(1).describe('Password of hms_audit_anchor, which writes checkpoints'),
  HMS_AUDIT_CHAIN_KEY: z.string().min(1).describe("Key of the audit trail's HMAC chain (hex)"),
  HMS_AUDIT_ANCHOR_KEY: z.string().min(1).describe("Key the audit trail's checkpoints are signed with (hex)"),
});

export type TestEnv = z.infer<typeof testEnvSchema>;

let cached: TestEnv | undefined;

export function testEnv(): TestEnv {
  cached ??= loadConfig(testEnvSchema, process.env);
  return cached;
}

const ROLES = {
  appointments: 'HMS_DB_PASSWORD_APPOINTMENTS',
  billing: 'HMS_DB_PASSWORD_BILLING',
  queue: 'HMS_DB_PASSWORD_QUEUE',
  audit: 'HMS_DB_PASSWORD_AUDIT',
  gateway: 'HMS_DB_PASSWORD_GATEWAY',
} as const;

/** The DATABASE_URL a service uses: its runtime role, on the test database. */
export function serviceDatabaseUrl(service: keyof typeof ROLES): string {
  const env = testEnv();
  const url = new URL(env.HMS_PG_ADMIN_URL);
  url.username = `hms_${service}`;
  url.password = env[ROLES[service]];
  return url.toString();
}

/** The URL of the service schema's owner: what migrations (and tests that inspect the schema) use. */
export function ownerDatabaseUrl(service: keyof typeof ROLES): string {
  const env = testEnv();
  const url = new URL(env.HMS_PG_ADMIN_URL);
  url.username = `hms_${service}_owner`;
  url.password = env[`${ROLES[service]}_OWNER`];
  return url.toString();
}

/** The URL of audit's anchor role, the one login that may add checkpoints. */
export function anchorDatabaseUrl(): string {
  const env = testEnv();
  const url = new URL(env.HMS_PG_ADMIN_URL);
  url.username = 'hms_audit_anchor';
  url.password = env.HMS_DB_PASSWORD_AUDIT_ANCHOR;
  return url.toString();
}
