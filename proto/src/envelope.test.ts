import { describe, expect, it } from 'vitest';
import { decodeEnvelope, decodeEventData, describeEventData, encodeEnvelope } from './envelope.js';
import { EVENTS } from './events.js';

const base = {
  id: '01900000-0000-7000-8000-000000000001',
  source: 'appointments',
  occurredAt: new Date('2030-01-07T05:00:00.123Z'),
  tenantId: '01900000-0000-7000-8000-0000000000aa',
  subject: 'appointment/a1',
  actor: { kind: 'user', id: 'u1' },
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
};

describe('event envelope', () => {
  it('round-trips the envelope and a typed payload', () => {
    const bytes = encodeEnvelope(EVENTS.appointmentBooked, {
      ...base,
      data: {
        appointmentId: 'a1',
        consultationFeeMinor: 50_000,
        hospitalFeeMinor: 10_000,
        currency: 'INR',
        startsAt: { seconds: 1_893_992_400, nanos: 0 },
      },
    });
    const envelope = decodeEnvelope(bytes);
    expect(envelope).toMatchObject({
      ...base,
      type: 'appointment.booked',
      version: 1,
      dataType: 'hms.appointments.v1.AppointmentBooked',
    });
    const data = decodeEventData(EVENTS.appointmentBooked, envelope);
    expect(data.consultationFeeMinor).toBe(50_000);
    expect(data.patientId).toBe('');
    expect(describeEventData(envelope)).toMatchObject({
      appointmentId: 'a1',
      startsAt: '2030-01-07T05:00:00.000Z',
      endsAt: null,
    });
  });

  it('refuses a payload that does not match its proto message', () => {
    expect(() =>
      encodeEnvelope(EVENTS.billCreated, { ...base, data: { totalMinor: 'lots' as unknown as number } }),
    ).toThrow(/invalid bill.created payload/);
  });

  it('refuses bytes that are not an envelope, and a payload read as the wrong type', () => {
    expect(() => decodeEnvelope(Buffer.from('not protobuf at all'))).toThrow();
    expect(() => decodeEnvelope(Buffer.alloc(0))).toThrow(/not an HMS event envelope/);
    const envelope = decodeEnvelope(encodeEnvelope(EVENTS.billCreated, { ...base, data: { billId: 'b1' } }));
    expect(() => decodeEventData(EVENTS.appointmentBooked, envelope)).toThrow(/expected appointment.booked/);
  });
});
