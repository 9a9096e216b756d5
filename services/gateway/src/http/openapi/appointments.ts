/** The contracts of /appointments (routes/appointments.ts). */
import { z } from 'zod';
import { appointmentIdRequest, bookAppointmentRequest } from '../routes/appointments.js';
import { contracts } from './contract.js';
import { AppointmentSchema } from './schemas.js';

const one = z.strictObject({ appointment: AppointmentSchema });
const location = {
  Location: { description: 'Where the appointment can be read', schema: { type: 'string' as const } },
};

export const appointmentContracts = contracts(
  {
    method: 'post',
    path: '/api/v1/appointments',
    operationId: 'bookAppointment',
    tag: 'Appointments',
    summary: 'Book a slot with a doctor',
    description:
      'Books the slot that starts at `startsAt`. A retry with the same `Idempotency-Key` returns the first result ' +
      '(200, `Idempotency-Replayed: true`); the same key with another request is a 422. A slot already taken is a 409.',
    request: bookAppointmentRequest,
    example: {
      patientId: '0192f3c4-0000-7000-8000-000000000001',
      doctorId: '0192f3c4-0000-7000-8000-000000000002',
      startsAt: '2030-01-07T05:00:00Z',
      reason: 'follow-up',
    },
    responses: {
      201: {
        description: 'Booked',
        schema: one,
        headers: location,
        links: {
          GetAppointment: { operationId: 'getAppointment', parameters: { id: '$response.body#/appointment/id' } },
          CheckIn: { operationId: 'checkInAppointment', parameters: { id: '$response.body#/appointment/id' } },
          BillOfAppointment: {
            operationId: 'listBills',
            parameters: { appointmentId: '$response.body#/appointment/id' },
          },
        },
      },
      200: { description: 'A retry with the same Idempotency-Key: the first booking', schema: one, headers: location },
    },
    errors: [404, 409, 422],
  },
  {
    method: 'get',
    path: '/api/v1/appointments/:id',
    operationId: 'getAppointment',
    tag: 'Appointments',
    summary: 'Read an appointment',
    request: appointmentIdRequest,
    responses: { 200: { description: 'The appointment', schema: one } },
    errors: [404],
  },
  {
    method: 'post',
    path: '/api/v1/appointments/:id/check-in',
    operationId: 'checkInAppointment',
    tag: 'Appointments',
    summary: 'Check a patient in: the appointment joins its doctor’s queue',
    request: appointmentIdRequest,
    responses: {
      200: {
        description: 'Checked in (a repeat is harmless)',
        schema: one,
        links: {
          BillOfAppointment: {
            operationId: 'listBills',
            parameters: { appointmentId: '$response.body#/appointment/id' },
          },
        },
      },
    },
    errors: [404, 409, 422],
  },
);
