/**
 * Environment configuration: each service declares its keys with zod in its own
 * config.ts (one `.describe()`d key each) and loads them once at start. A bad or
 * missing value stops the process with a message naming the key.
 */
import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { GATEWAY_ISSUER, parsePrivateKey, parsePublicKey } from './grpc/internal-token.js';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

/** Parses `env` with `schema`; throws a ConfigError listing every bad key. */
export function loadConfig<S extends z.ZodType>(schema: S, env: Env): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const key = issue.path.join('.') || '(root)';
    const about = describeKey(schema, key);
    return `  ${key}: ${issue.message}${about ? ` (${about})` : ''}`;
  });
  throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
}

/** Like loadConfig, but prints the problem and exits: for a service's main. */
export function loadConfigOrExit<S extends z.ZodType>(schema: S, env: Env): z.infer<S> {
  try {
    return loadConfig(schema, env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
}

function describeKey(schema: z.ZodType, key: string): string | undefined {
  if (!(schema instanceof z.ZodObject)) return undefined;
  return (schema.shape as Record<string, z.ZodType | undefined>)[key]?.description;
}

/** Reusable key types; each service gives them its own description and default. */
export const configTypes = {
  port: () => z.coerce.number().int().min(0).max(65535),
  positiveInt: () => z.coerce.number().int().positive(),
  url: (protocols: string[]) =>
    z
      .string()
      .min(1)
      .refine(
        (value) => {
          try {
            return protocols.includes(new URL(value).protocol.replace(/:$/, ''));
          } catch {
            return false;
          }
        },
        `must be a ${protocols.join(' or ')} URL`,
      ),
  list: () =>
    z
      .string()
      .min(1)
      .transform((value) =>
        value
          .split(',')
          .map((item) => item.trim())
          .filter(Boolean),
      ),
  /** An Ed25519 key as one line of base64 DER (or PEM); the value never appears in an error. */
  ed25519Key: (kind: 'private' | 'public') =>
    z.string().transform((value, ctx): KeyObject => {
      try {
        return kind === 'private' ? parsePrivateKey(value) : parsePublicKey(value);
      } catch {
        ctx.addIssue({
          code: 'custom',
          message: `must be an Ed25519 ${kind} key: base64 of its ${kind === 'private' ? 'PKCS#8' : 'SPKI'} DER, or PEM`,
        });
        return z.NEVER;
      }
    }),
  logLevel: () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  boolean: () => z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1'),
};

/** The keys every HMS service has, with their documentation. */
export function baseConfigShape(defaults: { opsPort: number }) {
  return {
    LOG_LEVEL: configTypes.logLevel().default('info').describe('pino log level'),
    OPS_HOST: z
      .string()
      .default('0.0.0.0')
      .describe('Interface of /metrics, /livez and /readyz (the local stack binds 127.0.0.1)'),
    OPS_PORT: configTypes.port().default(defaults.opsPort).describe('HTTP port of /metrics, /livez and /readyz'),
    OTEL_TRACES_EXPORTER: z
      .string()
      .optional()
      .describe('OpenTelemetry trace exporter (otlp, console or none); the other OTEL_* keys are read by the SDK'),
    // Read by the SDK; declared so that a misspelt sampler stops the service instead of
    // silently recording every trace.
    OTEL_TRACES_SAMPLER: z
      .enum([
        'always_on',
        'always_off',
        'traceidratio',
        'parentbased_always_on',
        'parentbased_always_off',
        'parentbased_traceidratio',
      ])
      .optional()
      .describe('Head sampling of traces; parentbased_traceidratio with OTEL_TRACES_SAMPLER_ARG records that share'),
    OTEL_TRACES_SAMPLER_ARG: z.coerce
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe('The share of traces recorded by a traceidratio sampler (0 to 1)'),
    SHUTDOWN_TIMEOUT_MS: configTypes
      .positiveInt()
      .default(20_000)
      .describe('Upper bound for a graceful stop after SIGTERM; keep it below the pod grace period'),
    SHUTDOWN_DRAIN_DELAY_MS: z.coerce
      .number()
      .int()
      .min(0)
      .default(0)
      .describe('Time to keep serving after readiness turns false, so load balancers stop routing first'),
  };
}

export function databaseConfigShape() {
  return {
    DATABASE_URL: configTypes
      .url(['postgres', 'postgresql'])
      .describe(
        "PostgreSQL URL of this service's runtime role (rows of its own schema only; migrations run separately)",
      ),
    DATABASE_POOL_MAX: configTypes.positiveInt().default(10).describe('Connections in the pool'),
  };
}

export function kafkaConfigShape() {
  return {
    KAFKA_BROKERS: configTypes.list().describe('Comma-separated Kafka bootstrap brokers, host:port'),
    OUTBOX_POLL_INTERVAL_MS: configTypes
      .positiveInt()
      .default(1_000)
      .describe('Outbox relay polling fallback when no LISTEN/NOTIFY wake-up arrives'),
    CONSUMER_BATCH_SIZE: configTypes
      .positiveInt()
      .max(1_000)
      .default(100)
      .describe('Most events a consumer applies in one database transaction when a fetch brings several (1: one each)'),
    CONSUMER_MAX_ATTEMPTS: configTypes
      .positiveInt()
      .default(5)
      .describe('Attempts at an event that keeps failing before it goes to the dead-letter topic'),
  };
}

export function grpcServerConfigShape(defaults: { port: number }) {
  return {
    GRPC_HOST: z
      .string()
      .default('0.0.0.0')
      .describe('Interface the gRPC server binds (the local stack binds 127.0.0.1)'),
    GRPC_PORT: configTypes.port().default(defaults.port).describe('gRPC server port'),
    INTERNAL_TOKEN_PUBLIC_KEYS: configTypes
      .list()
      .pipe(z.array(configTypes.ed25519Key('public')).min(1).max(2))
      .describe(
        'Public keys (Ed25519, base64 SPKI DER, comma-separated; two while rotating) that internal tokens of callers must be signed with',
      ),
    INTERNAL_TOKEN_ISSUERS: configTypes
      .list()
      .default([GATEWAY_ISSUER])
      .describe('Issuers whose internal tokens are accepted (comma-separated)'),
    INTERNAL_TOKEN_CLOCK_SKEW_SECONDS: z.coerce
      .number()
      .int()
      .min(0)
      .max(60)
      .default(5)
      .describe("Tolerated difference between the signer's clock and ours when checking a token's times"),
  };
}

/** The keys of a service that calls others (the gateway): it signs internal tokens. */
export function internalTokenSignerConfigShape() {
  return {
    INTERNAL_TOKEN_PRIVATE_KEY: configTypes
      .ed25519Key('private')
      .describe('Private key (Ed25519, base64 PKCS#8 DER) internal tokens to the backends are signed with'),
    INTERNAL_TOKEN_TTL_SECONDS: z.coerce
      .number()
      .int()
      .min(10)
      .max(300)
      .default(60)
      .describe('Life of an internal token; one is reused for half of it'),
  };
}
