/**
 * The billing service in-process against the test stack's real PostgreSQL and
 * Kafka: appointment.booked in, bills and bill.created out, exactly once.
 */
import { fileURLToPath } from 'node:url';
import { status } from '@grpc/grpc-js';
import { newId, type GrpcClient } from '@hms/platform';
import {
  actAs,
  checkSchemaDrift,
  closeTestPublisher,
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
import { startBilling } from './main.js';

let service: Awaited<ReturnType<typeof startBilling>>;
let client: GrpcClient<BillingServiceClient>;
let tap: EventTap;
const tenantId = newId();
const patientId = newId();
const doctorId = newId();

beforeAll(async () => {
  service = await startBilling(inProcessEnv('billing', { CONSUMER_MAX_ATTEMPTS: '2' }), { inProcess: true });
  client = testClient(loadContracts().hms.billing.v1.BillingService, service.grpcPort);
  tap = await tapEvents([EVENTS.billCreated.topic, 'hms.billing.dlq']);
});

afterAll(async () => {
  client?.close();
  await tap?.stop();
  await closeTestPublisher();
  await service?.runtime.lifecycle.shutdown('test done');
});

const asTenant = actAs(tenantId);
const failure = grpcFailure;

function booked(appointmentId: string, fees: { consultation?: number; hospital?: number; currency?: string } = {}) {
  return {
    tenantId,
    key: `${tenantId}:${doctorId}:2030-01-07`,
    subject: `appointment/${appointmentId}`,
    source: 'appointments',
    data: {
      appointmentId,
      patientId,
      doctorId,
      departmentId: newId(),
      startsAt: toTimestamp(new Date('2030-01-07T05:00:00Z')),
      endsAt: toTimestamp(new Date('2030-01-07T05:15:00Z')),
      serviceDate: '2030-01-07',
      consultationFeeMinor: fees.consultation ?? 50_000,
      hospitalFeeMinor: fees.hospital ?? 10_000,
      currency: fees.currency ?? 'INR',
    },
  };
}

async function billOf(appointmentId: string) {
  const { bills } = await asTenant(() => client.call.listBills({ appointmentId, pageSize: 0, cursor: '' }));
  return bills[0];
}

describe('billing service', () => {
  it('opens a bill with both fees for a booked appointment, under the booking trace id', async () => {
    const appointmentId = newId();
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    await publishTestEvent(EVENTS.appointmentBooked, {
      ...booked(appointmentId),
      traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
    });
    const bill = await eventually(() => billOf(appointmentId), { what: 'the bill' });
    expect(bill).toMatchObject({
      patientId,
      currency: 'INR',
      totalMinor: 60_000,
      paidMinor: 0,
      status: 'BILL_STATUS_OPEN',
      traceId,
    });
    expect(bill.items.map((i) => [i.kind, i.amountMinor])).toEqual([
      ['BILL_ITEM_KIND_CONSULTATION_FEE', 50_000],
      ['BILL_ITEM_KIND_HOSPITAL_FEE', 10_000],
    ]);
    const fetched = await asTenant(() => client.call.getBill({ id: bill.id }));
    expect(fetched.bill?.id).toBe(bill.id);

    const event = await tap.waitFor((e) => e.envelope.subject === `bill/${bill.id}`);
    expect(event.envelope.type).toBe('bill.created');
    expect(event.key).toBe(`${tenantId}:${appointmentId}`);
    expect(decodeEventData(EVENTS.billCreated, event.envelope)).toMatchObject({
      billId: bill.id,
      appointmentId,
      totalMinor: 60_000,
      currency: 'INR',
    });
    // The bill's event continues the booking's trace.
    expect(event.envelope.traceparent).toContain(traceId);
  });

  it('makes one bill of an event delivered twice', async () => {
    const appointmentId = newId();
    const event = { ...booked(appointmentId), id: newId() };
    await publishTestEvent(EVENTS.appointmentBooked, event);
    await publishTestEvent(EVENTS.appointmentBooked, event);
    const later = newId();
    await publishTestEvent(EVENTS.appointmentBooked, booked(later));
    await eventually(() => billOf(later), { what: 'the later bill' });
    const { bills } = await asTenant(() => client.call.listBills({ appointmentId, pageSize: 0, cursor: '' }));
    expect(bills).toHaveLength(1);
    const rows = await service.prisma.bill.count({ where: { tenantId, appointmentId } });
    expect(rows).toBe(1);
  });

  it('dead-letters an undecodable message and an impossible bill, then goes on', async () => {
    const negative = newId();
    const negativeEventId = await publishTestEvent(EVENTS.appointmentBooked, booked(negative, { hospital: -5 }));
    await publishRaw(
      EVENTS.appointmentBooked.topic,
      `${tenantId}:${doctorId}:2030-01-07`,
      Buffer.from([0xff, 0x00, 0x13]),
    );
    const after = newId();
    await publishTestEvent(EVENTS.appointmentBooked, booked(after));
    await eventually(() => billOf(after), { what: 'the bill after the bad messages' });
    expect(await billOf(negative)).toBeUndefined();
    const letter = await tap.waitFor((e) => e.topic === 'hms.billing.dlq' && e.envelope.id === negativeEventId);
    expect(letter.headers['x-dlq-reason']).toMatch(/hospital fee must be a non-negative/);
    expect(letter.headers['x-dlq-consumer-group']).toBe('hms.billing');
    await eventually(async () => (tap.undecodable.some((u) => u.topic === 'hms.billing.dlq') ? true : undefined), {
      what: 'the undecodable message on the dead-letter topic',
    });
  });

  it('lists newest first in pages with no gaps or repeats, per tenant', async () => {
    const appointments = Array.from({ length: 5 }, () => newId());
    for (const id of appointments) await publishTestEvent(EVENTS.appointmentBooked, booked(id));
    await eventually(() => billOf(appointments.at(-1)!), { what: 'the last of five bills' });
    const seen: string[] = [];
    let cursor = '';
    do {
      const page = await asTenant(() => client.call.listBills({ appointmentId: '', patientId, pageSize: 2, cursor }));
      expect(page.bills.length).toBeLessThanOrEqual(2);
      seen.push(...page.bills.map((b) => b.id));
      cursor = page.nextCursor;
    } while (cursor);
    const total = await service.prisma.bill.count({ where: { tenantId, patientId } });
    expect(seen).toHaveLength(total);
    expect(new Set(seen).size).toBe(total);
    expect([...seen].sort().reverse()).toEqual(seen);

    const other = newId();
    expect(
      (
        await asTenant(
          () => client.call.listBills({ appointmentId: '', patientId: '', pageSize: 0, cursor: '' }),
          other,
        )
      ).bills,
    ).toEqual([]);
    expect((await failure(asTenant(() => client.call.getBill({ id: seen[0]! }), other)))?.code).toBe(status.NOT_FOUND);
  });

  it('refuses malformed ids, page sizes and cursors with INVALID_ARGUMENT', async () => {
    const calls: (() => Promise<unknown>)[] = [
      () => client.call.getBill({ id: 'nope' }),
      () => client.call.listBills({ appointmentId: 'nope', pageSize: 0, cursor: '' }),
      () => client.call.listBills({ appointmentId: '', pageSize: 500, cursor: '' }),
      () => client.call.listBills({ appointmentId: '', pageSize: 0, cursor: 'forged' }),
    ];
    for (const call of calls) {
      expect((await failure(asTenant(call)))?.code).toBe(status.INVALID_ARGUMENT);
    }
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
