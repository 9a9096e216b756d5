/**
 * The official OpenTelemetry instrumentations HMS loads, configured for low
 * CPU and no patient data in traces:
 * - pg (our SQL and Prisma's pg adapter): spans only inside a traced request
 *   (the outbox relay's polling and readiness probes make none), and never the
 *   values bound to a statement;
 * - ioredis: only inside a traced request;
 * - http: the gateway's REST requests (a SERVER span continuing the caller's
 *   W3C trace); probes and scrapes of the ops endpoint make none, nor live
 *   event streams (a span held open for the hours a waiting-room screen
 *   watches, exported only when it leaves, costs each idle stream its memory
 *   and tells nothing); outgoing requests only inside a trace;
 * - express: names the HTTP span after the route template and times the route
 *   handlers, not every middleware and router layer.
 * gRPC and Kafka spans come from our own helpers (grpc/, kafka/), which also
 * carry tenant, user and request id; an instrumentation would only add a
 * second span per call.
 */
import type { InstrumentationBase } from '@opentelemetry/instrumentation';
import { ExpressInstrumentation, ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';

/** Paths of the ops endpoint (ops-server.ts), polled by probes and Prometheus. */
const OPS_PATHS = new Set(['/metrics', '/livez', '/readyz']);

/** A live event stream: asked for as one (EventSource sends this), or on a `…/stream` path. */
const isEventStream = (path: string, accept: string | string[] | undefined) =>
  path.endsWith('/stream') || String(accept ?? '').includes('text/event-stream');

export function hmsInstrumentations(common: { enabled?: boolean } = {}): InstrumentationBase[] {
  return [
    new PgInstrumentation({
      ...common,
      requireParentSpan: true,
      enhancedDatabaseReporting: false,
      addSqlCommenterCommentToQueries: false,
    }),
    new IORedisInstrumentation({ ...common, requireParentSpan: true }),
    new HttpInstrumentation({
      ...common,
      ignoreIncomingRequestHook: (req) => {
        const path = (req.url ?? '').split('?')[0] ?? '';
        return OPS_PATHS.has(path) || isEventStream(path, req.headers.accept);
      },
      requireParentforOutgoingSpans: true,
    }),
    new ExpressInstrumentation({
      ...common,
      ignoreLayersType: [ExpressLayerType.MIDDLEWARE, ExpressLayerType.ROUTER],
    }),
  ];
}
