/** The contracts of /departments and /doctors (routes/directory.ts). */
import { z } from 'zod';
import {
  createDepartmentRequest,
  createDoctorRequest,
  departmentIdRequest,
  doctorIdRequest,
  listDepartmentsRequest,
  listDoctorsRequest,
  updateDepartmentRequest,
  updateDoctorRequest,
} from '../routes/directory.js';
import { contracts } from './contract.js';
import { protoSchema } from './proto-schemas.js';

const tag = 'Directory';
const department = z.strictObject({ department: protoSchema('Department') });
const doctor = z.strictObject({ doctor: protoSchema('Doctor') });
const location = (what: string) => ({
  Location: { description: `Where the ${what} can be read`, schema: { type: 'string' as const } },
});
const doctorLinks = {
  GetDoctor: { operationId: 'getDoctor', parameters: { id: '$response.body#/doctor/id' } },
  Schedules: { operationId: 'listSchedules', parameters: { doctorId: '$response.body#/doctor/id' } },
};

export const directoryContracts = contracts(
  {
    method: 'get',
    path: '/api/v1/departments',
    operationId: 'listDepartments',
    permission: 'doctors.read',
    tag,
    summary: 'The tenant’s departments (active ones unless includeInactive=true)',
    request: listDepartmentsRequest,
    responses: {
      200: {
        description: 'A page of departments; `nextCursor` is empty on the last page',
        schema: protoSchema('ListDepartmentsResponse'),
      },
    },
    errors: [422],
  },
  {
    method: 'post',
    path: '/api/v1/departments',
    operationId: 'createDepartment',
    permission: 'doctors.write',
    tag,
    summary: 'Create a department',
    request: createDepartmentRequest,
    example: { name: 'Cardiology', description: 'Heart and vessels' },
    responses: {
      201: {
        description: 'Created',
        schema: department,
        headers: location('department'),
        links: { GetDepartment: { operationId: 'getDepartment', parameters: { id: '$response.body#/department/id' } } },
      },
    },
    errors: [409, 422],
  },
  {
    method: 'get',
    path: '/api/v1/departments/:id',
    operationId: 'getDepartment',
    permission: 'doctors.read',
    tag,
    summary: 'Read a department',
    request: departmentIdRequest,
    responses: { 200: { description: 'The department', schema: department } },
    errors: [404],
  },
  {
    method: 'patch',
    path: '/api/v1/departments/:id',
    operationId: 'updateDepartment',
    permission: 'doctors.write',
    tag,
    summary: 'Rename or describe a department (fields left out keep their value)',
    request: updateDepartmentRequest,
    example: { description: 'Heart, vessels and rhythm' },
    responses: { 200: { description: 'The department as changed', schema: department } },
    errors: [404, 409, 422],
  },
  {
    method: 'delete',
    path: '/api/v1/departments/:id',
    operationId: 'deactivateDepartment',
    permission: 'doctors.write',
    tag,
    summary: 'Deactivate a department (kept with its history)',
    request: departmentIdRequest,
    responses: { 200: { description: 'The department, inactive', schema: department } },
    errors: [404, 409, 422],
  },
  {
    method: 'get',
    path: '/api/v1/doctors',
    operationId: 'listDoctors',
    permission: 'doctors.read',
    tag,
    summary: 'Find doctors by department, specialization, mode, language or a day with a free slot',
    description:
      'Each doctor comes with their next free slots (up to 10), from now or from the start of `availableOn`.',
    request: listDoctorsRequest,
    responses: {
      200: {
        description: 'A page of doctors; `nextCursor` is empty on the last page',
        schema: protoSchema('ListDoctorsResponse'),
      },
    },
    errors: [404, 422],
  },
  {
    method: 'post',
    path: '/api/v1/doctors',
    operationId: 'createDoctor',
    permission: 'doctors.write',
    tag,
    summary: 'Add a doctor to a department, with fees and the clinic’s time zone',
    request: createDoctorRequest,
    example: {
      departmentId: '0192f3c4-0000-7000-8000-000000000003',
      fullName: 'Dr. Meera Iyer',
      specialization: 'cardiology',
      languages: ['en', 'hi'],
      consultationModes: ['in_person', 'video'],
      fees: { consultationFeeMinor: 50000, hospitalFeeMinor: 10000, currency: 'INR' },
      timeZone: 'Asia/Kolkata',
    },
    responses: { 201: { description: 'Created', schema: doctor, headers: location('doctor'), links: doctorLinks } },
    errors: [404, 409, 422],
  },
  {
    method: 'get',
    path: '/api/v1/doctors/:id',
    operationId: 'getDoctor',
    permission: 'doctors.read',
    tag,
    summary: 'Read a doctor',
    request: doctorIdRequest,
    responses: { 200: { description: 'The doctor', schema: doctor } },
    errors: [404],
  },
  {
    method: 'patch',
    path: '/api/v1/doctors/:id',
    operationId: 'updateDoctor',
    permission: 'doctors.write',
    tag,
    summary: 'Change a doctor (fields left out keep their value)',
    description:
      'A new time zone that would strand booked appointments is refused (409, `affectedAppointments`): cancel or ' +
      'move them first.',
    request: updateDoctorRequest,
    example: { fees: { consultationFeeMinor: 60000, hospitalFeeMinor: 10000, currency: 'INR' } },
    responses: { 200: { description: 'The doctor as changed', schema: doctor } },
    errors: [404, 409, 422],
  },
  {
    method: 'delete',
    path: '/api/v1/doctors/:id',
    operationId: 'deactivateDoctor',
    permission: 'doctors.write',
    tag,
    summary: 'Deactivate a doctor (refused while they have appointments to come: 409, `affectedAppointments`)',
    request: doctorIdRequest,
    responses: { 200: { description: 'The doctor, inactive', schema: doctor } },
    errors: [404, 409, 422],
  },
);
