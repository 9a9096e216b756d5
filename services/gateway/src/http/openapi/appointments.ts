/** The contracts of /appointments (routes/appointments.ts). */
import { z } from 'zod';
import {
  appointmentIdRequest,
  bookAppointmentRequest,
  cancelRequest,
  dashboardRequest,
  historyRequest,
  listAppointmentsRequest,
  noShowRequest,
  rescheduleRequest,
  settingsRequest,
} from '../routes/appointments.js';
import type { Permission } from '@hms/proto';
import { contracts, type RouteContract } from './contract.js';
import { protoSchema } from './proto-schemas.js';
import { AppointmentPageSchema, AppointmentSchema } from './schemas.js';

const one = z.strictObject({ appointment: AppointmentSchema });
const tag = 'Appointments';
const settings = z.strictObject({ settings: protoSchema('SchedulingSettings') });
const lifecycleLinks = {
  History: { operationId: 'getAppointmentHistory', parameters: { id: '$response.body#/appointment/id' } },
};
/** A lifecycle step: POST /appointments/{id}/<step>, answering the appointment; a step the status forbids is a 409. */
const step = (
  path: string,
  operationId: string,
  permission: Permission,
  summary: string,
  request: RouteContract['request'],
  example?: unknown,
): RouteContract => ({
  method: 'post',
  path: `/api/v1/appointments/:id/${path}`,
  operationId,
  permission,
  tag,
  summary,
  description: 'A step the appointment’s status does not allow is a 409 naming the steps it does allow.',
  request,
  ...(example ? { example } : {}),
  responses: { 200: { description: 'The appointment after the step', schema: one, links: lifecycleLinks } },
  errors: [404, 409, 422],
});
const location = {
  Location: { description: 'Where the appointment can be read', schema: { type: 'string' as const } },
};

export const appointmentContracts = contracts(
  {
    method: 'post',
    path: '/api/v1/appointments',
    operationId: 'bookAppointment',
    permission: 'appointments.book',
    tag,
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
          Cancel: { operationId: 'cancelAppointment', parameters: { id: '$response.body#/appointment/id' } },
          Reschedule: { operationId: 'rescheduleAppointment', parameters: { id: '$response.body#/appointment/id' } },
          History: { operationId: 'getAppointmentHistory', parameters: { id: '$response.body#/appointment/id' } },
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
    permission: 'appointments.read',
    tag,
    summary: 'Read an appointment',
    request: appointmentIdRequest,
    responses: { 200: { description: 'The appointment', schema: one } },
    errors: [404],
  },
  {
    method: 'post',
    path: '/api/v1/appointments/:id/check-in',
    operationId: 'checkInAppointment',
    permission: 'appointments.check_in',
    tag,
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
  {
    method: 'get',
    path: '/api/v1/appointments',
    operationId: 'listAppointments',
    permission: 'appointments.read',
    tag,
    summary: 'A day’s appointments (of a doctor, a department or the tenant), or a patient’s; by status',
    description: 'Give `date` (with `doctorId` or `departmentId`, or alone for the tenant’s day) or `patientId`.',
    request: listAppointmentsRequest,
    responses: {
      200: {
        description: 'A page of appointments; `nextCursor` is empty on the last page',
        schema: AppointmentPageSchema,
      },
    },
    errors: [404, 422],
  },
  {
    method: 'get',
    path: '/api/v1/appointments/:id/history',
    operationId: 'getAppointmentHistory',
    permission: 'appointments.read',
    tag,
    summary: 'The status changes of an appointment, oldest first',
    request: historyRequest,
    responses: {
      200: {
        description: 'A page of changes; `nextCursor` is empty on the last page',
        schema: protoSchema('GetAppointmentHistoryResponse'),
      },
    },
    errors: [404, 422],
  },
  step(
    'start',
    'startConsultation',
    'appointments.attend',
    'Start the consultation of a checked-in appointment',
    appointmentIdRequest,
  ),
  step(
    'complete',
    'completeAppointment',
    'appointments.attend',
    'Complete an appointment whose consultation started',
    appointmentIdRequest,
  ),
  step(
    'cancel',
    'cancelAppointment',
    'appointments.cancel',
    'Cancel an appointment (a patient only within the tenant’s cancellation window)',
    cancelRequest,
    { reason: 'feeling better', cancelledBy: 'patient' },
  ),
  step(
    'reschedule',
    'rescheduleAppointment',
    'appointments.cancel',
    'Move an appointment to another slot of its doctor: same id, same history',
    rescheduleRequest,
    { startsAt: '2030-01-08T05:00:00Z', reason: 'the patient asked' },
  ),
  step(
    'no-show',
    'markNoShow',
    'appointments.attend',
    'Mark a booked or checked-in appointment as a no-show',
    noShowRequest,
    {
      reason: 'did not come',
    },
  ),
  {
    method: 'get',
    path: '/api/v1/dashboard/daily',
    operationId: 'getDailyDashboard',
    permission: 'dashboard.read',
    tag,
    summary: 'A day’s counts per doctor, department and tenant: booked, checked in, seen, no-shows, the average wait',
    request: dashboardRequest,
    responses: {
      200: { description: 'The day, from the read model', schema: protoSchema('GetDailyDashboardResponse') },
    },
    errors: [404, 422],
  },
  {
    method: 'get',
    path: '/api/v1/settings/scheduling',
    operationId: 'getSchedulingSettings',
    permission: 'scheduling.configure',
    tag,
    summary: 'The tenant’s scheduling settings: hold time, cancellation window, no-show grace, reminders, MRN format',
    responses: { 200: { description: 'The settings', schema: settings } },
  },
  {
    method: 'put',
    path: '/api/v1/settings/scheduling',
    operationId: 'updateSchedulingSettings',
    permission: 'scheduling.configure',
    tag,
    summary: 'Replace the tenant’s scheduling settings',
    request: settingsRequest,
    example: {
      holdMinutes: 10,
      cancellationWindowMinutes: 120,
      noShowGraceMinutes: 30,
      reminderOffsetsMinutes: [1440, 120],
      mrnFormat: 'MRN-{YYYY}-{SEQ:6}',
      phoneRegion: 'IN',
    },
    responses: { 200: { description: 'The settings as stored', schema: settings } },
    errors: [422],
  },
);
