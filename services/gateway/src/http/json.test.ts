import { entryJson } from '../live/queue-json.js';
import { toTimestamp, type Appointment, type Bill } from '@hms/proto';
import { describe, expect, it } from 'vitest';
import { appointmentJson, auditRecordJson, billJson, queueJson } from './json.js';
import { AppointmentSchema } from './openapi/schemas.js';

const at = (iso: string) => toTimestamp(new Date(iso));

describe('proto to REST JSON', () => {
  it('writes appointments with UTC times, lower_snake statuses and integer minor units', () => {
    const appointment: Appointment = {
      id: 'a1',
      patientId: 'p1',
      doctorId: 'd1',
      departmentId: 'dep1',
      startsAt: at('2030-01-07T05:00:00Z'),
      endsAt: at('2030-01-07T05:15:00Z'),
      serviceDate: '2030-01-07',
      status: 'APPOINTMENT_STATUS_CHECKED_IN',
      reason: '',
      consultationFeeMinor: 50_000,
      hospitalFeeMinor: 10_000,
      currency: 'INR',
      createdAt: at('2030-01-01T00:00:00.123Z'),
      checkedInAt: null,
      traceId: 't',
    };
    expect(appointmentJson(appointment)).toMatchObject({
      startsAt: '2030-01-07T05:00:00.000Z',
      createdAt: '2030-01-01T00:00:00.123Z',
      checkedInAt: null,
      status: 'checked_in',
      consultationFeeMinor: 50_000,
      currency: 'INR',
    });
  });

  // Found by the e2e conformance check: every booking answered cancelledBy "unspecified", which the document
  // (and the meaning) says is null until the appointment is cancelled.
  it('writes cancelledBy null until a cancellation, as the Appointment schema says', () => {
    const booked: Appointment = {
      id: '0192f3c4-5d6e-7f80-9a1b-2c3d4e5f6a7b',
      patientId: '0192f3c4-0000-7000-8000-000000000001',
      doctorId: '0192f3c4-0000-7000-8000-000000000002',
      departmentId: '0192f3c4-0000-7000-8000-000000000003',
      startsAt: at('2030-01-07T05:00:00Z'),
      endsAt: at('2030-01-07T05:15:00Z'),
      serviceDate: '2030-01-07',
      status: 'APPOINTMENT_STATUS_BOOKED',
      reason: '',
      consultationFeeMinor: 50_000,
      hospitalFeeMinor: 10_000,
      currency: 'INR',
      createdAt: at('2030-01-01T00:00:00Z'),
      checkedInAt: null,
      traceId: 't',
      mode: 'CONSULTATION_MODE_IN_PERSON',
      statusReason: '',
      // What the gRPC client decodes for an unset enum (defaults: true).
      cancelledBy: 'CANCELLED_BY_UNSPECIFIED',
      cancelledAt: null,
      consultationStartedAt: null,
      completedAt: null,
    };
    expect(AppointmentSchema.parse(appointmentJson(booked))).toMatchObject({ cancelledBy: null, mode: 'in_person' });
    const cancelled = appointmentJson({
      ...booked,
      status: 'APPOINTMENT_STATUS_CANCELLED',
      cancelledBy: 'CANCELLED_BY_PATIENT',
      cancelledAt: at('2030-01-02T00:00:00Z'),
    });
    expect(AppointmentSchema.parse(cancelled)).toMatchObject({ cancelledBy: 'patient', status: 'cancelled' });
  });

  it('writes bills, queues and audit records the same way', () => {
    const bill: Bill = {
      id: 'b1',
      appointmentId: 'a1',
      patientId: 'p1',
      status: 'BILL_STATUS_PARTIALLY_PAID',
      currency: 'INR',
      totalMinor: 60_000,
      paidMinor: 1,
      items: [
        {
          id: 'i1',
          kind: 'BILL_ITEM_KIND_CONSULTATION_FEE',
          description: 'x',
          quantity: 1,
          unitPriceMinor: 50_000,
          amountMinor: 50_000,
        },
      ],
      createdAt: at('2030-01-01T00:00:00Z'),
      traceId: 't',
    };
    const json = billJson(bill);
    expect(json.status).toBe('partially_paid');
    expect(json.items[0]).toMatchObject({ kind: 'consultation_fee', amountMinor: 50_000 });

    const waiting = {
      id: 'q1',
      appointmentId: 'a1',
      patientId: 'p1',
      tokenNumber: 3,
      position: 1,
      priority: 1,
      status: 'QUEUE_ENTRY_STATUS_WAITING',
      joinedAt: at('2030-01-07T04:50:00Z'),
      traceId: 't',
      priorityClass: 'QUEUE_PRIORITY_SENIOR',
      room: '',
      skipCount: 0,
      recallCount: 0,
      calledAt: null,
      completedAt: null,
      estimatedCallAt: at('2030-01-07T05:10:00Z'),
      walkIn: false,
      transferredFromEntryId: '',
      transferredToDoctorId: '',
      doctorId: 'd1',
      serviceDate: '2030-01-07',
    } as const;
    const queue = queueJson({
      doctorId: 'd1',
      serviceDate: '2030-01-07',
      timeZone: 'Asia/Kolkata',
      seq: 4,
      consultationSeconds: 600,
      pause: { paused: false, pausedAt: null, resumeExpectedAt: null, reason: '' },
      entries: [waiting],
      notModified: false,
    });
    expect(queue).toEqual({
      doctorId: 'd1',
      serviceDate: '2030-01-07',
      timeZone: 'Asia/Kolkata',
      seq: 4,
      consultationSeconds: 600,
      pause: { paused: false, pausedAt: null, resumeExpectedAt: null, reason: '' },
      entries: [
        {
          id: 'q1',
          appointmentId: 'a1',
          patientId: 'p1',
          tokenNumber: 3,
          position: 1,
          priority: 'senior',
          status: 'waiting',
          room: '',
          calledAt: null,
          completedAt: null,
          estimatedCallAt: '2030-01-07T05:10:00.000Z',
          recallCount: 0,
          skipCount: 0,
          walkIn: false,
          joinedAt: '2030-01-07T04:50:00.000Z',
          transferredFromEntryId: null,
          transferredToDoctorId: null,
          traceId: 't',
        },
      ],
    });
    // A display sees tokens, rooms and estimates, never who is waiting.
    expect(Object.keys(entryJson(waiting, 'display')).sort()).toEqual(
      [
        'calledAt',
        'estimatedCallAt',
        'id',
        'position',
        'priority',
        'recallCount',
        'room',
        'skipCount',
        'status',
        'tokenNumber',
        'walkIn',
      ].sort(),
    );

    const record = auditRecordJson({ dataJson: '{"a":1}', patientId: '', occurredAt: at('2030-01-07T04:50:00Z') });
    expect(record).toMatchObject({ data: { a: 1 }, patientId: null, occurredAt: '2030-01-07T04:50:00.000Z' });
  });
});
