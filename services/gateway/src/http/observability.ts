/**
 * Per request: the request id (from nginx, or new), a SERVER span continuing
 * the caller's W3C trace, the request context every log line and gRPC call
 * carries, and the RED histogram labelled with the route template.
 */
import { randomUUID } from 'node:crypto';
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import type { RequestHandler } from 'express';
import {
  contextFromCarrier,
  recordGetter,
  runWithContext,
  secondsSince,
  SpanKind,
  tracer,
  type Metrics,
} from '@hms/platform';

const REQUEST_ID = /^[\w.:-]{1,128}$/;

export function observe(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const incoming = req.get('x-request-id');
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader('x-request-id', requestId);

    const parent = contextFromCarrier(req.headers as Record<string, string | undefined>, recordGetter);
    const span = tracer().startSpan(
      `${req.method} ${req.path}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method, 'url.path': req.path } },
      parent,
    );
    res.setHeader('x-trace-id', span.spanContext().traceId);

    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      const route = req.route ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      const status = res.writableFinished ? res.statusCode : 499;
      span.updateName(`${req.method} ${route}`);
      span.setAttribute('http.route', route);
      span.setAttribute('http.response.status_code', status);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
      metrics.httpServerDuration.observe(
        { method: req.method, route, status_code: String(status) },
        secondsSince(started),
      );
    };
    res.on('finish', finish);
    res.on('close', finish);

    context.with(trace.setSpan(parent, span), () => runWithContext({ requestId }, () => next()));
  };
}
