/** The gateway's environment: every key it reads, documented, checked at start. */
import { baseConfigShape, configTypes, databaseConfigShape, internalTokenSignerConfigShape } from '@hms/platform';
import { z } from 'zod';

const grpcAddress = (service: string) =>
  z
    .string()
    .regex(/^[\w.-]+:\d+$/, 'must be host:port')
    .describe(`gRPC address (host:port) of the ${service} service`);

export const configSchema = z.object({
  ...baseConfigShape({ opsPort: 9101 }),
  ...databaseConfigShape(),
  ...internalTokenSignerConfigShape(),
  HTTP_HOST: z.string().default('0.0.0.0').describe('Interface the REST API binds'),
  HTTP_PORT: configTypes.port().default(8081).describe('Port of the REST API'),
  TRUST_PROXY: z
    .string()
    .default('loopback')
    .describe("Express 'trust proxy': which hops may set X-Forwarded-For (nginx runs beside us)"),
  REDIS_URL: configTypes.url(['redis', 'rediss']).describe('Redis for shared rate limits (degrades to in-process)'),
  JWT_SECRET: z.string().min(32).describe('HS256 secret development tokens are signed with (32+ characters)'),
  JWT_ISSUER: z.string().min(1).default('hms-dev').describe('Issuer every token must carry'),
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
  RATE_LIMIT_PER_TENANT_PER_MINUTE: configTypes
    .positiveInt()
    .default(6_000)
    .describe('Requests a tenant may make per minute across all gateways'),
  TENANT_CACHE_TTL_MS: configTypes.positiveInt().default(30_000).describe('How long a tenant look-up is cached'),
  TENANT_METRICS_MAX_TENANTS: configTypes
    .positiveInt()
    .default(1_000)
    .describe('Tenants one gateway labels separately in its per-tenant metrics; further tenants count as "_other"'),
  PROMETHEUS_URL: configTypes
    .url(['http', 'https'])
    .optional()
    .describe('Prometheus the /admin/metrics endpoints read (unset: they answer 503)'),
  PROMETHEUS_TIMEOUT_MS: configTypes.positiveInt().default(3_000).describe('Deadline of one Prometheus query'),
  PLATFORM_ADMIN_USERS: configTypes
    .list()
    .default([])
    .describe(
      'TEMPORARY: user ids allowed the platform-wide /admin/metrics endpoints, until the platform-admin permission exists',
    ),
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
  DISPLAY_TOKEN_CACHE_TTL_MS: configTypes
    .positiveInt()
    .default(5_000)
    .describe('How long a display token look-up is cached (a revocation takes effect within this)'),
});

export type Config = z.infer<typeof configSchema>;
