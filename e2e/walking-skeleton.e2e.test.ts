/**
 * One booking through every hop: nginx -> gateway -> gRPC -> appointments ->
 * Postgres + outbox -> Kafka -> billing, queue and audit; read back through
 * the gateway. One trace id follows it all.
 */
import { eventually, testEnv } from '@hms/platform/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { call, newTenant, newTrace, slot, type DemoTenant } from './support/stack.js';

let tenant: DemoTenant;

beforeAll(async () => {
  tenant = await newTenant();
});

type Json = Record<string, unknown>;

describe('walking skeleton', () => {
  it('books, checks in, bills, queues and audits one appointment under one trace id', async () => {
    const trace = newTrace();
    const booked = await call('POST', '/appointments', {
      token: tenant.token,
      headers: { traceparent: trace.header(), 'idempotency-key': `e2e-${trace.traceId}` },
      body: { patientId: tenant.patients[0]!.id, doctorId: tenant.nightDoctor.id, startsAt: slot(2), reason: 'fever' },
    });
    expect(booked.status).toBe(201);
    expect(booked.headers.get('x-trace-id')).toBe(trace.traceId);
    expect(booked.headers.get('x-request-id')).toBeTruthy();
    const appointment = booked.json.appointment as Json;
    expect(appointment).toMatchObject({
      status: 'booked',
      traceId: trace.traceId,
      consultationFeeMinor: 70_000,
      hospitalFeeMinor: 20_000,
      currency: 'INR',
    });
    expect(booked.headers.get('location')).toBe(`/api/v1/appointments/${String(appointment.id)}`);
    const id = String(appointment.id);

    const checkedIn = await call('POST', `/appointments/${id}/check-in`, {
      token: tenant.token,
      headers: { traceparent: trace.header() },
    });
    expect(checkedIn.status).toBe(200);
    expect((checkedIn.json.appointment as Json).status).toBe('checked_in');

    const read = await call('GET', `/appointments/${id}`, { token: tenant.token });
    expect(read.status).toBe(200);
    expect((read.json.appointment as Json).id).toBe(id);

    const bill = await eventually(
      async () => {
        const r = await call('GET', `/bills?appointmentId=${id}`, { token: tenant.token });
        return (r.json.data as Json[] | undefined)?.[0];
      },
      { what: 'the bill', timeoutMs: 30_000 },
    );
    expect(bill).toMatchObject({
      appointmentId: id,
      patientId: tenant.patients[0]!.id,
      currency: 'INR',
      totalMinor: 90_000,
      traceId: trace.traceId,
    });
    const items = (bill.items as Json[]).map((item) => [item.kind, item.amountMinor]);
    expect(items).toEqual(
      expect.arrayContaining([
        ['consultation_fee', 70_000],
        ['hospital_fee', 20_000],
      ]),
    );

    const entry = await eventually(
      async () => {
        const r = await call('GET', `/queues/${tenant.nightDoctor.id}?date=${String(appointment.serviceDate)}`, {
          token: tenant.token,
        });
        return (r.json.entries as Json[] | undefined)?.find((e) => e.appointmentId === id);
      },
      { what: 'the queue entry', timeoutMs: 30_000 },
    );
    expect(entry).toMatchObject({ tokenNumber: 1, position: 1, status: 'waiting', traceId: trace.traceId });

    const audit = await eventually(
      async () => {
        const r = await call('GET', `/audit?entityId=${id}`, { token: tenant.token });
        // Its own events; this test's read of the appointment is on the trail too, as record.accessed.
        const records = ((r.json.data as Json[] | undefined) ?? []).filter((x) => x.eventType !== 'record.accessed');
        return records.length >= 2 ? records : undefined;
      },
      { what: 'the audit records of the appointment', timeoutMs: 30_000 },
    );
    expect(audit.map((r) => r.eventType).sort()).toEqual(['appointment.booked', 'appointment.checked_in']);
    expect(audit.every((r) => r.traceId === trace.traceId)).toBe(true);
    // The bill's and the queue entry's own events are in the trail too, under the same trace
    // (beside the record.accessed of this test's own reads, which carry those reads' traces).
    for (const entityId of [String(bill.id), String(entry.id)]) {
      const own = await eventually(
        async () => {
          const r = await call('GET', `/audit?entityId=${entityId}`, { token: tenant.token });
          return (r.json.data as Json[] | undefined)?.find((record) => record.eventType !== 'record.accessed');
        },
        { what: `the audit record of ${entityId}` },
      );
      expect(own.traceId).toBe(trace.traceId);
    }
  });

  it('spreads requests over both gateways (nginx least_conn)', async () => {
    const opsPorts = (testEnv().HMS_GATEWAY_OPS_PORTS ?? '').split(' ').filter(Boolean);
    expect(opsPorts.length).toBeGreaterThanOrEqual(2);
    const served = async () =>
      Promise.all(
        opsPorts.map(async (port) => {
          const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
          const line = text
            .split('\n')
            .find(
              (l) =>
                l.startsWith('hms_http_server_request_duration_seconds_count') &&
                l.includes('route="/api/v1/appointments/:id"') &&
                l.includes('status_code="404"'),
            );
          return Number(line?.split(' ').at(-1) ?? 0);
        }),
      );
    const before = await served();
    for (let i = 0; i < 20; i += 1) {
      const r = await call('GET', `/appointments/${tenant.patients[0]!.id}`, { token: tenant.token });
      expect(r.status).toBe(404);
      expect(r.headers.get('content-type')).toMatch(/application\/problem\+json/);
    }
    const after = await served();
    const handled = after.map((n, i) => n - before[i]!);
    expect(handled.reduce((a, b) => a + b, 0)).toBe(20);
    expect(handled.every((n) => n > 0)).toBe(true);
  });
});
