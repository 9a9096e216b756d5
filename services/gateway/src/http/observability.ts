/**
 * Per request: the request id (from nginx, or new), the trace id of the
 * request's SERVER span (made by OpenTelemetry's http instrumentation, which
 * continues the caller's W3C trace; the express instrumentation names it
 * after the route template), the request context every log line and gRPC
 * call carries, the RED histogram labelled with the route template, and the
 * gauge of requests in flight (what the HPA scales the gateway on: it rises
 * before CPU does when a backend slows down), and the per-tenant figures
 * (tenant-metrics.ts): the gateway is the only process that labels by tenant.
 */
import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import {
  annotateActiveSpan,
  currentTraceId,
  Gauge,
  observeWithTrace,
  runWithContext,
  secondsSince,
  type Metrics,
} from '@hms/platform';
import type { TenantMetrics } from './tenant-metrics.js';

const REQUEST_ID = /^[\w.:-]{1,128}$/;

export function observe(metrics: Metrics, tenants?: TenantMetrics): RequestHandler {
  const name = 'hms_http_server_in_flight_requests';
  // One gauge per registry, even when an app is built twice on the same metrics.
  const inFlight =
    (metrics.registry.getSingleMetric(name) as Gauge | undefined) ??
    new Gauge({
      name,
      help: 'HTTP requests received and not yet answered (long-lived streams included)',
      registers: [metrics.registry],
    });
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    inFlight.inc();
    const incoming = req.get('x-request-id');
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader('x-request-id', requestId);

    const traceId = currentTraceId();
    if (traceId) res.setHeader('x-trace-id', traceId);
    // nginx's request id (or ours) on the request's span: Jaeger finds the trace by it.
    annotateActiveSpan({ 'hms.request_id': requestId });

    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      inFlight.dec();
      const route = req.route ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      const status = res.writableFinished ? res.statusCode : 499;
      const seconds = secondsSince(started);
      observeWithTrace(
        metrics.httpServerDuration,
        { method: req.method, route, status_code: String(status) },
        seconds,
        traceId,
      );
      // The tenant the authentication step found (none for requests refused before it).
      const tenantId = (res.locals.tenant as { id?: string } | undefined)?.id;
      if (tenants && tenantId) tenants.observe(tenantId, status, seconds);
    };
    res.on('finish', finish);
    res.on('close', finish);

    runWithContext({ requestId }, () => next());
  };
}
