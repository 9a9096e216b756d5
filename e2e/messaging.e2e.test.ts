/**
 * Nothing lost without a sound, on the running processes: the audit consumer
 * far behind catches up with no dead letter and nothing twice; a dead-lettered
 * event alerts and, after the fix, `scripts/hms dlq replay` applies it once in
 * the group that failed it; a parked outbox event alerts and `scripts/hms
 * outbox retry` lets it and the event behind it out in order.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { EVENTS, toTimestamp } from '@hms/proto';
import {
  createDatabase,
  createOutboxWriter,
  messagingSchemaOf,
  newId,
  pendingEvent,
  type DeadLetter,
  type RefusedOutboxEvent,
} from '@hms/platform';
import { closeTestPublisher, eventually, publishTestEvent, tapEvents, testEnv } from '@hms/platform/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, newTenant, ROOT, slot, stack, type DemoTenant } from './support/stack.js';

/** A department for hand-made booking events (billing needs one, never looks it up). */
const DEPARTMENT_ID = newId();

type Json = Record<string, unknown>;
const run = promisify(execFile);
let admin: pg.Pool;

/** `scripts/hms <args> --profile test`, as an operator types it; returns what it printed. */
async function hms(...args: string[]): Promise<string> {
  const { stdout } = await run(path.join(ROOT, 'scripts', 'hms'), [...args, '--profile', 'test'], {
    env: { ...process.env, HMS_PROFILE: 'test' },
    timeout: 120_000,
  });
  return stdout;
}

const deadLetters = async (topic: string) => JSON.parse(await hms('dlq', 'list', topic, '--json')) as DeadLetter[];

/** The alerts Prometheus has firing now. */
async function firing(alertname: string): Promise<Json[]> {
  const r = await fetch(`http://127.0.0.1:${process.env.HMS_PROMETHEUS_PORT}/api/v1/alerts`);
  const body = (await r.json()) as { data: { alerts: { labels: Json; state: string }[] } };
  return body.data.alerts.filter((a) => a.labels.alertname === alertname && a.state === 'firing').map((a) => a.labels);
}

/** The samples of a metric family on one service's ops port. */
async function samples(opsPort: string | undefined, name: string): Promise<number[]> {
  const text = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .map((l) => Number(l.split(' ').pop()));
}

/** Every record of the tenant's audit trail since `from`, through the API, following the cursor. */
async function auditTrail(t: DemoTenant, from: string): Promise<Json[]> {
  const records: Json[] = [];
  let cursor = '';
  for (;;) {
    const r = await call('GET', `/audit?from=${from}&limit=200${cursor ? `&cursor=${cursor}` : ''}`, {
      token: t.token,
    });
    expect(r.status).toBe(200);
    records.push(...(r.json.data as Json[]));
    if (!r.json.nextCursor) return records;
    cursor = String(r.json.nextCursor);
  }
}

async function bookingsOf(t: DemoTenant, count: number, firstSlot: number): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  const worker = async () => {
    for (let n = next++; n < count; n = next++) {
      const r = await call('POST', '/appointments', {
        token: t.token,
        headers: { 'idempotency-key': newId() },
        body: {
          patientId: t.patients[n % t.patients.length]!.id,
          doctorId: t.nightDoctor.id,
          startsAt: slot(firstSlot + n),
        },
      });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      ids.push(String((r.json.appointment as Json).id));
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return ids;
}

beforeAll(() => {
  admin = new pg.Pool({ connectionString: testEnv().HMS_PG_ADMIN_URL, max: 3 });
});

afterAll(async () => {
  await closeTestPublisher();
  await admin.end();
  // Whatever a failed test left stopped is started again for the suites after this one.
  await stack('hms', 'services', 'up');
});

describe('messaging under faults', () => {
  it('audit stopped while 150 bookings are billed catches up with all 300 events once and no dead letter', async () => {
    const t = await newTenant();
    const from = new Date(Date.now() - 60_000).toISOString();
    const [dlqBefore] = (JSON.parse(await hms('dlq', 'list', '--json')) as { topic: string; total: number }[]).filter(
      (s) => s.topic === 'hms.audit.dlq',
    );
    await stack('hms', 'services', 'down', 'audit');
    let appointments: string[];
    try {
      appointments = await bookingsOf(t, 150, 1);
      // Every bill.created is on Kafka too before audit comes back: it starts 300 events behind.
      await eventually(
        async () => {
          const r = await call('GET', '/bills?limit=200', { token: t.token });
          return (r.json.data as Json[]).length >= 150 ? true : undefined;
        },
        { what: '150 bills', timeoutMs: 120_000, intervalMs: 500 },
      );
    } finally {
      await stack('hms', 'services', 'up', 'audit');
    }
    const started = Date.now();
    // The trail also holds the polling's reads of the bills (record.accessed): not this test's events.
    const trail = await eventually(
      async () => {
        const records = (await auditTrail(t, from)).filter((r) => r.eventType !== 'record.accessed');
        return records.length >= 300 ? records : undefined;
      },
      { what: '300 audit records', timeoutMs: 120_000, intervalMs: 1_000 },
    );
    console.log(`audit caught up with 300 events in ${Date.now() - started} ms after its start`);
    expect(trail).toHaveLength(300);
    expect(new Set(trail.map((r) => r.eventId)).size).toBe(300);
    const types = trail.map((r) => r.eventType);
    expect(types.filter((x) => x === 'appointment.booked')).toHaveLength(150);
    expect(types.filter((x) => x === 'bill.created')).toHaveLength(150);
    expect(new Set(trail.filter((r) => r.eventType === 'appointment.booked').map((r) => r.entityId))).toEqual(
      new Set(appointments!),
    );
    // Zero dead letters: none on the topic, none counted by the audit process.
    const [dlqAfter] = (JSON.parse(await hms('dlq', 'list', '--json')) as { topic: string; total: number }[]).filter(
      (s) => s.topic === 'hms.audit.dlq',
    );
    expect(dlqAfter!.total).toBe(dlqBefore!.total);
    expect(await samples(process.env.HMS_AUDIT_OPS_PORT, 'hms_kafka_dead_letters_total')).toEqual([]);
  });

  it('a dead-lettered event alerts, and after the fix `dlq replay` applies it once, in the failing group only', async () => {
    const t = await newTenant();
    // Earlier suites' poison events are not this test's to replay.
    await hms('dlq', 'skip', 'hms.billing.dlq');
    const appointmentId = newId();
    const constraint = `e2e_refuse_${appointmentId.replaceAll('-', '').slice(-12)}`;
    const event = {
      tenantId: t.tenantId,
      key: `${t.tenantId}:${t.nightDoctor.id}:2030-02-01`,
      subject: `appointment/${appointmentId}`,
      id: newId(),
      data: {
        appointmentId,
        patientId: t.patients[0]!.id,
        doctorId: t.nightDoctor.id,
        startsAt: toTimestamp(new Date('2030-02-01T10:00:00Z')),
        endsAt: toTimestamp(new Date('2030-02-01T10:15:00Z')),
        serviceDate: '2030-02-01',
        consultationFeeMinor: 1_000,
        hospitalFeeMinor: 500,
        currency: 'INR',
        // Billing's daily report groups by it; the contract requires one.
        departmentId: DEPARTMENT_ID,
      },
    };
    // The fault: a database rule that refuses this one bill, as a bad deploy or bad data would.
    await admin.query(
      `ALTER TABLE billing.bills ADD CONSTRAINT ${constraint} CHECK (appointment_id <> '${appointmentId}') NOT VALID`,
    );
    try {
      await publishTestEvent(EVENTS.appointmentBooked, event);
      const letter = await eventually(
        async () => (await deadLetters('hms.billing.dlq')).find((l) => l.eventId === event.id),
        { what: 'the dead letter', timeoutMs: 60_000, intervalMs: 1_000 },
      );
      expect(letter).toMatchObject({
        eventType: 'appointment.booked',
        tenantId: t.tenantId,
        consumerGroup: 'hms.billing',
        originalTopic: EVENTS.appointmentBooked.topic,
        attempts: 5,
        handled: false,
      });
      expect(letter.reason).not.toBe('');
      const alerts = await eventually(
        async () => {
          const a = await firing('KafkaDeadLettersPending');
          return a.some((l) => l.group === 'hms.billing') ? a : undefined;
        },
        { what: 'the KafkaDeadLettersPending alert to fire', timeoutMs: 90_000, intervalMs: 2_000 },
      );
      expect(alerts).toContainEqual(expect.objectContaining({ group: 'hms.billing', severity: 'warning' }));
    } finally {
      await admin.query(`ALTER TABLE billing.bills DROP CONSTRAINT IF EXISTS ${constraint}`);
    }

    expect(JSON.parse(await hms('dlq', 'replay', 'hms.billing.dlq', '--json'))).toEqual({
      replayed: 1,
      retryTopic: 'hms.billing.retry',
    });
    const bills = await eventually(
      async () => {
        const r = await call('GET', `/bills?appointmentId=${appointmentId}`, { token: t.token });
        return (r.json.data as Json[]).length > 0 ? (r.json.data as Json[]) : undefined;
      },
      { what: 'the bill of the replayed event', timeoutMs: 30_000 },
    );
    expect(bills).toHaveLength(1);
    expect(bills[0]).toMatchObject({ totalMinor: 1_500 });
    // A second replay sends nothing; the bill stays one.
    expect(JSON.parse(await hms('dlq', 'replay', 'hms.billing.dlq', '--json'))).toMatchObject({ replayed: 0 });
    expect((await deadLetters('hms.billing.dlq')).filter((l) => l.eventId === event.id && !l.handled)).toEqual([]);
    const again = await call('GET', `/bills?appointmentId=${appointmentId}`, { token: t.token });
    expect(again.json.data as Json[]).toHaveLength(1);
    // Audit recorded the event once, from its topic; the replay went to billing's retry topic only.
    const trail = (await auditTrail(t, '2000-01-01T00:00:00Z')).filter((r) => r.eventId === event.id);
    expect(trail).toHaveLength(1);
  });

  it('a parked outbox event alerts, holds its key back, and `outbox retry` lets both out in order', async () => {
    const t = await newTenant();
    const key = `${t.tenantId}:${t.nightDoctor.id}:2030-03-01`;
    const booked = (appointmentId: string) => ({
      key,
      tenantId: t.tenantId,
      subject: `appointment/${appointmentId}`,
      data: {
        appointmentId,
        patientId: t.patients[0]!.id,
        doctorId: t.nightDoctor.id,
        startsAt: toTimestamp(new Date('2030-03-01T10:00:00Z')),
        endsAt: toTimestamp(new Date('2030-03-01T10:15:00Z')),
        serviceDate: '2030-03-01',
        consultationFeeMinor: 1_000,
        hospitalFeeMinor: 500,
        currency: 'INR',
        // Billing's daily report groups by it; the contract requires one.
        departmentId: DEPARTMENT_ID,
      },
    });
    const tap = await tapEvents([EVENTS.appointmentBooked.topic]);
    const outbox = createOutboxWriter({ schema: 'appointments', source: 'appointments' });
    const db = createDatabase({ pool: admin, outbox });
    let first = '';
    let second = '';
    try {
      // Two events of one key, written as appointments writes them, the first as the relay
      // leaves a row Kafka refused on every attempt (the relay's own parking is tested in
      // packages/platform/src/kafka/outbox-refusals.int.test.ts against a real refusal).
      await db.transaction(t.tenantId, async (tx) => {
        [first = '', second = ''] = await outbox.write(tx, [
          pendingEvent(EVENTS.appointmentBooked, booked(newId())),
          pendingEvent(EVENTS.appointmentBooked, booked(newId())),
        ]);
        await tx.execute(
          `UPDATE ${messagingSchemaOf('appointments')}.outbox
              SET attempts = 5, parked_at = now(), last_error = 'MESSAGE_TOO_LARGE: refused (set by the e2e test)'
            WHERE id = $1::uuid`,
          [first],
        );
      });
      const listed = JSON.parse(await hms('outbox', 'list', 'appointments', '--json')) as {
        appointments: RefusedOutboxEvent[];
      };
      expect(listed.appointments.find((e) => e.id === first)).toMatchObject({
        state: 'parked',
        attempts: 5,
        waitingBehind: 1,
        eventType: 'appointment.booked',
      });
      expect(await samples(process.env.HMS_APPOINTMENTS_OPS_PORT, 'hms_outbox_parked_events')).toEqual([1]);
      expect(await samples(process.env.HMS_APPOINTMENTS_OPS_PORT, 'hms_outbox_blocked_events')).toEqual([1]);
      await eventually(
        async () => ((await firing('OutboxEventParked')).some((l) => l.job === 'appointments') ? true : undefined),
        { what: 'the OutboxEventParked alert to fire', timeoutMs: 60_000, intervalMs: 2_000 },
      );
      // Neither went out while the first was parked.
      expect(tap.received.filter((e) => e.envelope.id === first || e.envelope.id === second)).toEqual([]);

      expect(await hms('outbox', 'retry', 'appointments', first)).toContain('1 outbox events of appointments');
      await tap.waitFor((e) => e.envelope.id === second, 30_000);
      expect(tap.received.filter((e) => e.key === key).map((e) => e.envelope.id)).toEqual([first, second]);
      expect(await samples(process.env.HMS_APPOINTMENTS_OPS_PORT, 'hms_outbox_parked_events')).toEqual([0]);
      const after = JSON.parse(await hms('outbox', 'list', 'appointments', '--json')) as {
        appointments: RefusedOutboxEvent[];
      };
      expect(after.appointments.filter((e) => e.id === first)).toEqual([]);
    } finally {
      // Never leave a parked row behind for the suites after this one.
      await admin.query(
        `UPDATE ${messagingSchemaOf('appointments')}.outbox SET parked_at = NULL, attempts = 0 WHERE id = $1::uuid AND published_at IS NULL`,
        [first || newId()],
      );
      await tap.stop();
    }
  });
});
