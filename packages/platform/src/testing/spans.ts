import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { attachSpanProcessor } from '../tracing.js';

export interface SpanRecorder {
  /** Every span ended since recording started. */
  spans(): ReadableSpan[];
  stop(): void;
}

/**
 * Records the spans this test process ends from now on, in memory (the test
 * setup exports nothing otherwise). Stop it when done: it keeps every span.
 */
export function recordSpans(): SpanRecorder {
  const exporter = new InMemorySpanExporter();
  const detach = attachSpanProcessor(new SimpleSpanProcessor({ exporter }));
  return {
    spans: () => exporter.getFinishedSpans(),
    stop: () => {
      detach();
      exporter.reset();
    },
  };
}

/** The spans below `root` in `spans` (children, their children, ...). */
export function descendantsOf(spans: ReadableSpan[], root: ReadableSpan): ReadableSpan[] {
  const below: ReadableSpan[] = [];
  let parents = new Set([root.spanContext().spanId]);
  while (parents.size > 0) {
    const next = spans.filter((s) => s.parentSpanContext && parents.has(s.parentSpanContext.spanId));
    below.push(...next);
    parents = new Set(next.map((s) => s.spanContext().spanId));
  }
  return below;
}
