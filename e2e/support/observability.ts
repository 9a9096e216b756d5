/**
 * What the observability suites read: Prometheus' HTTP API, Jaeger's query
 * API, Alertmanager's API and the local webhook receiver, each on the test
 * profile's ports. Plus a short, bounded load through nginx that touches every
 * path the dashboards show.
 */
import { randomUUID } from 'node:crypto';
import { eventually } from '@hms/platform/testing';
import { call, newTenant, slot } from './stack.js';

const env = process.env;
const url = (port: string | undefined, path: string) => {
  if (!port) throw new Error(`port for ${path} is not set: run the suite through scripts/hms test`);
  return `http://127.0.0.1:${port}${path}`;
};
export const prometheusUrl = (path: string) => url(env.HMS_PROMETHEUS_PORT, path);
export const jaegerUrl = (path: string) => url(env.HMS_JAEGER_PORT, path);
export const alertmanagerUrl = (path: string) => url(env.HMS_ALERTMANAGER_PORT, path);
export const receiverUrl = (path: string) => url(env.HMS_ALERT_RECEIVER_PORT, path);

export interface PromResult {
  status: 'success' | 'error';
  error?: string;
  data?: { resultType: string; result: { metric: Record<string, string>; value?: [number, string] }[] };
}

export async function promQuery(query: string): Promise<PromResult> {
  const response = await fetch(prometheusUrl('/api/v1/query'), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ query }),
  });
  return (await response.json()) as PromResult;
}

/**
 * A short load on a new tenant, through nginx: bookings, reads, check-ins (the
 * queue's events), bills, queue and audit reads, and a few requests that fail on
 * purpose (bad input, unknown ids). Bounded: about 120 requests. Returns once
 * billing and the queue have applied the events.
 */
export async function shortLoad(bookings = 12): Promise<void> {
  const tenant = await newTenant();
  const token = tenant.token;
  const doctor = tenant.nightDoctor.id;
  const ids: string[] = [];
  for (let i = 0; i < bookings; i += 1) {
    const r = await call('POST', '/appointments', {
      token,
      headers: { 'idempotency-key': randomUUID() },
      body: { patientId: tenant.patients[i % tenant.patients.length]!.id, doctorId: doctor, startsAt: slot(i + 1) },
    });
    if (r.status !== 201) throw new Error(`booking ${i} answered ${r.status}: ${JSON.stringify(r.body)}`);
    ids.push(String((r.json.appointment as { id: string }).id));
  }
  for (const id of ids.slice(0, Math.ceil(bookings / 2))) {
    await call('POST', `/appointments/${id}/check-in`, { token });
  }
  for (const id of ids) {
    await call('GET', `/appointments/${id}`, { token });
    await call('GET', `/bills?appointmentId=${id}`, { token });
  }
  await call('GET', `/queues/${doctor}?date=${slot(1).slice(0, 10)}`, { token });
  await call('GET', `/audit?entityId=${ids[0]}`, { token });
  // Failures on purpose: an unknown appointment (404, NOT_FOUND), bad input (400), no token (401).
  await call('GET', `/appointments/${randomUUID()}`, { token });
  await call('POST', '/appointments', { token, body: { patientId: 'nope' } });
  await call('GET', `/appointments/${ids[0]}`);
  await eventually(
    async () => {
      const r = await call('GET', `/bills?appointmentId=${ids.at(-1)}`, { token });
      return (r.json.data as unknown[] | undefined)?.length ? true : undefined;
    },
    { what: 'the last bill', timeoutMs: 30_000 },
  );
}
