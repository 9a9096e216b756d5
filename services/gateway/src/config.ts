/** The gateway's environment: every key it reads, documented, checked at start. */
import {
  baseConfigShape,
  configTypes,
  databaseConfigShape,
  internalTokenSignerConfigShape,
  kafkaConfigShape,
} from '@hms/platform';
import { z } from 'zod';

const grpcAddress = (service: string) =>
  z
    .string()
    .regex(/^[\w.-]+:\d+$/, 'must be host:port')
    .describe(`gRPC address (host:port) of the ${service} service`);

/** Stacks whose gateways accept development tokens; nowhere else. */
export const DEVELOPMENT_PROFILES = ['dev', 'test'] as const;

/** Every key (without the rule across keys): what tools that need a few of them pick from. */
export const configKeys = z.object({
  ...baseConfigShape({ opsPort: 9101 }),
  ...databaseConfigShape(),
  ...kafkaConfigShape(),
  ...internalTokenSignerConfigShape(),
  HTTP_HOST: z.string().default('0.0.0.0').describe('Interface the REST API binds'),
  HTTP_PORT: configTypes.port().default(8081).describe('Port of the REST API'),
  TRUST_PROXY: z
    .string()
    .default('loopback')
    .describe("Express 'trust proxy': which hops may set X-Forwarded-For (nginx runs beside us)"),
  REDIS_URL: configTypes
    .url(['redis', 'rediss'])
    .describe('Redis for shared rate limits and caches (degrades to in-process)'),
  DEPLOYMENT_PROFILE: z
    .enum(['dev', 'test', 'bench', 'staging', 'production'])
    .default('production')
    .describe('The stack this gateway serves; only dev and test accept development tokens'),
  JWT_SECRET: z
    .string()
    .min(32)
    .optional()
    .describe('HS256 secret of development tokens (32+ characters); only in the dev and test profiles'),
  JWT_ISSUER: z.string().min(1).default('hms-dev').describe('Issuer every development token must carry'),
  ACCESS_TOKEN_PRIVATE_KEY: configTypes
    .ed25519Key('private')
    .describe('Private key (Ed25519, base64 PKCS#8 DER or PEM) access tokens are signed with'),
  ACCESS_TOKEN_PUBLIC_KEYS: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean),
    )
    .pipe(z.array(configTypes.ed25519Key('public')).max(2))
    .describe(
      'Further public keys (Ed25519, base64 SPKI DER, comma-separated, at most 2) whose tokens are accepted and published: the previous and the next key of a rotation',
    ),
  ACCESS_TOKEN_ISSUER: z.string().min(1).default('hms').describe('Issuer (iss) of access tokens, checked on each'),
  ACCESS_TOKEN_AUDIENCE: z
    .string()
    .min(1)
    .default('hms-api')
    .describe('Audience (aud) of access tokens, checked on each'),
  ACCESS_TOKEN_TTL_SECONDS: configTypes
    .positiveInt()
    .max(3_600)
    .default(900)
    .describe('Life of an access token (15 minutes)'),
  ACCESS_TOKEN_CLOCK_SKEW_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(120)
    .default(30)
    .describe("Tolerated difference between a token issuer's clock and ours"),
  REFRESH_TOKEN_TTL_SECONDS: configTypes
    .positiveInt()
    .default(7 * 86_400)
    .describe('How long a refresh token may wait to be used'),
  SESSION_MAX_AGE_SECONDS: configTypes
    .positiveInt()
    .default(30 * 86_400)
    .describe('How long a session lasts at most, however often it is refreshed; then sign in again'),
  API_KEY_SECRET: z
    .string()
    .regex(/^[0-9a-f]{64,}$/i, 'must be at least 32 bytes as hex')
    .transform((hex) => Buffer.from(hex, 'hex'))
    .describe('Key of the HMAC API keys are stored as (hex, 32+ bytes); changing it voids every API key'),
  LOGIN_FAILURES_PER_IP: configTypes
    .positiveInt()
    .default(50)
    .describe('Failed sign-ins one address may make per 15 minutes, over all accounts'),
  LOGIN_FAILURES_BEFORE_LOCKOUT: configTypes
    .positiveInt()
    .default(10)
    .describe('Failed sign-ins of one account (from anywhere) per 15 minutes before it is locked for the rest of them'),
  AUTH_FAILURES_PER_IP_PER_MINUTE: configTypes
    .positiveInt()
    .default(60)
    .describe('Invalid tokens or keys one address may present per minute before it gets 429s'),
  GATEWAY_REPLICAS: configTypes
    .positiveInt()
    .default(1)
    .describe('Gateways sharing the rate limits, assumed until Redis has counted them (the limits of a Redis outage)'),
  APPOINTMENTS_GRPC_ADDRESS: grpcAddress('appointments'),
  BILLING_GRPC_ADDRESS: grpcAddress('billing'),
  QUEUE_GRPC_ADDRESS: grpcAddress('queue'),
  AUDIT_GRPC_ADDRESS: grpcAddress('audit'),
  GRPC_DEADLINE_MS: configTypes.positiveInt().default(3_000).describe('Deadline of every call to a backend service'),
  CLAIM_DEADLINE_MS: configTypes
    .positiveInt()
    .default(10_000)
    .describe(
      'Deadline of a booking or slot hold: in a rush on one slot the losers are refused one after another, and a definite 409 beats an uncertain 504 on a write',
    ),
  AUDIT_VERIFY_DEADLINE_MS: configTypes
    .positiveInt()
    .default(20_000)
    .describe("Deadline of a trail verification (GET /audit/verify); keep it below nginx's proxy_read_timeout (30 s)"),
  TENANT_CACHE_TTL_MS: configTypes
    .positiveInt()
    .default(30_000)
    .describe('How long tenants, sessions, API keys and permissions stay cached (changes invalidate them at once)'),
  ACCESS_LOG_FLUSH_INTERVAL_MS: configTypes
    .positiveInt()
    .default(1_000)
    .describe('How often reads of patient records are written to the audit trail (record.accessed), in batches'),
  ACCESS_LOG_MAX_PENDING: configTypes
    .positiveInt()
    .default(10_000)
    .describe('Reads waiting to be written at most (the database away); older ones are dropped and counted'),
  TENANT_METRICS_MAX_TENANTS: configTypes
    .positiveInt()
    .default(1_000)
    .describe('Tenants one gateway labels separately in its per-tenant metrics; further tenants count as "_other"'),
  PROMETHEUS_URL: configTypes
    .url(['http', 'https'])
    .optional()
    .describe('Prometheus the /admin/metrics endpoints read (unset: they answer 503)'),
  PROMETHEUS_TIMEOUT_MS: configTypes.positiveInt().default(3_000).describe('Deadline of one Prometheus query'),
  SSE_HEARTBEAT_MS: configTypes
    .positiveInt()
    .default(15_000)
    .describe("Heartbeat comment interval of live queue streams; keep it below nginx's read timeout of the stream"),
  SSE_MAX_STREAMS_PER_QUEUE: configTypes
    .positiveInt()
    .default(500)
    .describe("Live streams of one doctor's queue on one gateway (the tenant's plan may set its own)"),
  SSE_MAX_STREAMS_PER_TOKEN: configTypes
    .positiveInt()
    .default(5)
    .describe('Live streams one token (a display or a user) may hold open on one gateway'),
  SSE_MAX_STREAMS_PER_PROCESS: configTypes
    .positiveInt()
    .default(20_000)
    .describe('Live streams one gateway process holds at most; raise ulimit -n above twice this'),
  SSE_CLIENT_BUFFER_BYTES: configTypes
    .positiveInt()
    .default(256 * 1024)
    .describe('Bytes a live-stream client may leave unread before it is dropped (it resumes with Last-Event-ID)'),
  SSE_REPLAY_BUFFER: configTypes
    .positiveInt()
    .default(512)
    .describe("Changes per queue kept in the gateway's memory for resuming clients (older: the queue service's log)"),
  SSE_UPSTREAM_LINGER_MS: configTypes
    .positiveInt()
    .default(10_000)
    .describe("How long a queue's upstream watch stays open after its last client left"),
  QUEUE_READ_MAX_AGE_MS: configTypes
    .positiveInt()
    .default(10_000)
    .describe(
      'How long GET /queues/{doctorId} reuses a serialized queue whose last change is still current (its estimates move with the clock)',
    ),
  QUEUE_READ_CACHE_BYTES: configTypes
    .positiveInt()
    .default(64 * 1024 * 1024)
    .describe('Bytes of serialized queues (JSON and gzip) GET /queues/{doctorId} keeps per gateway'),
  DOCTOR_CACHE_TTL_MS: configTypes
    .positiveInt()
    .default(300_000)
    .describe('How long a doctor stays cached for the queue desk and streams (doctor.updated drops it at once)'),
  SLOT_WINDOWS_TTL_MS: configTypes
    .positiveInt()
    .default(60_000)
    .describe(
      'The longest a GET /doctors/{id}/slots answer is served from a gateway (appointments drops it at once on any change)',
    ),
  DISPLAY_TOKEN_CACHE_TTL_MS: configTypes
    .positiveInt()
    .default(5_000)
    .describe('How long a display token look-up is cached (a revocation takes effect within this)'),
});

export const configSchema = configKeys.superRefine((config, ctx) => {
  if (config.JWT_SECRET && !(DEVELOPMENT_PROFILES as readonly string[]).includes(config.DEPLOYMENT_PROFILE)) {
    ctx.addIssue({
      code: 'custom',
      path: ['JWT_SECRET'],
      message: `development tokens are refused in the ${config.DEPLOYMENT_PROFILE} profile: leave JWT_SECRET unset`,
    });
  }
});

export type Config = z.infer<typeof configSchema>;
