/**
 * Traces you can open: one booking, found in the stack's Jaeger by the request
 * id nginx gave it, has spans of the gateway, appointments, the Kafka consumers
 * of billing and audit, and the database; its trace id is in nginx's access log
 * beside the request id (and in every service log line written under it), and,
 * as exemplars, on the latency histograms in Prometheus.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { eventually } from '@hms/platform/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { jaegerUrl, prometheusUrl } from './support/observability.js';
import { call, newTenant, ROOT, slot, type DemoTenant } from './support/stack.js';

interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  processID: string;
  tags: { key: string; value: unknown }[];
}
interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
}

let tenant: DemoTenant;
beforeAll(async () => {
  tenant = await newTenant();
});

const tag = (span: JaegerSpan, key: string) => span.tags.find((t) => t.key === key)?.value;
/** The pg instrumentation names the system db.system.name (newer semantic conventions) or db.system. */
const isPostgres = (span: JaegerSpan) => (tag(span, 'db.system.name') ?? tag(span, 'db.system')) === 'postgresql';

describe('traces', () => {
  it("finds a booking's trace by nginx's request id, across the gateway, appointments, Kafka, billing, audit and the database", async () => {
    const requestId = `e2e-trace-${randomUUID()}`;
    const booked = await call('POST', '/appointments', {
      token: tenant.token,
      headers: { 'x-request-id': requestId, 'idempotency-key': randomUUID() },
      body: { patientId: tenant.patients[0]!.id, doctorId: tenant.nightDoctor.id, startsAt: slot(3) },
    });
    expect(booked.status).toBe(201);
    expect(booked.headers.get('x-request-id')).toBe(requestId);
    const traceId = booked.headers.get('x-trace-id')!;
    expect(traceId).toMatch(/^[\da-f]{32}$/);

    // Each hop's spans, as Jaeger has them (spans arrive in batches: wait for all of them).
    const hops = (t: JaegerTrace): Record<string, boolean> => {
      const serviceOf = (s: JaegerSpan) => t.processes[s.processID]?.serviceName;
      const has = (service: string, test: (s: JaegerSpan) => boolean) =>
        t.spans.some((s) => serviceOf(s) === service && test(s));
      return {
        'gateway request span with the request id': has('hms-gateway', (s) => tag(s, 'hms.request_id') === requestId),
        'gateway gRPC call': has('hms-gateway', (s) => tag(s, 'rpc.system') === 'grpc'),
        'appointments gRPC server': has('hms-appointments', (s) => tag(s, 'rpc.system') === 'grpc'),
        'appointments SQL': has('hms-appointments', isPostgres),
        'billing Kafka consumer': has('hms-billing', (s) => tag(s, 'messaging.system') === 'kafka'),
        'billing SQL': has('hms-billing', isPostgres),
        'audit Kafka consumer': has('hms-audit', (s) => tag(s, 'messaging.system') === 'kafka'),
        'audit SQL': has('hms-audit', isPostgres),
      };
    };
    let last: Record<string, boolean> = {};
    const found = await eventually(
      async () => {
        const query = new URLSearchParams({
          service: 'hms-gateway',
          tags: JSON.stringify({ 'hms.request_id': requestId }),
          lookback: '1h',
          limit: '5',
        });
        const body = (await (await fetch(jaegerUrl(`/api/traces?${query}`))).json()) as { data: JaegerTrace[] };
        const t = body.data?.[0];
        if (!t) return undefined;
        last = hops(t);
        return Object.values(last).every(Boolean) ? t : undefined;
      },
      { what: 'the whole trace in Jaeger', timeoutMs: 90_000, intervalMs: 2_000 },
    ).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}; hops seen: ${JSON.stringify(last)}`);
    });
    expect(found.traceID).toBe(traceId);
    expect(Object.values(hops(found)).every(Boolean)).toBe(true);
    // Jaeger serves the trace by its id too (what a link from a log line or an exemplar opens).
    const byId = (await (await fetch(jaegerUrl(`/api/traces/${traceId}`))).json()) as { data: JaegerTrace[] };
    expect(byId.data[0]?.traceID).toBe(traceId);
  });

  it("trace ids are in nginx's access log beside the request id, and on the latency histograms as exemplars", async () => {
    const requestId = `e2e-log-${randomUUID()}`;
    const booked = await call('POST', '/appointments', {
      token: tenant.token,
      headers: { 'idempotency-key': randomUUID(), 'x-request-id': requestId },
      body: { patientId: tenant.patients[1]!.id, doctorId: tenant.nightDoctor.id, startsAt: slot(4) },
    });
    expect(booked.status).toBe(201);
    const traceId = booked.headers.get('x-trace-id')!;

    // One JSON line per request (flushed every second): the request id leads to the trace.
    const line = await eventually(
      async () => {
        const log = await readFile(path.join(ROOT, '.hms', 'test', 'logs', 'nginx-access.log'), 'utf8');
        return log.split('\n').find((l) => l.includes(`"request_id":"${requestId}"`));
      },
      { what: "the booking's line in nginx's access log", timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(JSON.parse(line)).toMatchObject({ request_id: requestId, trace_id: traceId, status: 201 });

    const exemplars = await eventually(
      async () => {
        const now = Date.now() / 1000;
        const query = new URLSearchParams({
          query: 'hms_http_server_request_duration_seconds_bucket{job="gateway"}',
          start: String(now - 600),
          end: String(now),
        });
        const body = (await (await fetch(prometheusUrl(`/api/v1/query_exemplars?${query}`))).json()) as {
          data: { exemplars: { labels: Record<string, string> }[] }[];
        };
        const ids = body.data.flatMap((s) => s.exemplars.map((e) => e.labels.trace_id));
        return ids.includes(traceId) ? ids : undefined;
      },
      { what: "the booking's trace id as an exemplar", timeoutMs: 60_000, intervalMs: 2_000 },
    );
    expect(exemplars.every((id) => /^[\da-f]{32}$/.test(id ?? ''))).toBe(true);
  });
});
