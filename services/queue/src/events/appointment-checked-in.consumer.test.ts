import { PoisonEventError } from '@hms/platform';
import { EVENTS, toTimestamp, type DecodedEvent, type Envelope } from '@hms/proto';
import { describe, expect, it } from 'vitest';
import { queueJoinOf } from './appointment-checked-in.consumer.js';

type CheckedIn = DecodedEvent<typeof EVENTS.appointmentCheckedIn>;

const ids = {
  tenantId: '0192F0A0-0000-7000-8000-000000000001',
  doctorId: '0192f0a0-0000-7000-8000-00000000000d',
  appointmentId: '0192f0a0-0000-7000-8000-00000000000a',
  patientId: '0192f0a0-0000-7000-8000-00000000000b',
};
const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const checkedInAt = new Date('2030-01-07T04:05:06.789Z');

function eventOf(data: Partial<CheckedIn['data']> = {}, traceparent = `00-${traceId}-00f067aa0ba902b7-01`) {
  const envelope: Envelope = {
    id: '0192f0a0-0000-7000-8000-0000000000ee',
    type: EVENTS.appointmentCheckedIn.type,
    source: 'appointments',
    occurredAt: new Date('2030-01-07T04:05:07Z'),
    tenantId: ids.tenantId,
    subject: `appointment/${ids.appointmentId}`,
    actor: { kind: 'user', id: 'nurse' },
    traceparent,
    version: 1,
    dataType: EVENTS.appointmentCheckedIn.messageType,
    data: new Uint8Array(),
  };
  const event: CheckedIn = {
    ...envelope,
    data: {
      appointmentId: ids.appointmentId,
      patientId: ids.patientId,
      doctorId: ids.doctorId,
      startsAt: toTimestamp(new Date('2030-01-07T05:00:00Z')),
      serviceDate: '2030-01-07',
      checkedInAt: toTimestamp(checkedInAt),
      timeZone: 'Asia/Kolkata',
      departmentId: '',
      ...data,
    },
  };
  return { event };
}

function poisonReason(data: Partial<CheckedIn['data']>): string {
  const { event } = eventOf(data);
  try {
    queueJoinOf(event);
  } catch (error) {
    expect(error).toBeInstanceOf(PoisonEventError);
    return (error as Error).message;
  }
  throw new Error('expected a PoisonEventError');
}

describe('queueJoinOf', () => {
  it('takes the day, zone, people, check-in time and trace id from the event', () => {
    const { event } = eventOf();
    // The platform's consumer has already checked and lower-cased the envelope's tenant id.
    expect(queueJoinOf({ ...event, tenantId: ids.tenantId.toLowerCase() })).toEqual({
      tenantId: ids.tenantId.toLowerCase(),
      doctorId: ids.doctorId,
      appointmentId: ids.appointmentId,
      patientId: ids.patientId,
      serviceDate: '2030-01-07',
      timeZone: 'Asia/Kolkata',
      joinedAt: checkedInAt,
      traceId,
    });
  });

  it('falls back to when the event occurred, and to no trace id, when those are missing', () => {
    const { event } = eventOf({ checkedInAt: null }, '');
    const join = queueJoinOf(event);
    expect(join.joinedAt).toEqual(event.occurredAt);
    expect(join.traceId).toBe('');
  });

  it('refuses, as poison, events that break the contract', () => {
    expect(poisonReason({ doctorId: 'dr-who' })).toMatch(/doctorId "dr-who" is not a UUID/);
    expect(poisonReason({ patientId: '' })).toMatch(/patientId/);
    expect(poisonReason({ serviceDate: '2030-02-30' })).toMatch(/serviceDate/);
    expect(poisonReason({ serviceDate: '' })).toMatch(/serviceDate/);
    expect(poisonReason({ timeZone: '' })).toMatch(/timeZone/);
    expect(poisonReason({ timeZone: 'Mars/Olympus_Mons' })).toMatch(/timeZone/);
  });
});
