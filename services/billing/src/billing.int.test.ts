/**
 * The billing service in-process against the test stack's real PostgreSQL and
 * Kafka: appointment.booked in, bills and bill.created out, exactly once;
 * poison parked on the dead-letter topic; bills read back over gRPC.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { status } from '@grpc/grpc-js';
import { createPrismaClient, fieldViolationsOf, newId, runWithContext, type GrpcClient } from '@hms/platform';
import {
  actAs,
  checkSchemaDrift,
  closeTestPublisher,
  ownerDatabaseUrl,
  eventually,
  grpcFailure,
  inProcessEnv,
  publishRaw,
  publishTestEvent,
  serviceDatabaseUrl,
  tapEvents,
  testClient,
  type EventTap,
} from '@hms/platform/testing';
import { EVENTS, decodeEventData, loadContracts, toTimestamp, type BillingServiceClient } from '@hms/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrismaClient } from './db/generated/client.js';
import { BILLING_CONSUMER_GROUP } from './events/appointment-events.consumer.js';
import { startBilling } from './main.js';

const DLQ_TOPIC = `${BILLING_CONSUMER_GROUP}.dlq`;
/** The consumer's first group join can take a while; results through Kafka get this long. */
const ARRIVAL_MS = 60_000;

let service: Awaited<ReturnType<typeof startBilling>>;
let client: GrpcClient<BillingServiceClient>;
let tap: EventTap;
let deadLetters: EventTap;
/** Reads rows as they are stored, as the schema's owner. */
const prisma = createPrismaClient(PrismaClient, ownerDatabaseUrl('billing'));
const tenantId = newId();
const patientId = newId();
const doctorId = newId();
/** Every booking of this file on one key: one partition, so a later event is handled after the earlier ones. */
const bookingKey = `${tenantId}:${doctorId}:2030-01-07`;

beforeAll(async () => {
  service = await startBilling(inProcessEnv('billing', { CONSUMER_MAX_ATTEMPTS: '2' }), { inProcess: true });
  client = testClient(loadContracts().hms.billing.v1.BillingService, service.grpcPort);
  tap = await tapEvents([EVENTS.billCreated.topic]);
  deadLetters = await tapEvents([DLQ_TOPIC]);
});

afterAll(async () => {
  client?.close();
  await tap?.stop();
  await deadLetters?.stop();
  await closeTestPublisher();
  await prisma.$disconnect();
  await service?.runtime.close('test done');
});

const asTenant = actAs(tenantId);

interface Booking {
  appointmentId: string;
  patientId?: string;
  tenantId?: string;
  consultation?: number;
  hospital?: number;
  currency?: string;
}

function booked(b: Booking) {
  const tenant = b.tenantId ?? tenantId;
  return {
    tenantId: tenant,
    key: tenant === tenantId ? bookingKey : `${tenant}:${doctorId}:2030-01-07`,
    subject: `appointment/${b.appointmentId}`,
    source: 'appointments',
    data: {
      appointmentId: b.appointmentId,
      patientId: b.patientId ?? patientId,
      doctorId,
      departmentId: newId(),
      startsAt: toTimestamp(new Date('2030-01-07T05:00:00Z')),
      endsAt: toTimestamp(new Date('2030-01-07T05:15:00Z')),
      serviceDate: '2030-01-07',
      consultationFeeMinor: b.consultation ?? 50_000,
      hospitalFeeMinor: b.hospital ?? 10_000,
      currency: b.currency ?? 'INR',
    },
  };
}

/** A ListBills request with no filter, the default page size and no cursor. */
const listing = { appointmentId: '', patientId: '', pageSize: 0, cursor: '' };

async function billsOf(appointmentId: string, tenant = tenantId) {
  const { bills } = await asTenant(() => client.call.listBills({ ...listing, appointmentId }), tenant);
  return bills;
}

/** Polls until the appointment's bill can be read. */
function waitForBill(appointmentId: string, tenant = tenantId) {
  return eventually(async () => (await billsOf(appointmentId, tenant))[0], {
    what: `the bill of appointment ${appointmentId}`,
    timeoutMs: ARRIVAL_MS,
  });
}

describe('billing service', () => {
  it('opens a bill with both fees for a booked appointment, under the booking trace id', async () => {
    const appointmentId = newId();
    const traceId = randomBytes(16).toString('hex');
    await publishTestEvent(EVENTS.appointmentBooked, {
      ...booked({ appointmentId, consultation: 70_000, hospital: 0, currency: 'USD' }),
      traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
    });
    const bill = await waitForBill(appointmentId);
    expect(bill).toMatchObject({
      appointmentId,
      patientId,
      currency: 'USD',
      totalMinor: 70_000,
      paidMinor: 0,
      status: 'BILL_STATUS_OPEN',
      traceId,
    });
    expect(bill.items.map((i) => [i.kind, i.quantity, i.unitPriceMinor, i.amountMinor])).toEqual([
      ['BILL_ITEM_KIND_CONSULTATION_FEE', 1, 70_000, 70_000],
      ['BILL_ITEM_KIND_HOSPITAL_FEE', 1, 0, 0],
    ]);
    const { bill: fetched } = await asTenant(() => client.call.getBill({ id: bill.id }));
    expect(fetched).toEqual(bill);

    const stored = await prisma.bill.findUniqueOrThrow({ where: { id: bill.id }, include: { items: true } });
    expect(stored.tenantId).toBe(tenantId);
    expect(stored.totalMinor).toBe(70_000n);
    expect(stored.items.every((i) => i.tenantId === tenantId)).toBe(true);
  });

  it('publishes bill.created for the new bill, keyed by tenant and appointment, continuing the booking trace', async () => {
    const appointmentId = newId();
    const traceId = randomBytes(16).toString('hex');
    await publishTestEvent(EVENTS.appointmentBooked, {
      ...booked({ appointmentId }),
      traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
    });
    const bill = await waitForBill(appointmentId);
    const event = await tap.waitFor((e) => e.envelope.subject === `bill/${bill.id}`, ARRIVAL_MS);
    expect(event.topic).toBe('hms.billing.v1');
    expect(event.key).toBe(`${tenantId}:${appointmentId}`);
    expect(event.envelope).toMatchObject({ type: 'bill.created', source: 'billing', tenantId });
    expect(decodeEventData(EVENTS.billCreated, event.envelope)).toEqual({
      billId: bill.id,
      appointmentId,
      patientId,
      currency: 'INR',
      totalMinor: 60_000,
      departmentId: expect.any(String),
    });
    expect(event.envelope.traceparent.split('-')[1]).toBe(traceId);
  });

  it('makes one bill of an event delivered twice, and of a second booking event for the same appointment', async () => {
    const appointmentId = newId();
    const event = { ...booked({ appointmentId }), id: newId() };
    await publishTestEvent(EVENTS.appointmentBooked, event);
    await publishTestEvent(EVENTS.appointmentBooked, event);
    // Another event id, other fees: only the one-bill-per-appointment rule stops this one.
    const again = await publishTestEvent(
      EVENTS.appointmentBooked,
      booked({ appointmentId, consultation: 1, hospital: 1 }),
    );
    // Same partition, so once this one is billed the three before it have been handled.
    const later = newId();
    await publishTestEvent(EVENTS.appointmentBooked, booked({ appointmentId: later }));
    await waitForBill(later);

    const bills = await billsOf(appointmentId);
    expect(bills).toHaveLength(1);
    expect(bills[0]!.totalMinor).toBe(60_000);
    expect(await prisma.bill.count({ where: { tenantId, appointmentId } })).toBe(1);
    expect(await prisma.billItem.count({ where: { tenantId, billId: bills[0]!.id } })).toBe(2);
    // Its bill.created was written once: the outbox rows of the bill's key, committed with the bills.
    const outbox = await service.runtime.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM billing_messaging.outbox WHERE key = $1 AND event_type = 'bill.created'`,
      [`${tenantId}:${appointmentId}`],
    );
    expect(outbox.rows[0]?.n).toBe(1);
    // Both event ids were handled (not dead-lettered on the unique index), each recorded once.
    const processed = await service.runtime.pool.query<{ event_id: string }>(
      `SELECT event_id::text FROM billing_messaging.processed_event WHERE consumer = $1 AND event_id = ANY($2::uuid[])`,
      [BILLING_CONSUMER_GROUP, [event.id, again]],
    );
    expect(processed.rows.map((r) => r.event_id).sort()).toEqual([event.id, again].sort());
  });

  it('dead-letters an undecodable message and an impossible fee with the reason, then goes on', async () => {
    const negative = newId();
    const negativeEventId = await publishTestEvent(
      EVENTS.appointmentBooked,
      booked({ appointmentId: negative, hospital: -5 }),
    );
    // 0xff is a field tag of wire type 7, which protobuf does not have: never an envelope.
    const garbage = Buffer.concat([Buffer.from([0xff, 0x00, 0x13]), randomBytes(16)]);
    await publishRaw(EVENTS.appointmentBooked.topic, bookingKey, garbage);
    const after = newId();
    await publishTestEvent(EVENTS.appointmentBooked, booked({ appointmentId: after }));

    await waitForBill(after);
    expect(await billsOf(negative)).toEqual([]);
    expect(await prisma.bill.count({ where: { tenantId, appointmentId: negative } })).toBe(0);

    const poisoned = await deadLetters.waitFor((m) => m.headers['ce-id'] === negativeEventId, ARRIVAL_MS);
    expect(poisoned.headers['x-dlq-reason']).toMatch(/hospitalFeeMinor: must be a non-negative whole number/);
    expect(poisoned.headers['x-dlq-consumer-group']).toBe(BILLING_CONSUMER_GROUP);
    expect(poisoned.headers['x-dlq-original-topic']).toBe(EVENTS.appointmentBooked.topic);
    // Poison is not retried: dead-lettered on the first attempt.
    expect(poisoned.headers['x-dlq-attempts']).toBe('1');
    expect(poisoned.key).toBe(bookingKey);

    const undecodable = await deadLetters.waitForUndecodable((m) => m.value.equals(garbage), ARRIVAL_MS);
    expect(undecodable.headers['x-dlq-reason']).toMatch(/^undecodable envelope/);
    expect(undecodable.headers['x-dlq-original-topic']).toBe(EVENTS.appointmentBooked.topic);
    expect(undecodable.key).toBe(bookingKey);
  });

  it('filters by appointment and by patient, newest first', async () => {
    const otherPatient = newId();
    const mine = [newId(), newId()];
    const theirs = newId();
    await publishTestEvent(EVENTS.appointmentBooked, booked({ appointmentId: mine[0]!, patientId: otherPatient }));
    await publishTestEvent(EVENTS.appointmentBooked, booked({ appointmentId: theirs }));
    await publishTestEvent(EVENTS.appointmentBooked, booked({ appointmentId: mine[1]!, patientId: otherPatient }));
    await waitForBill(mine[1]!);

    const byPatient = await asTenant(() => client.call.listBills({ ...listing, patientId: otherPatient }));
    expect(byPatient.bills.map((b) => b.appointmentId)).toEqual([mine[1], mine[0]]);
    expect(byPatient.nextCursor).toBe('');

    const byAppointment = await billsOf(theirs);
    expect(byAppointment.map((b) => [b.appointmentId, b.patientId])).toEqual([[theirs, patientId]]);

    const both = await asTenant(() =>
      client.call.listBills({ ...listing, appointmentId: theirs, patientId: otherPatient }),
    );
    expect(both.bills).toEqual([]);
  });

  it('pages through every bill once, newest first, with no gaps or repeats', async () => {
    const pagedPatient = newId();
    const appointments = Array.from({ length: 5 }, () => newId());
    for (const appointmentId of appointments) {
      await publishTestEvent(EVENTS.appointmentBooked, booked({ appointmentId, patientId: pagedPatient }));
    }
    await waitForBill(appointments.at(-1)!);

    const seen: { id: string; appointmentId: string }[] = [];
    const sizes: number[] = [];
    let cursor = '';
    do {
      const page = await asTenant(() =>
        client.call.listBills({ ...listing, patientId: pagedPatient, pageSize: 2, cursor }),
      );
      sizes.push(page.bills.length);
      seen.push(...page.bills);
      cursor = page.nextCursor;
    } while (cursor && sizes.length < 10);
    expect(sizes).toEqual([2, 2, 1]);
    // Billed in publishing order (one partition), so newest first is the reverse.
    expect(seen.map((b) => b.appointmentId)).toEqual([...appointments].reverse());
    const stored = await prisma.bill.findMany({
      where: { tenantId, patientId: pagedPatient },
      orderBy: { id: 'desc' },
      select: { id: true },
    });
    expect(seen.map((b) => b.id)).toEqual(stored.map((b) => b.id));

    // All of the tenant's bills, in pages of the largest size, are the stored ones too.
    const all: string[] = [];
    cursor = '';
    do {
      const page = await asTenant(() => client.call.listBills({ ...listing, pageSize: 200, cursor }));
      all.push(...page.bills.map((b) => b.id));
      cursor = page.nextCursor;
    } while (cursor);
    const everything = await prisma.bill.findMany({
      where: { tenantId },
      orderBy: { id: 'desc' },
      select: { id: true },
    });
    expect(all).toEqual(everything.map((b) => b.id));
  });

  it('keeps tenants apart: another tenant sees none of these bills, and has its own for the same appointment id', async () => {
    const appointmentId = newId();
    const otherTenant = newId();
    await publishTestEvent(EVENTS.appointmentBooked, booked({ appointmentId }));
    const mine = await waitForBill(appointmentId);
    await publishTestEvent(
      EVENTS.appointmentBooked,
      booked({ appointmentId, tenantId: otherTenant, consultation: 123, hospital: 4 }),
    );
    const theirs = await waitForBill(appointmentId, otherTenant);

    expect(theirs.id).not.toBe(mine.id);
    expect(theirs.totalMinor).toBe(127);
    expect(mine.totalMinor).toBe(60_000);
    expect((await billsOf(appointmentId)).map((b) => b.id)).toEqual([mine.id]);
    expect((await billsOf(appointmentId, otherTenant)).map((b) => b.id)).toEqual([theirs.id]);

    const theirList = await asTenant(() => client.call.listBills({ ...listing, pageSize: 200 }), otherTenant);
    expect(theirList.bills.map((b) => b.id)).toEqual([theirs.id]);
    const byPatient = await asTenant(() => client.call.listBills({ ...listing, patientId }), otherTenant);
    expect(byPatient.bills.map((b) => b.id)).toEqual([theirs.id]);

    const hidden = await grpcFailure(asTenant(() => client.call.getBill({ id: mine.id }), otherTenant));
    expect(hidden.code).toBe(status.NOT_FOUND);
    const unknown = await grpcFailure(asTenant(() => client.call.getBill({ id: newId() })));
    expect(unknown.code).toBe(status.NOT_FOUND);
  });

  it('refuses malformed ids, page sizes and cursors with INVALID_ARGUMENT naming the field', async () => {
    const cases: [() => Promise<unknown>, string][] = [
      [() => client.call.getBill({ id: 'nope' }), 'id'],
      [() => client.call.getBill({ id: '' }), 'id'],
      [() => client.call.listBills({ ...listing, appointmentId: 'nope' }), 'appointmentId'],
      [() => client.call.listBills({ ...listing, patientId: '42' }), 'patientId'],
      [() => client.call.listBills({ ...listing, pageSize: 500 }), 'pageSize'],
      [() => client.call.listBills({ ...listing, pageSize: -1 }), 'pageSize'],
      [() => client.call.listBills({ ...listing, cursor: 'forged' }), 'cursor'],
      [() => client.call.listBills({ ...listing, cursor: Buffer.from(newId()).toString('base64url') }), 'cursor'],
      [
        () => client.call.listBills({ ...listing, cursor: Buffer.from('{"id":"nope"}').toString('base64url') }),
        'cursor',
      ],
    ];
    for (const [call, field] of cases) {
      const error = await grpcFailure(asTenant(call));
      expect(error.code).toBe(status.INVALID_ARGUMENT);
      expect(fieldViolationsOf(error).map((v) => v.field)).toContain(field);
    }
  });

  it('refuses calls without a tenant', async () => {
    const error = await grpcFailure(runWithContext({ requestId: newId() }, () => client.call.getBill({ id: newId() })));
    expect(error.code).toBe(status.UNAUTHENTICATED);
  });

  it('has no drift between schema.prisma and its migrations', async () => {
    const drift = await checkSchemaDrift({
      connectionString: serviceDatabaseUrl('billing'),
      schema: 'billing',
      prismaSchemaPath: fileURLToPath(new URL('../prisma/schema.prisma', import.meta.url)),
    });
    expect(drift).toEqual([]);
  });
});
