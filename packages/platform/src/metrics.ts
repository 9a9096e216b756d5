/**
 * Prometheus metrics with prom-client, one registry per service instance (no
 * global singleton, so tests can run several instances in one process). The
 * RED histograms every service shares are declared here; components with their
 * own gauges (outbox relay, consumer lag, DB pool) register them on `registry`.
 *
 * The server latency histograms carry exemplars: the trace id of a recent
 * request per bucket (observeWithTrace), so a slow bucket on a dashboard opens
 * a trace of that slowness. Exemplars exist only in the OpenMetrics format,
 * which /metrics serves to a scraper that asks for it (openMetricsText);
 * everyone else gets the classic text format.
 */
import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
  type LabelValues,
  type Metric,
  type OpenMetricsContentType,
} from 'prom-client';

export type { Registry } from 'prom-client';
/** For a service's own metrics, registered on its runtime's registry. */
export { Counter, Gauge, Histogram } from 'prom-client';

/** Seconds. 0.2 is a bucket bound because the booking latency SLO is "95 % within 200 ms" (monitoring/slo.md). */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.25, 0.5, 1, 2.5, 5, 10];
/** From an event's commit to its effect committed by a consumer (the event freshness SLO: 99 % within 5 s). */
const FRESHNESS_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300];

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
  /** Seconds from an event's commit (its occurredAt, stamped in the producing transaction) to its effect committed. */
  kafkaEventFreshness: Histogram<'group' | 'topic'>;
  /** Look-ups of in-process and shared caches, by cache and result (hit, miss). */
  cacheLookups: Counter<'cache' | 'result'>;
}

// The default labels of each registry, for the OpenMetrics rendering (prom-client keeps them private).
const defaultLabelsOf = new WeakMap<Registry, Record<string, string>>();

export function createMetrics(service: string, options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  defaultLabelsOf.set(registry, { service });
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    httpServerDuration: withExemplars(
      registry,
      new Histogram({
        name: 'hms_http_server_request_duration_seconds',
        help: 'HTTP requests served, by method, route template and status code',
        labelNames: ['method', 'route', 'status_code'],
        buckets: LATENCY_BUCKETS,
        enableExemplars: true,
        registers: [],
      }),
    ),
    grpcServerDuration: withExemplars(
      registry,
      new Histogram({
        name: 'hms_grpc_server_handling_seconds',
        help: 'gRPC calls served, by service, method and status code',
        labelNames: ['grpc_service', 'grpc_method', 'grpc_code'],
        buckets: LATENCY_BUCKETS,
        enableExemplars: true,
        registers: [],
      }),
    ),
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
    kafkaEventFreshness: new Histogram({
      name: 'hms_kafka_event_freshness_seconds',
      help: "Seconds from an event's commit in its producer to its effect committed by this consumer group",
      labelNames: ['group', 'topic'],
      buckets: FRESHNESS_BUCKETS,
      registers,
    }),
    cacheLookups: new Counter({
      name: 'hms_cache_lookups_total',
      help: 'Cache look-ups by cache and result (hit, miss): hit ratio = hits / all',
      labelNames: ['cache', 'result'],
      registers,
    }),
  };
}

/**
 * Registers a histogram that keeps exemplars on a registry of the classic
 * format (prom-client refuses that in the constructor; the classic rendering
 * simply leaves exemplars out, and openMetricsText puts them in).
 */
function withExemplars<T extends string>(registry: Registry, histogram: Histogram<T>): Histogram<T> {
  registry.registerMetric(histogram);
  return histogram;
}

/**
 * Observes a latency, with the trace it belongs to as the exemplar of its
 * bucket when there is one. For histograms created with enableExemplars (the
 * 2-argument observe() does not work on those).
 */
export function observeWithTrace<T extends string>(
  histogram: Histogram<T>,
  labels: LabelValues<T>,
  seconds: number,
  traceId: string,
): void {
  // prom-client types exemplar labels with the metric's own label names; any name is valid.
  const exemplarLabels = { trace_id: traceId } as unknown as LabelValues<T>;
  histogram.observe(traceId ? { labels, value: seconds, exemplarLabels } : { labels, value: seconds });
}

/**
 * The registry in the OpenMetrics text format, exemplars included, without
 * switching the registry itself over: prom-client renames counters in place
 * (drops `_total`) when a registry renders OpenMetrics, which would break the
 * classic format afterwards. So each counter is rendered through a view with
 * the OpenMetrics name, on a scratch registry with the same default labels.
 */
export async function openMetricsText(registry: Registry): Promise<string> {
  const renderer = new Registry<OpenMetricsContentType>();
  renderer.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  renderer.setDefaultLabels(defaultLabelsOf.get(registry) ?? {});
  // Not in prom-client's typings, but what its own metrics() calls for each metric.
  const render = renderer as unknown as { getMetricsAsString(m: Metric): Promise<string> };
  const parts = await Promise.all(
    registry.getMetricsAsArray().map((object) => {
      const metric = object as unknown as Metric & { type?: string; name: string };
      const view =
        metric.type === 'counter'
          ? (Object.create(metric, { name: { value: metric.name.replace(/_total$/, '') } }) as Metric)
          : metric;
      return render.getMetricsAsString(view);
    }),
  );
  return `${parts.join('\n')}\n# EOF\n`;
}

export const OPENMETRICS_CONTENT_TYPE = Registry.OPENMETRICS_CONTENT_TYPE;

/** Seconds since `start` (from process.hrtime.bigint()). */
export function secondsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}
