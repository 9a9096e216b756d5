/**
 * Faults against the running processes: the Kafka broker away while bookings
 * keep coming, the same event delivered twice, services stopped with SIGTERM
 * under a stream of requests. Nothing accepted may be lost or applied twice.
 */
import { toTimestamp, EVENTS } from '@hms/proto';
import { newId } from '@hms/platform';
import { eventually, publishTestEvent, closeTestPublisher } from '@hms/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, newTenant, slot, stack, type DemoTenant } from './support/stack.js';

/** A department for hand-made booking events (billing needs one, never looks it up). */
const DEPARTMENT_ID = newId();

type Json = Record<string, unknown>;
let tenant: DemoTenant;

beforeAll(async () => {
  tenant = await newTenant();
});

afterAll(async () => {
  await closeTestPublisher();
  // Whatever a failed test left stopped is started again for the suites after this one.
  await stack('infra.sh', 'up', 'kafka');
  await stack('hms', 'services', 'up');
});

/** Every bill of the tenant, following the cursor. */
async function allBills(token: string): Promise<Json[]> {
  const bills: Json[] = [];
  let cursor = '';
  for (;;) {
    const r = await call('GET', `/bills?limit=200${cursor ? `&cursor=${cursor}` : ''}`, { token });
    expect(r.status).toBe(200);
    bills.push(...(r.json.data as Json[]));
    if (!r.json.nextCursor) return bills;
    cursor = String(r.json.nextCursor);
  }
}

async function book(t: DemoTenant, n: number, key = newId()) {
  return call('POST', '/appointments', {
    token: t.token,
    headers: { 'idempotency-key': key },
    body: { patientId: t.patients[n % t.patients.length]!.id, doctorId: t.nightDoctor.id, startsAt: slot(n) },
  });
}

describe('faults', () => {
  it('Kafka away: 50 bookings are all accepted, and after it returns 50 bills appear, none twice', async () => {
    await stack('infra.sh', 'down', 'kafka');
    try {
      const replies = [];
      for (let n = 1; n <= 50; n += 1) replies.push(await book(tenant, n));
      expect(replies.map((r) => r.status)).toEqual(Array(50).fill(201));
    } finally {
      await stack('infra.sh', 'up', 'kafka');
    }
    const bills = await eventually(
      async () => {
        const b = await allBills(tenant.token);
        return b.length >= 50 ? b : undefined;
      },
      { what: '50 bills after Kafka returned', timeoutMs: 120_000, intervalMs: 1_000 },
    );
    expect(bills).toHaveLength(50);
    expect(new Set(bills.map((b) => b.appointmentId)).size).toBe(50);
  });

  it('the same event delivered twice makes one bill', async () => {
    const appointmentId = newId();
    const event = {
      tenantId: tenant.tenantId,
      key: `${tenant.tenantId}:${tenant.nightDoctor.id}:2030-01-01`,
      subject: `appointment/${appointmentId}`,
      id: newId(),
      data: {
        appointmentId,
        patientId: tenant.patients[0]!.id,
        doctorId: tenant.nightDoctor.id,
        startsAt: toTimestamp(new Date('2030-01-01T10:00:00Z')),
        endsAt: toTimestamp(new Date('2030-01-01T10:15:00Z')),
        serviceDate: '2030-01-01',
        consultationFeeMinor: 1_000,
        hospitalFeeMinor: 500,
        currency: 'INR',
        // Billing's daily report groups by it; the contract requires one.
        departmentId: DEPARTMENT_ID,
      },
    };
    await publishTestEvent(EVENTS.appointmentBooked, event);
    await publishTestEvent(EVENTS.appointmentBooked, event);
    await eventually(
      async () => {
        const r = await call('GET', `/bills?appointmentId=${appointmentId}`, { token: tenant.token });
        return (r.json.data as Json[]).length > 0 ? true : undefined;
      },
      { what: 'the bill of the twice-delivered event' },
    );
    // Give the second copy every chance to be (wrongly) applied before counting.
    const marker = newId();
    await publishTestEvent(EVENTS.appointmentBooked, {
      ...event,
      id: newId(),
      subject: `appointment/${marker}`,
      data: { ...event.data, appointmentId: marker },
    });
    await eventually(
      async () => {
        const r = await call('GET', `/bills?appointmentId=${marker}`, { token: tenant.token });
        return (r.json.data as Json[]).length > 0 ? true : undefined;
      },
      { what: 'a later event on the same key to be billed' },
    );
    const r = await call('GET', `/bills?appointmentId=${appointmentId}`, { token: tenant.token });
    expect(r.json.data as Json[]).toHaveLength(1);
  });

  it('SIGTERM to a gateway, appointments and billing under a stream of requests loses no accepted booking', async () => {
    const streamTenant = await newTenant();
    const accepted = new Map<string, string>(); // idempotency key -> appointment id
    const outcomes: number[] = [];
    let stop = false;
    let n = 100;
    const client = async () => {
      while (!stop) {
        const key = newId();
        const slotNo = (n += 1);
        // A client that was not told "accepted" retries with the same key, as integrators should.
        for (let attempt = 0; attempt < 60 && !stop; attempt += 1) {
          const r = await book(streamTenant, slotNo, key).catch(() => undefined);
          outcomes.push(r?.status ?? 0);
          if (r && (r.status === 201 || r.status === 200)) {
            accepted.set(key, String((r.json.appointment as Json).id));
            break;
          }
          if (r && r.status < 500 && r.status !== 429)
            throw new Error(`unexpected ${r.status}: ${JSON.stringify(r.body)}`);
          await new Promise((res) => setTimeout(res, 250));
        }
      }
    };
    const clients = [client(), client(), client()];
    try {
      await new Promise((r) => setTimeout(r, 1_500));
      await stack('hms', 'services', 'restart', 'gateway-1');
      await new Promise((r) => setTimeout(r, 1_000));
      await stack('hms', 'services', 'restart', 'appointments');
      await new Promise((r) => setTimeout(r, 1_000));
      await stack('hms', 'services', 'restart', 'billing');
      await new Promise((r) => setTimeout(r, 1_500));
    } finally {
      stop = true;
      await Promise.all(clients);
    }
    expect(accepted.size).toBeGreaterThan(20);
    // Every accepted booking exists and is billed exactly once.
    for (const id of accepted.values()) {
      const r = await call('GET', `/appointments/${id}`, { token: streamTenant.token });
      expect(r.status).toBe(200);
    }
    const bills = await eventually(
      async () => {
        const b = await allBills(streamTenant.token);
        return b.length >= accepted.size ? b : undefined;
      },
      { what: 'a bill for every accepted booking', timeoutMs: 120_000, intervalMs: 1_000 },
    );
    expect(bills).toHaveLength(accepted.size);
    expect(new Set(bills.map((b) => b.appointmentId))).toEqual(new Set(accepted.values()));
    // Failures during the restarts were retryable answers, never a 500.
    expect(outcomes.filter((s) => s === 500)).toEqual([]);
  });
});
