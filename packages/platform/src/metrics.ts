/**
 * Prometheus metrics with prom-client, one registry per service instance (no
 * global singleton, so tests can run several instances in one process). The
 * RED histograms every service shares are declared here; components with their
 * own gauges (outbox relay, consumer lag, DB pool) register them on `registry`.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export type { Registry } from 'prom-client';
/** For a service's own metrics, registered on its runtime's registry. */
export { Counter, Gauge } from 'prom-client';

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface Metrics {
  registry: Registry;
  httpServerDuration: Histogram<'method' | 'route' | 'status_code'>;
  grpcServerDuration: Histogram<'grpc_service' | 'grpc_method' | 'grpc_code'>;
  grpcClientDuration: Histogram<'grpc_service' | 'grpc_method' | 'grpc_code'>;
  kafkaHandleDuration: Histogram<'topic' | 'event_type' | 'outcome'>;
  deadLetters: Counter<'topic' | 'event_type'>;
  /** One gauge for every consumer group of the process (a service may run several). */
  kafkaConsumerLag: Gauge<'group' | 'topic' | 'partition'>;
  kafkaConsumerStalled: Gauge<'group' | 'topic' | 'partition'>;
  kafkaDeadLettersPending: Gauge<'group'>;
}

export function createMetrics(service: string, options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    httpServerDuration: new Histogram({
      name: 'hms_http_server_request_duration_seconds',
      help: 'HTTP requests served, by method, route template and status code',
      labelNames: ['method', 'route', 'status_code'],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    grpcServerDuration: new Histogram({
      name: 'hms_grpc_server_handling_seconds',
      help: 'gRPC calls served, by service, method and status code',
      labelNames: ['grpc_service', 'grpc_method', 'grpc_code'],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    grpcClientDuration: new Histogram({
      name: 'hms_grpc_client_handling_seconds',
      help: 'gRPC calls made, by service, method and status code',
      labelNames: ['grpc_service', 'grpc_method', 'grpc_code'],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    kafkaHandleDuration: new Histogram({
      name: 'hms_kafka_consumer_handling_seconds',
      help: 'Kafka events handled, by topic, event type and outcome (processed, duplicate, ignored, dead_lettered)',
      labelNames: ['topic', 'event_type', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    deadLetters: new Counter({
      name: 'hms_kafka_dead_letters_total',
      help: 'Events parked on a dead-letter topic after failing for good',
      labelNames: ['topic', 'event_type'],
      registers,
    }),
    kafkaConsumerLag: new Gauge({
      name: 'hms_kafka_consumer_lag',
      help: 'Messages in a partition not yet consumed by the group (high watermark minus committed offset)',
      labelNames: ['group', 'topic', 'partition'],
      registers,
    }),
    kafkaConsumerStalled: new Gauge({
      name: 'hms_kafka_consumer_stalled_seconds',
      help: "How long the group's committed offset has not moved while messages wait in the partition (0 when caught up or moving)",
      labelNames: ['group', 'topic', 'partition'],
      registers,
    }),
    kafkaDeadLettersPending: new Gauge({
      name: 'hms_kafka_dead_letters_pending',
      help: "Dead letters on the group's dead-letter topic not yet replayed or skipped (scripts/hms dlq)",
      labelNames: ['group'],
      registers,
    }),
  };
}

/** Seconds since `start` (from process.hrtime.bigint()). */
export function secondsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}
