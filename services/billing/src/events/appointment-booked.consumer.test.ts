import { PoisonEventError } from '@hms/platform';
import { EVENTS, toTimestamp, type DecodedEvent } from '@hms/proto';
import { describe, expect, it } from 'vitest';
import { billForBooking } from './appointment-booked.consumer.js';

type Booked = DecodedEvent<typeof EVENTS.appointmentBooked>;

const ids = {
  tenantId: '0192F0A0-0000-7000-8000-000000000001',
  appointmentId: '0192f0a0-0000-7000-8000-00000000000a',
  patientId: '0192F0A0-0000-7000-8000-00000000000B',
};
const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';

function eventOf(data: Partial<Booked['data']> = {}, traceparent = `00-${traceId}-00f067aa0ba902b7-01`): Booked {
  return {
    id: '0192f0a0-0000-7000-8000-0000000000ee',
    type: EVENTS.appointmentBooked.type,
    source: 'appointments',
    occurredAt: new Date('2030-01-06T10:00:00Z'),
    tenantId: ids.tenantId,
    subject: `appointment/${ids.appointmentId}`,
    actor: { kind: 'user', id: 'front-desk' },
    traceparent,
    version: 1,
    dataType: EVENTS.appointmentBooked.messageType,
    data: {
      appointmentId: ids.appointmentId,
      patientId: ids.patientId,
      doctorId: '0192f0a0-0000-7000-8000-00000000000d',
      departmentId: '0192f0a0-0000-7000-8000-00000000000e',
      startsAt: toTimestamp(new Date('2030-01-07T05:00:00Z')),
      endsAt: toTimestamp(new Date('2030-01-07T05:15:00Z')),
      serviceDate: '2030-01-07',
      consultationFeeMinor: 50_000,
      hospitalFeeMinor: 10_000,
      currency: 'INR',
      ...data,
    },
  };
}

function contextOf() {
  let n = 0;
  return { newId: () => `id-${(n += 1)}`, now: new Date('2030-01-06T10:00:01Z') };
}

function poisonReason(data: Partial<Booked['data']>, tenantId = ids.tenantId): string {
  try {
    billForBooking({ ...eventOf(data), tenantId }, contextOf());
  } catch (error) {
    expect(error).toBeInstanceOf(PoisonEventError);
    return (error as Error).message;
  }
  throw new Error('expected a PoisonEventError');
}

describe('billForBooking', () => {
  it('bills the fees of the event for its tenant, appointment and patient, under its trace id', () => {
    const bill = billForBooking(eventOf(), contextOf());
    expect(bill).toMatchObject({
      tenantId: ids.tenantId.toLowerCase(),
      appointmentId: ids.appointmentId,
      patientId: ids.patientId.toLowerCase(),
      currency: 'INR',
      totalMinor: 60_000,
      paidMinor: 0,
      status: 'OPEN',
      traceId,
      createdAt: new Date('2030-01-06T10:00:01Z'),
    });
    expect(bill.items.map((i) => [i.kind, i.quantity, i.amountMinor])).toEqual([
      ['CONSULTATION_FEE', 1, 50_000],
      ['HOSPITAL_FEE', 1, 10_000],
    ]);
  });

  it('carries no trace id when the event has none (or a malformed one)', () => {
    expect(billForBooking(eventOf({}, ''), contextOf()).traceId).toBe('');
    expect(billForBooking(eventOf({}, 'not-a-traceparent'), contextOf()).traceId).toBe('');
  });

  it('refuses, as poison, impossible fees and currencies', () => {
    expect(poisonReason({ hospitalFeeMinor: -5 })).toMatch(/hospital fee must be a non-negative whole number/);
    expect(poisonReason({ consultationFeeMinor: -1 })).toMatch(/consultation fee/);
    expect(poisonReason({ consultationFeeMinor: 99.5 })).toMatch(/consultation fee/);
    expect(poisonReason({ currency: 'inr' })).toMatch(/currency/);
    expect(poisonReason({ currency: '' })).toMatch(/currency/);
  });

  it('refuses, as poison, ids that are not UUIDs', () => {
    expect(poisonReason({ appointmentId: 'appt-1' })).toMatch(/appointmentId "appt-1" is not a UUID/);
    expect(poisonReason({ patientId: '' })).toMatch(/patientId/);
    expect(poisonReason({}, 'tenant-1')).toMatch(/tenantId "tenant-1" is not a UUID/);
  });
});
