/**
 * OpenTelemetry tracing. The SDK reads the standard OTEL_* variables
 * (OTEL_TRACES_EXPORTER, OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_TRACES_SAMPLER, ...).
 * Spans are made by our own gRPC, HTTP and Kafka helpers, which carry W3C trace
 * context across every hop, so no auto-instrumentation is loaded.
 */
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { NoopSpanProcessor } from '@opentelemetry/sdk-trace';

export { SpanKind } from '@opentelemetry/api';

export interface TracingHandle {
  shutdown(): Promise<void>;
}

/**
 * Starts the SDK for this process. With OTEL_TRACES_EXPORTER=none the SDK would
 * install no tracer at all and every trace id would be blank; HMS stores trace
 * ids on its rows, so a tracer that records nowhere is installed instead.
 */
export function startTracing(options: { serviceName: string; exporter: string | undefined }): TracingHandle {
  const exportNothing = (options.exporter ?? '')
    .split(',')
    .map((s) => s.trim())
    .includes('none');
  const sdk = new NodeSDK({
    serviceName: options.serviceName,
    instrumentations: [],
    logRecordProcessors: [],
    ...(exportNothing ? { spanProcessors: [new NoopSpanProcessor()] } : {}),
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}

export function tracer() {
  return trace.getTracer('hms');
}

/** Runs `fn` in a new active span, recording errors and ending the span. */
export async function withSpan<T>(
  name: string,
  options: { kind?: SpanKind; parent?: Context; attributes?: Record<string, string | number | boolean> },
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const parent = options.parent ?? context.active();
  return tracer().startActiveSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes ?? {} },
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
