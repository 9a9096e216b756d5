/**
 * OpenTelemetry tracing. The SDK reads the standard OTEL_* variables
 * (OTEL_TRACES_EXPORTER, OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_TRACES_SAMPLER, ...).
 * Official instrumentations make the spans of pg, ioredis, http and express
 * (instrumentations.ts, loaded by the `@hms/platform/register` preload); our
 * gRPC and Kafka helpers make theirs with withSpan() and carry W3C trace
 * context across every hop.
 */
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Link,
  type Span,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { NodeSDK } from '@opentelemetry/sdk-node';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace';
import { runWithoutContext } from './context.js';

export { SpanKind } from '@opentelemetry/api';

export interface TracingHandle {
  /** Whether the instrumentations are loaded (the process was started with the register preload). */
  readonly instrumented: boolean;
  shutdown(): Promise<void>;
}

/**
 * With nothing to export to, spans go to this fan-out, which passes them on to
 * the processors a test attaches (attachSpanProcessor) and otherwise drops them.
 */
class FanOutSpanProcessor implements SpanProcessor {
  readonly targets = new Set<SpanProcessor>();
  onStart(span: Parameters<SpanProcessor['onStart']>[0], parent: Context): void {
    for (const t of this.targets) t.onStart(span, parent);
  }
  onEnd(span: ReadableSpan): void {
    for (const t of this.targets) t.onEnd(span);
  }
  async forceFlush(): Promise<void> {
    await Promise.all([...this.targets].map((t) => t.forceFlush()));
  }
  async shutdown(): Promise<void> {
    await Promise.all([...this.targets].map((t) => t.shutdown()));
  }
}

interface TracingState {
  handle: TracingHandle;
  fanOut?: FanOutSpanProcessor;
}

// On globalThis, like OpenTelemetry's own API: the preload and the service may
// load two copies of this module (a test runner transpiling src/ beside dist/).
const STATE = Symbol.for('hms.platform.tracing');
const global = globalThis as { [STATE]?: TracingState };

/**
 * Starts the SDK for this process, once: a later call returns the first
 * handle. HMS stores trace ids on its rows, so trace ids must exist even when
 * nothing is exported: with OTEL_TRACES_EXPORTER=none (or unset) spans are
 * recorded and dropped rather than the SDK installing no tracer at all.
 */
export function startTracing(options: {
  serviceName: string;
  exporter: string | undefined;
  instrumentations?: Instrumentation[];
}): TracingHandle {
  const started = global[STATE];
  if (started) return started.handle;
  const exporters = (options.exporter ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const exportNothing = exporters.length === 0 || exporters.includes('none');
  const fanOut = exportNothing ? new FanOutSpanProcessor() : undefined;
  const instrumentations = options.instrumentations ?? [];
  const sdk = new NodeSDK({
    serviceName: options.serviceName,
    instrumentations,
    logRecordProcessors: [],
    // Metrics are prom-client's (metrics.ts): no OpenTelemetry meter, so the
    // instrumentations record no histograms nobody reads (and export none to an
    // OTLP endpoint that is not there), which cost CPU on every request.
    metricReaders: [],
    ...(fanOut ? { spanProcessors: [fanOut] } : {}),
  });
  sdk.start();
  const handle: TracingHandle = { instrumented: instrumentations.length > 0, shutdown: () => sdk.shutdown() };
  global[STATE] = { handle, ...(fanOut ? { fanOut } : {}) };
  return handle;
}

/**
 * Adds a span processor to a process that exports nothing (for tests that
 * look at spans); returns its removal.
 */
export function attachSpanProcessor(processor: SpanProcessor): () => void {
  const fanOut = global[STATE]?.fanOut;
  if (!fanOut) throw new Error('attachSpanProcessor needs tracing started with OTEL_TRACES_EXPORTER=none');
  fanOut.targets.add(processor);
  return () => fanOut.targets.delete(processor);
}

export function tracer() {
  return trace.getTracer('hms');
}

/** Runs `fn` in a new active span, recording errors and ending the span. */
export async function withSpan<T>(
  name: string,
  options: {
    kind?: SpanKind;
    parent?: Context;
    attributes?: Record<string, string | number | boolean>;
    /** Other spans this one is about (e.g. every event of a batch). */
    links?: Link[];
  },
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const parent = options.parent ?? context.active();
  return tracer().startActiveSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes ?? {}, links: options.links ?? [] },
    parent,
    async (span) => {
      try {
        return await fn(span);
      } catch (error) {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/** The active trace id, or '' when there is none. */
export function currentTraceId(): string {
  const id = trace.getActiveSpan()?.spanContext().traceId;
  return id && id !== '00000000000000000000000000000000' ? id : '';
}

/** Adds attributes to the active span (e.g. the request id nginx gave a request, to find its trace by). */
export function annotateActiveSpan(attributes: Record<string, string | number | boolean>): void {
  trace.getActiveSpan()?.setAttributes(attributes);
}

/**
 * Runs fn outside the current request: no request context and no active span,
 * for work one request starts on behalf of many (a group commit, a shared
 * flush), which must not be charged to, or time out with, that one request.
 */
export function outsideRequest<T>(fn: () => T): T {
  return runWithoutContext(() => context.with(ROOT_CONTEXT, fn));
}

/** The W3C traceparent of the active span, or '' when there is none. */
export function currentTraceparent(): string {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ?? '';
}

/** Trace id part of a W3C traceparent header, or ''. */
export function traceIdOf(traceparent: string): string {
  const match = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}$/.exec(traceparent.trim());
  return match?.[1] ?? '';
}

/** A context whose parent is the given traceparent/tracestate (e.g. from a Kafka event). */
export function contextFromCarrier<C>(carrier: C, getter: TextMapGetter<C>): Context {
  return propagation.extract(ROOT_CONTEXT, carrier, getter);
}

export function injectInto<C>(carrier: C, setter: TextMapSetter<C>): void {
  propagation.inject(context.active(), carrier, setter);
}

export const recordGetter: TextMapGetter<Record<string, string | undefined>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key],
};
