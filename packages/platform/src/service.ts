/**
 * The runtime every HMS service starts from: tracing, logging, metrics, the ops
 * endpoint, migrations, the database pool, Kafka (producer, admin, outbox relay,
 * consumers) and a gRPC server, each started in order and closed in reverse on
 * SIGTERM. A service's main.ts adds only what is its own.
 */
import type pg from 'pg';
import { createPool, postgresCheck } from './db/pool.js';
import { migrateService } from './db/migrate.js';
import type { SqlTx, TransactionRunner } from './db/sql.js';
import { createGrpcServer, type GrpcServer } from './grpc/server.js';
import { createEventConsumer, type EventConsumer } from './kafka/consumer.js';
import { createKafka, createProducer, kafkaCheck, type Admin, type Kafka, type Producer } from './kafka/kafka.js';
import { createOutbox, type Outbox } from './kafka/outbox.js';
import { createMessagingPruner } from './kafka/pruner.js';
import { createOutboxRelay } from './kafka/relay.js';
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
  OPS_PORT: number;
  SHUTDOWN_TIMEOUT_MS: number;
  SHUTDOWN_DRAIN_DELAY_MS: number;
  OTEL_TRACES_EXPORTER?: string | undefined;
  DATABASE_URL?: string;
  DATABASE_POOL_MAX?: number;
  MIGRATE_ON_START?: boolean;
  KAFKA_BROKERS?: string[];
  OUTBOX_POLL_INTERVAL_MS?: number;
  CONSUMER_MAX_ATTEMPTS?: number;
  GRPC_HOST?: string;
  GRPC_PORT?: number;
}

export interface KafkaParts {
  kafka: Kafka;
  producer: Producer;
  admin: Admin;
}

export interface ServiceRuntime {
  name: string;
  logger: Logger;
  metrics: Metrics;
  lifecycle: Lifecycle;
  /** The service's database pool (requires DATABASE_URL). */
  pool(): pg.Pool;
  /** Kafka client, idempotent producer and admin (requires KAFKA_BROKERS). */
  kafka(): KafkaParts;
  /** The outbox of the service's schema; its relay starts with serve(). */
  outbox(): Outbox;
  /** An idempotent consumer; started (in the background, retrying) by serve(). */
  consumer<Tx extends SqlTx>(groupId: string, transaction: TransactionRunner<Tx>): EventConsumer<Tx>;
  grpcServer(): GrpcServer;
  addCheck(check: HealthCheck): void;
  /** Starts serving: gRPC listening, relay and consumers running, ready. Returns the gRPC port, if any. */
  serve(): Promise<{ grpcPort?: number; opsPort: number }>;
}

export async function startRuntime(options: {
  name: string;
  /** The Postgres schema the service owns; its name by default. */
  schema?: string;
  config: RuntimeConfig;
  /** The service's prisma/migrations folder; migrations run when MIGRATE_ON_START. */
  migrationsDir?: string;
  /**
   * Started inside another process (a test): no SIGTERM/SIGINT handlers and no
   * OpenTelemetry SDK of its own (the host process has one).
   */
  inProcess?: boolean;
}): Promise<ServiceRuntime> {
  const { config, name } = options;
  const schema = options.schema ?? name;
  const logger = createLogger({ service: name, level: config.LOG_LEVEL });
  const metrics = createMetrics(name);
  const lifecycle = createLifecycle({
    logger,
    timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    drainDelayMs: config.SHUTDOWN_DRAIN_DELAY_MS,
  });
  const checks: HealthCheck[] = [];
  const background: Promise<void>[] = [];
  const stopping = lifecycle.signal;
  lifecycle.onShutdown('background tasks', async () => {
    await Promise.allSettled(background);
  });

  if (!options.inProcess) {
    const tracing = startTracing({ serviceName: name, exporter: config.OTEL_TRACES_EXPORTER });
    lifecycle.onShutdown('tracing', () => tracing.shutdown());
  }
  const ops = await startOpsServer({
    port: config.OPS_PORT,
    registry: metrics.registry,
    checks,
    isShuttingDown: () => lifecycle.shuttingDown || !serving,
    logger,
  });
  lifecycle.onShutdown('ops server', () => ops.close());
  if (!options.inProcess) lifecycle.handleSignals();

  let serving = false;
  let pool: pg.Pool | undefined;
  let kafkaParts: KafkaParts | undefined;
  let outbox: Outbox | undefined;
  let grpcServer: GrpcServer | undefined;
  const consumers: EventConsumer<SqlTx>[] = [];

  function required<T>(value: T | undefined, key: string): T {
    if (value === undefined) throw new Error(`${name}: ${key} is not configured`);
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

  if (config.DATABASE_URL && (config.MIGRATE_ON_START ?? true) && options.migrationsDir) {
    await migrateService({
      connectionString: config.DATABASE_URL,
      schema,
      migrationsDir: options.migrationsDir,
      logger,
    });
  }

  const runtime: ServiceRuntime = {
    name,
    logger,
    metrics,
    lifecycle,
    pool() {
      if (!pool) {
        const p = createPool({
          connectionString: required(config.DATABASE_URL, 'DATABASE_URL'),
          max: config.DATABASE_POOL_MAX ?? 10,
          applicationName: name,
          logger,
          registry: metrics.registry,
        });
        pool = p;
        checks.push(postgresCheck(p));
        lifecycle.onShutdown('database pool', () => p.end());
      }
      return pool;
    },
    kafka() {
      if (!kafkaParts) {
        const kafka = createKafka({ clientId: name, brokers: required(config.KAFKA_BROKERS, 'KAFKA_BROKERS'), logger });
        const parts = { kafka, producer: createProducer(kafka), admin: kafka.admin() };
        kafkaParts = parts;
        checks.push(kafkaCheck(parts.admin));
        keepTrying('kafka admin connect', () => parts.admin.connect());
        lifecycle.onShutdown('kafka', async () => {
          await parts.producer.disconnect().catch(() => undefined);
          await parts.admin.disconnect().catch(() => undefined);
        });
      }
      return kafkaParts;
    },
    outbox() {
      if (!outbox) {
        const parts = runtime.kafka();
        outbox = createOutbox({ schema, source: name });
        const relay = createOutboxRelay({
          connectionString: required(config.DATABASE_URL, 'DATABASE_URL'),
          pool: runtime.pool(),
          schema,
          producer: parts.producer,
          logger,
          metrics,
          pollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS ?? 1_000,
        });
        relay.start();
        lifecycle.onShutdown('outbox relay', () => relay.stop());
      }
      return outbox;
    },
    consumer<Tx extends SqlTx>(groupId: string, transaction: TransactionRunner<Tx>) {
      const parts = runtime.kafka();
      const consumer = createEventConsumer<Tx>({
        kafka: parts.kafka,
        producer: parts.producer,
        admin: parts.admin,
        groupId,
        schema,
        transaction,
        logger,
        metrics,
        maxAttempts: config.CONSUMER_MAX_ATTEMPTS ?? 5,
      });
      consumers.push(consumer as unknown as EventConsumer<SqlTx>);
      checks.push(consumer.healthCheck());
      return consumer;
    },
    grpcServer() {
      if (!grpcServer) {
        const server = createGrpcServer({ logger, metrics });
        grpcServer = server;
        // Registered now, so it closes before the pools and clients it uses.
        lifecycle.onShutdown('grpc server', () => server.shutdown(Math.max(1_000, config.SHUTDOWN_TIMEOUT_MS - 2_000)));
      }
      return grpcServer;
    },
    addCheck(check) {
      checks.push(check);
    },
    async serve() {
      let grpcPort: number | undefined;
      if (grpcServer) {
        grpcPort = await grpcServer.listen(config.GRPC_HOST ?? '0.0.0.0', required(config.GRPC_PORT, 'GRPC_PORT'));
        grpcServer.setServing(true);
      }
      if (kafkaParts) {
        const { producer } = kafkaParts;
        keepTrying('kafka producer connect', () => producer.connect());
      }
      for (const consumer of consumers) {
        keepTrying('event consumer start', () => consumer.start());
        // Registered after the gRPC server, so consumers stop (and commit) first.
        lifecycle.onShutdown('event consumer', () => consumer.stop());
      }
      if (pool && (outbox || consumers.length > 0)) {
        // Published outbox rows and expired processed-event records (windows in kafka/retention.ts).
        const pruner = createMessagingPruner({ pool, schema, logger, metrics });
        pruner.start();
        lifecycle.onShutdown('messaging pruner', () => pruner.stop());
      }
      serving = true;
      logger.info({ grpcPort, opsPort: ops.port }, `${name} serving`);
      return { ...(grpcPort === undefined ? {} : { grpcPort }), opsPort: ops.port };
    },
  };
  return runtime;
}
