import { PoisonEventError } from '@hms/platform';
import { EVENTS, toTimestamp, type DecodedEvent } from '@hms/proto';
import { describe, expect, it } from 'vitest';
import { openBillCommand } from './appointment-events.consumer.js';

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

function poisonReason(data: Partial<Booked['data']>): string {
  try {
    openBillCommand(eventOf(data));
  } catch (error) {
    expect(error).toBeInstanceOf(PoisonEventError);
    return (error as Error).message;
  }
  throw new Error('expected a PoisonEventError');
}

describe('openBillCommand', () => {
  it("asks for the event's fees, for its tenant, appointment and patient, under its trace id", () => {
    // The platform's consumer has already checked and lower-cased the envelope's tenant id.
    const command = openBillCommand({ ...eventOf(), tenantId: ids.tenantId.toLowerCase() });
    expect(command).toEqual({
      tenantId: ids.tenantId.toLowerCase(),
      appointmentId: ids.appointmentId,
      patientId: ids.patientId.toLowerCase(),
      departmentId: '0192f0a0-0000-7000-8000-00000000000e',
      consultationFeeMinor: 50_000,
      hospitalFeeMinor: 10_000,
      currency: 'INR',
      traceId,
    });
  });

  it('carries no trace id when the event has none (or a malformed one)', () => {
    expect(openBillCommand(eventOf({}, '')).traceId).toBe('');
    expect(openBillCommand(eventOf({}, 'not-a-traceparent')).traceId).toBe('');
  });

  it('refuses, as poison, ids that are not UUIDs', () => {
    expect(poisonReason({ appointmentId: 'appt-1' })).toMatch(/appointmentId "appt-1" is not a UUID/);
    expect(poisonReason({ patientId: '' })).toMatch(/patientId/);
  });
});
