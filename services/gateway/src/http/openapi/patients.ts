/** The contracts of /patients (routes/patients.ts). */
import { z } from 'zod';
import {
  patientAppointmentsRequest,
  patientIdRequest,
  registerPatientRequest,
  searchPatientsRequest,
  updatePatientRequest,
} from '../routes/patients.js';
import { contracts } from './contract.js';
import { protoSchema } from './proto-schemas.js';
import { AppointmentPageSchema } from './schemas.js';

const tag = 'Patients';
const one = z.strictObject({ patient: protoSchema('Patient') });
const location = {
  Location: { description: 'Where the patient can be read', schema: { type: 'string' as const } },
};
const patientLinks = {
  GetPatient: { operationId: 'getPatient', parameters: { id: '$response.body#/patient/id' } },
  PatientAppointments: { operationId: 'listPatientAppointments', parameters: { id: '$response.body#/patient/id' } },
};

export const patientContracts = contracts(
  {
    method: 'post',
    path: '/api/v1/patients',
    operationId: 'registerPatient',
    permission: 'patients.write',
    tag,
    summary: 'Register a patient (a medical record number is given)',
    description:
      'The phone is stored as E.164 (read in the tenant’s phone region without a country code). Someone with the ' +
      'same phone, a similar name and the same date of birth is refused (409, `likelyMatches`) unless `confirmNew` ' +
      'is true. A retry with the same `Idempotency-Key` returns the first result (200).',
    request: registerPatientRequest,
    example: { fullName: 'Asha Rao', phone: '+91 98000 00000', dateOfBirth: '1984-03-02' },
    responses: {
      201: { description: 'Registered', schema: one, headers: location, links: patientLinks },
      200: { description: 'A retry with the same Idempotency-Key: the first result', schema: one, headers: location },
    },
    errors: [409, 422],
  },
  {
    method: 'get',
    path: '/api/v1/patients',
    operationId: 'searchPatients',
    permission: 'patients.read',
    tag,
    summary: 'Find patients by name (typos and word order forgiven), phone (whole or its last digits) or MRN',
    request: searchPatientsRequest,
    responses: {
      200: {
        description: 'Best matches first; `nextCursor` is empty on the last page',
        schema: protoSchema('SearchPatientsResponse'),
      },
    },
    errors: [422],
  },
  {
    method: 'get',
    path: '/api/v1/patients/:id',
    operationId: 'getPatient',
    permission: 'patients.read',
    tag,
    summary: 'Read a patient',
    request: patientIdRequest,
    responses: { 200: { description: 'The patient', schema: one } },
    errors: [404],
  },
  {
    method: 'patch',
    path: '/api/v1/patients/:id',
    operationId: 'updatePatient',
    permission: 'patients.write',
    tag,
    summary: 'Change a patient’s name, phone or date of birth (fields left out keep their value)',
    request: updatePatientRequest,
    example: { phone: '+919800000001' },
    responses: { 200: { description: 'The patient as changed', schema: one } },
    errors: [404, 409, 422],
  },
  {
    method: 'delete',
    path: '/api/v1/patients/:id',
    operationId: 'deactivatePatient',
    permission: 'patients.write',
    tag,
    summary: 'Deactivate a patient: hidden from search and from new bookings, kept with its history',
    request: patientIdRequest,
    responses: { 200: { description: 'The patient, inactive', schema: one } },
    errors: [404, 409, 422],
  },
  {
    method: 'get',
    path: '/api/v1/patients/:id/appointments',
    operationId: 'listPatientAppointments',
    permission: 'appointments.read',
    tag,
    summary: 'A patient’s appointments, upcoming or past',
    request: patientAppointmentsRequest,
    responses: {
      200: {
        description: 'A page of appointments; `nextCursor` is empty on the last page',
        schema: AppointmentPageSchema,
      },
    },
    errors: [404, 422],
  },
);
