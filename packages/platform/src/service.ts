/**
 * The runtime every HMS service is wired on, in three visible steps:
 *
 *   const runtime = createServiceRuntime(...)   builds: logger, metrics, the
 *       database pool and write path, Kafka clients, the outbox relay, the gRPC
 *       server; nothing connects or listens yet
 *   runtime.consumer(group).on(...), runtime.grpc.addService(...),
 *   runtime.manage({ name, start, stop })       the service adds what is its own
 *   await runtime.serve()                       starts, in this order: the ops
 *       endpoint; the managed parts in the order added; the Kafka clients, the
 *       relay and the consumers (connecting in the background, retrying, never
 *       holding up start-up); the gRPC server; then reports ready
 *   await runtime.close(reason)                 stops all of it in the reverse
 *       order (intake first, pools last) within SHUTDOWN_TIMEOUT_MS; SIGTERM
 *       and SIGINT call it
 */
import type { KeyObject } from 'node:crypto';
import type pg from 'pg';
import { createDatabase, type Database } from './db/database.js';
import { createPool, postgresCheck } from './db/pool.js';
import { audienceOf, createInternalTokenVerifier } from './grpc/internal-token.js';
import { createGrpcServer, type GrpcServer } from './grpc/server.js';
import { createEventConsumer, type EventConsumer } from './kafka/consumer.js';
import { createKafka, createProducer, kafkaCheck, type Admin, type Kafka, type Producer } from './kafka/kafka.js';
import { createOutboxWriter } from './kafka/outbox.js';
import { createMessagingPruner } from './kafka/pruner.js';
import { createOutboxRelay, type OutboxRelay } from './kafka/relay.js';
import { createLifecycle, type Lifecycle } from './lifecycle.js';
import { createLogger, type Logger } from './logger.js';
import { createMetrics, type Metrics } from './metrics.js';
import { startOpsServer, type HealthCheck } from './ops-server.js';
import { startTracing } from './tracing.js';
import { backoffDelay, sleep } from './transient.js';
import type { LevelWithSilent } from 'pino';

/** The keys of baseConfigShape and friends that the runtime reads. */
export interface RuntimeConfig {
  LOG_LEVEL: LevelWithSilent;
  OPS_HOST?: string;
  OPS_PORT: number;
  SHUTDOWN_TIMEOUT_MS: number;
  SHUTDOWN_DRAIN_DELAY_MS: number;
  OTEL_TRACES_EXPORTER?: string | undefined;
  DATABASE_URL?: string;
  DATABASE_POOL_MAX?: number;
  KAFKA_BROKERS?: string[];
  OUTBOX_POLL_INTERVAL_MS?: number;
  CONSUMER_MAX_ATTEMPTS?: number;
  CONSUMER_BATCH_SIZE?: number;
  GRPC_HOST?: string;
  GRPC_PORT?: number;
  INTERNAL_TOKEN_PUBLIC_KEYS?: KeyObject[];
  INTERNAL_TOKEN_ISSUERS?: string[];
  INTERNAL_TOKEN_CLOCK_SKEW_SECONDS?: number;
}

export interface KafkaParts {
  kafka: Kafka;
  producer: Producer;
  admin: Admin;
}

/** A part of the service that the runtime starts with serve() and stops with close(). */
export interface ManagedPart {
  name: string;
  start?(): Promise<void> | void;
  stop(): Promise<void> | void;
}

export interface ServiceRuntime {
  readonly name: string;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly lifecycle: Lifecycle;
  /** The service's pool (DATABASE_URL). */
  readonly pool: pg.Pool;
  /** The write path on that pool, with the service's outbox. */
  readonly database: Database;
  /** Kafka client, idempotent producer and admin (KAFKA_BROKERS). */
  readonly kafka: KafkaParts;
  /** The gRPC server (GRPC_PORT). */
  readonly grpc: GrpcServer;
  /** Builds an idempotent consumer; serve() starts it, close() stops it. */
  consumer(groupId: string): EventConsumer;
  /** Adds a part of the service's own (an HTTP server, a timer, a client): started by serve(), stopped by close(). */
  manage(part: ManagedPart): void;
  addCheck(check: HealthCheck): void;
  /** Starts serving; returns the ports bound (useful with port 0). */
  serve(): Promise<{ grpcPort?: number; opsPort: number }>;
  /** Stops everything, in the reverse order of start; true when it all finished within the bound. */
  close(reason: string): Promise<boolean>;
}

export interface RuntimeOptions {
  name: string;
  /** The Postgres schema the service owns; its name by default. */
  schema?: string;
  config: RuntimeConfig;
  /** Whether this service publishes events (runs an outbox relay). Default: when Kafka is configured. */
  relay?: boolean;
  /**
   * Started inside another process (a test): no SIGTERM/SIGINT handlers and no
   * OpenTelemetry SDK of its own (the host process has one).
   */
  inProcess?: boolean;
}

export function createServiceRuntime(options: RuntimeOptions): ServiceRuntime {
  const { config, name } = options;
  const schema = options.schema ?? name;
  const logger = createLogger({ service: name, level: config.LOG_LEVEL });
  const metrics = createMetrics(name);
  const lifecycle = createLifecycle({
    logger,
    timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    drainDelayMs: config.SHUTDOWN_DRAIN_DELAY_MS,
  });
  const stopping = lifecycle.signal;
  const checks: HealthCheck[] = [];
  const managed: ManagedPart[] = [];
  const consumers: EventConsumer[] = [];
  const background: Promise<void>[] = [];
  let serving = false;

  function required<T>(value: T | undefined, key: string, what: string): T {
    if (value === undefined) throw new Error(`${name}: ${what} needs ${key}, which is not configured`);
    return value;
  }

  /** Retries `task` until it succeeds or the service stops, without holding up start-up. */
  function keepTrying(what: string, task: () => Promise<void>): void {
    background.push(
      (async () => {
        for (let attempt = 1; !stopping.aborted; attempt += 1) {
          try {
            await task();
            return;
          } catch (error) {
            const delay = backoffDelay(attempt, 500, 10_000);
            logger.warn({ err: error, attempt, retryInMs: delay }, `${what} failed; retrying`);
            await sleep(delay, stopping);
          }
        }
      })(),
    );
  }

  // --- build ---------------------------------------------------------------------------
  // Started already by the `@hms/platform/register` preload, with the instrumentations.
  const tracing = options.inProcess
    ? undefined
    : startTracing({ serviceName: `hms-${name}`, exporter: config.OTEL_TRACES_EXPORTER });
  if (tracing && !tracing.instrumented) {
    logger.warn('started without `node --import @hms/platform/register`: no spans of pg, Redis or HTTP in traces');
  }

  const pool = config.DATABASE_URL
    ? createPool({
        connectionString: config.DATABASE_URL,
        max: config.DATABASE_POOL_MAX ?? 10,
        applicationName: name,
        logger,
        registry: metrics.registry,
      })
    : undefined;
  if (pool) checks.push(postgresCheck(pool));
  const database = pool
    ? createDatabase({ pool, outbox: createOutboxWriter({ schema, source: name }), registry: metrics.registry })
    : undefined;

  let kafkaParts: KafkaParts | undefined;
  if (config.KAFKA_BROKERS) {
    const kafka = createKafka({ clientId: name, brokers: config.KAFKA_BROKERS, logger });
    kafkaParts = { kafka, producer: createProducer(kafka), admin: kafka.admin() };
    checks.push(kafkaCheck(kafkaParts.admin));
  }

  let relay: OutboxRelay | undefined;
  if ((options.relay ?? kafkaParts !== undefined) && kafkaParts) {
    relay = createOutboxRelay({
      connectionString: required(config.DATABASE_URL, 'DATABASE_URL', 'the outbox relay'),
      pool: required(pool, 'DATABASE_URL', 'the outbox relay'),
      schema,
      producer: kafkaParts.producer,
      logger,
      metrics,
      pollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS ?? 1_000,
    });
  }

  const grpcServer =
    config.GRPC_PORT !== undefined
      ? createGrpcServer({
          logger,
          metrics,
          verifier: createInternalTokenVerifier({
            audience: audienceOf(name),
            publicKeys: required(config.INTERNAL_TOKEN_PUBLIC_KEYS, 'INTERNAL_TOKEN_PUBLIC_KEYS', 'gRPC'),
            ...(config.INTERNAL_TOKEN_ISSUERS ? { issuers: config.INTERNAL_TOKEN_ISSUERS } : {}),
            clockToleranceSeconds: config.INTERNAL_TOKEN_CLOCK_SKEW_SECONDS ?? 5,
          }),
        })
      : undefined;

  // --- serve and close -----------------------------------------------------------------
  async function serve(): Promise<{ grpcPort?: number; opsPort: number }> {
    const ops = await startOpsServer({
      host: config.OPS_HOST,
      port: config.OPS_PORT,
      registry: metrics.registry,
      checks,
      isShuttingDown: () => lifecycle.shuttingDown || !serving,
      logger,
    });
    // Closes run last-registered first: each is registered right after its part started.
    if (tracing) lifecycle.onShutdown('tracing', () => tracing.shutdown());
    lifecycle.onShutdown('ops server', () => ops.close());
    // The retry loops stop trying once shutdown begins; settled after the clients they use are closed.
    lifecycle.onShutdown('background tasks', async () => {
      await Promise.allSettled(background);
    });
    if (pool) lifecycle.onShutdown('database pool', () => pool.end());
    if (kafkaParts) {
      const { producer, admin } = kafkaParts;
      lifecycle.onShutdown('kafka clients', async () => {
        await producer.disconnect().catch(() => undefined);
        await admin.disconnect().catch(() => undefined);
      });
    }
    // The service's own parts, in the order added (an HTTP server, timers, clients).
    for (const part of managed) {
      await part.start?.();
      lifecycle.onShutdown(part.name, () => part.stop());
    }
    if (kafkaParts) {
      const { producer, admin } = kafkaParts;
      keepTrying('kafka admin connect', () => admin.connect());
      keepTrying('kafka producer connect', () => producer.connect());
    }
    if (relay) {
      const r = relay;
      r.start();
      lifecycle.onShutdown('outbox relay', () => r.stop());
    }
    for (const consumer of consumers) {
      keepTrying(`event consumer ${consumer.groupId} start`, () => consumer.start());
      lifecycle.onShutdown(`event consumer ${consumer.groupId}`, () => consumer.stop());
    }
    if (pool && (relay || consumers.length > 0)) {
      // Published outbox rows and expired processed-event records (windows in kafka/retention.ts).
      const pruner = createMessagingPruner({ pool, schema, logger, metrics });
      pruner.start();
      lifecycle.onShutdown('messaging pruner', () => pruner.stop());
    }
    // gRPC intake last, so it is closed first.
    let grpcPort: number | undefined;
    if (grpcServer) {
      grpcPort = await grpcServer.listen(
        config.GRPC_HOST ?? '127.0.0.1',
        required(config.GRPC_PORT, 'GRPC_PORT', 'gRPC'),
      );
      grpcServer.setServing(true);
      lifecycle.onShutdown('grpc server', () =>
        grpcServer.shutdown(Math.max(1_000, config.SHUTDOWN_TIMEOUT_MS - 2_000)),
      );
    }
    if (!options.inProcess) lifecycle.handleSignals();
    serving = true;
    logger.info({ grpcPort, opsPort: ops.port }, `${name} serving`);
    return { ...(grpcPort === undefined ? {} : { grpcPort }), opsPort: ops.port };
  }

  return {
    name,
    logger,
    metrics,
    lifecycle,
    get pool() {
      return required(pool, 'DATABASE_URL', 'a database pool');
    },
    get database() {
      return required(database, 'DATABASE_URL', 'the database');
    },
    get kafka() {
      return required(kafkaParts, 'KAFKA_BROKERS', 'Kafka');
    },
    get grpc() {
      return required(grpcServer, 'GRPC_PORT', 'a gRPC server');
    },
    consumer(groupId) {
      const parts = required(kafkaParts, 'KAFKA_BROKERS', 'an event consumer');
      const consumer = createEventConsumer({
        kafka: parts.kafka,
        producer: parts.producer,
        admin: parts.admin,
        groupId,
        schema,
        database: required(database, 'DATABASE_URL', 'an event consumer'),
        logger,
        metrics,
        maxAttempts: config.CONSUMER_MAX_ATTEMPTS ?? 5,
        batchSize: config.CONSUMER_BATCH_SIZE ?? 100,
      });
      consumers.push(consumer);
      checks.push(consumer.healthCheck());
      return consumer;
    },
    manage(part) {
      if (serving) throw new Error(`${name}: ${part.name} was added after serve()`);
      managed.push(part);
    },
    addCheck(check) {
      checks.push(check);
    },
    serve,
    close: (reason) => lifecycle.shutdown(reason),
  };
}
