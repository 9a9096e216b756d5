/** The contracts of doctors' calendars, slots and slot holds (routes/calendars.ts). */
import { z } from 'zod';
import {
  addExceptionRequest,
  createScheduleRequest,
  deleteScheduleRequest,
  doctorCalendarRequest,
  holdIdRequest,
  holdSlotRequest,
  listExceptionsRequest,
  listSlotsRequest,
  removeExceptionRequest,
  replaceScheduleRequest,
} from '../routes/calendars.js';
import { contracts } from './contract.js';
import { protoSchema } from './proto-schemas.js';

const tag = 'Calendars';
const STRANDS =
  'A change that would strand booked appointments is refused (409) with them in `affectedAppointments`, unless ' +
  'the request cancels or moves each of them (`affectedAppointments`), in the same transaction.';
const hold = z.strictObject({ hold: protoSchema('SlotHold') });
const holdLinks = {
  GetHold: { operationId: 'getSlotHold', parameters: { id: '$response.body#/hold/id' } },
  ReleaseHold: { operationId: 'releaseSlotHold', parameters: { id: '$response.body#/hold/id' } },
};
/** The slots as the REST API answers them (the gRPC contract carries them packed as SlotRuns: slotsJson). */
const SLOTS_RESPONSE = z.strictObject({
  doctorId: z.string(),
  timeZone: z.string(),
  slots: z.array(protoSchema('Slot')),
});
const sessions = [
  { weekday: 1, startMinute: 540, endMinute: 780 },
  { weekday: 3, startMinute: 540, endMinute: 780 },
];

export const calendarContracts = contracts(
  {
    method: 'get',
    path: '/api/v1/doctors/:doctorId/schedules',
    operationId: 'listSchedules',
    permission: 'doctors.read',
    tag,
    summary: 'A doctor’s weekly schedule templates',
    request: doctorCalendarRequest,
    responses: { 200: { description: 'The templates', schema: protoSchema('ListSchedulesResponse') } },
    errors: [404],
  },
  {
    method: 'post',
    path: '/api/v1/doctors/:doctorId/schedules',
    operationId: 'createSchedule',
    permission: 'doctors.write',
    tag,
    summary: 'Add a weekly schedule template (sessions in minutes after local midnight)',
    description: STRANDS,
    request: createScheduleRequest,
    example: { validFrom: '2030-01-01', slotMinutes: 15, sessions },
    responses: { 201: { description: 'Created', schema: protoSchema('CreateScheduleResponse') } },
    errors: [404, 409, 422],
  },
  {
    method: 'put',
    path: '/api/v1/doctors/:doctorId/schedules/:scheduleId',
    operationId: 'replaceSchedule',
    permission: 'doctors.write',
    tag,
    summary: 'Replace a schedule template',
    description: STRANDS,
    request: replaceScheduleRequest,
    example: { validFrom: '2030-01-01', validTo: '2030-12-31', slotMinutes: 20, sessions },
    responses: { 200: { description: 'Replaced', schema: protoSchema('ReplaceScheduleResponse') } },
    errors: [404, 409, 422],
  },
  {
    method: 'delete',
    path: '/api/v1/doctors/:doctorId/schedules/:scheduleId',
    operationId: 'deleteSchedule',
    permission: 'doctors.write',
    tag,
    summary: 'Delete a schedule template',
    description: STRANDS,
    request: deleteScheduleRequest,
    example: { affectedAppointments: [] },
    responses: { 200: { description: 'Deleted', schema: protoSchema('DeleteScheduleResponse') } },
    errors: [404, 409, 422],
  },
  {
    method: 'get',
    path: '/api/v1/doctors/:doctorId/exceptions',
    operationId: 'listScheduleExceptions',
    permission: 'doctors.read',
    tag,
    summary: 'A doctor’s leave, extra sessions and blocked hours (from today in the doctor’s zone by default)',
    request: listExceptionsRequest,
    responses: { 200: { description: 'The exceptions', schema: protoSchema('ListScheduleExceptionsResponse') } },
    errors: [404, 422],
  },
  {
    method: 'post',
    path: '/api/v1/doctors/:doctorId/exceptions',
    operationId: 'addScheduleException',
    permission: 'doctors.write',
    tag,
    summary: 'Add leave (the whole day), an extra session, or blocked hours',
    description: STRANDS,
    request: addExceptionRequest,
    example: { date: '2030-01-09', kind: 'leave', reason: 'conference' },
    responses: {
      201: {
        description: 'Added',
        schema: protoSchema('AddScheduleExceptionResponse'),
        links: {
          RemoveException: {
            operationId: 'removeScheduleException',
            parameters: { doctorId: '$request.path.doctorId', exceptionId: '$response.body#/exception/id' },
          },
        },
      },
    },
    errors: [404, 409, 422],
  },
  {
    method: 'delete',
    path: '/api/v1/doctors/:doctorId/exceptions/:exceptionId',
    operationId: 'removeScheduleException',
    permission: 'doctors.write',
    tag,
    summary: 'Remove an exception',
    description: STRANDS,
    request: removeExceptionRequest,
    example: { affectedAppointments: [] },
    responses: { 200: { description: 'Removed', schema: protoSchema('RemoveScheduleExceptionResponse') } },
    errors: [404, 409, 422],
  },
  {
    method: 'get',
    path: '/api/v1/doctors/:doctorId/slots',
    operationId: 'listSlots',
    permission: 'doctors.read',
    tag,
    summary: 'Every slot of a doctor in a window of at most 31 days: free, held or booked',
    request: listSlotsRequest,
    responses: { 200: { description: 'The slots in time order', schema: SLOTS_RESPONSE } },
    errors: [404, 422],
  },
  {
    method: 'post',
    path: '/api/v1/slot-holds',
    operationId: 'holdSlot',
    permission: 'slots.hold',
    tag,
    summary: 'Hold a free slot for a patient for the tenant’s hold time, to book it with `holdId`',
    description: 'A retry with the same `Idempotency-Key` returns the first result (200). A slot taken is a 409.',
    request: holdSlotRequest,
    example: {
      doctorId: '0192f3c4-0000-7000-8000-000000000002',
      patientId: '0192f3c4-0000-7000-8000-000000000001',
      startsAt: '2030-01-07T05:00:00Z',
    },
    responses: {
      201: {
        description: 'Held',
        schema: hold,
        headers: { Location: { description: 'Where the hold can be read', schema: { type: 'string' } } },
        links: {
          ...holdLinks,
          Book: {
            operationId: 'bookAppointment',
            requestBody: {
              patientId: '$response.body#/hold/patientId',
              doctorId: '$response.body#/hold/doctorId',
              startsAt: '$response.body#/hold/startsAt',
              holdId: '$response.body#/hold/id',
            },
          },
        },
      },
      200: { description: 'A retry with the same Idempotency-Key: the first hold', schema: hold },
    },
    errors: [404, 409, 422],
  },
  {
    method: 'get',
    path: '/api/v1/slot-holds/:id',
    operationId: 'getSlotHold',
    permission: 'slots.hold',
    tag,
    summary: 'Read a hold (until it expires or is used)',
    request: holdIdRequest,
    responses: { 200: { description: 'The hold', schema: hold } },
    errors: [404],
  },
  {
    method: 'delete',
    path: '/api/v1/slot-holds/:id',
    operationId: 'releaseSlotHold',
    permission: 'slots.hold',
    tag,
    summary: 'Release a hold: the slot is free again',
    request: holdIdRequest,
    responses: { 204: { description: 'Released' } },
    errors: [404],
  },
);
