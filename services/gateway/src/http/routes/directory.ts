/**
 * /departments and /doctors: the tenant's reference data, and doctor search with next free slots.
 * A doctor is read from the gateway's doctor directory (the process over Redis, dropped on
 * doctor.updated), so the hot read of reference data never leaves the gateway once cached.
 */
import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { API_PREFIX } from '../api-prefix.js';
import type { Backends } from '../backends.js';
import type { DoctorDirectory } from '../doctors.js';
import { methodNotAllowed } from '../method-not-allowed.js';
import { requires } from '../permissions.js';
import { schedulingJson } from '../scheduling-json.js';
import { calendarDate, cursor, limit, parseInput, uuid } from './validation.js';
import { consultationMode, noQuery, text, toProtoMode, wholeNumber } from './scheduling-inputs.js';

const description = z.string({ error: 'must be a string' }).max(1000, { error: 'must be at most 1000 characters' });
const flag = z.enum(['true', 'false'], { error: 'must be true or false' }).optional();
const words = (max: number) =>
  z.array(text(100), { error: 'must be a list of strings' }).max(max, { error: `must have at most ${max} entries` });
const fees = z
  .object({
    consultationFeeMinor: wholeNumber(0, 100_000_000),
    hospitalFeeMinor: wholeNumber(0, 100_000_000),
    currency: z
      .string({ error: 'must be an ISO 4217 code' })
      .regex(/^[A-Z]{3}$/, { error: 'must be an ISO 4217 code' }),
  })
  .strict();
const doctorFields = {
  departmentId: uuid,
  fullName: text(200),
  specialization: text(100),
  qualifications: words(20),
  languages: words(20),
  consultationModes: z
    .array(consultationMode, { error: 'must be a list of in_person, video' })
    .min(1, { error: 'must name at least one mode' }),
  yearsOfExperience: wholeNumber(0, 80),
  fees,
  timeZone: text(64),
};

export const createDepartmentRequest = {
  query: noQuery,
  body: z.object({ name: text(120), description: description.optional() }).strict(),
};
export const listDepartmentsRequest = { query: z.object({ includeInactive: flag, limit, cursor }).strict() };
export const departmentIdRequest = { params: z.object({ id: uuid }), query: noQuery };
export const updateDepartmentRequest = {
  params: z.object({ id: uuid }),
  query: noQuery,
  body: z.object({ name: text(120).optional(), description: description.optional() }).strict(),
};
export const createDoctorRequest = {
  query: noQuery,
  body: z
    .object({
      ...doctorFields,
      qualifications: doctorFields.qualifications.optional(),
      languages: doctorFields.languages.optional(),
      yearsOfExperience: doctorFields.yearsOfExperience.optional(),
    })
    .strict(),
};
export const listDoctorsRequest = {
  query: z
    .object({
      departmentId: uuid.optional(),
      specialization: text(100).optional(),
      mode: consultationMode.optional(),
      language: text(20).optional(),
      availableOn: calendarDate.optional(),
      includeInactive: flag,
      limit,
      cursor,
    })
    .strict(),
};
export const doctorIdRequest = { params: z.object({ id: uuid }), query: noQuery };
export const updateDoctorRequest = {
  params: z.object({ id: uuid }),
  query: noQuery,
  body: z.object(doctorFields).partial().strict(),
};

export function directoryRoutes(backends: Backends, doctors: DoctorDirectory, guards: RequestHandler[]): Router {
  const router = Router();
  const directory = backends.directory.call;
  const read = [...guards, requires('doctors.read')];
  const manage = [...guards, requires('doctors.write')];

  router
    .route(`${API_PREFIX}/departments`)
    .get(...read, async (req, res) => {
      const { query } = parseInput(req, listDepartmentsRequest);
      const page = await directory.listDepartments({
        includeInactive: query.includeInactive === 'true',
        pageSize: query.limit ?? 0,
        cursor: query.cursor ?? '',
      });
      res.json(schedulingJson(page));
    })
    .post(...manage, async (req, res) => {
      const { body } = parseInput(req, createDepartmentRequest);
      const { department } = await directory.createDepartment({ name: body.name, description: body.description ?? '' });
      res.location(`${API_PREFIX}/departments/${department!.id}`);
      res.status(201).json({ department: schedulingJson(department) });
    })
    .all(methodNotAllowed('GET, POST'));

  router
    .route(`${API_PREFIX}/departments/:id`)
    .get(...read, async (req, res) => {
      const { params } = parseInput(req, departmentIdRequest);
      const { department } = await directory.getDepartment({ id: params.id });
      res.json({ department: schedulingJson(department) });
    })
    .patch(...manage, async (req, res) => {
      const { params, body } = parseInput(req, updateDepartmentRequest);
      const { department } = await directory.updateDepartment({ id: params.id, ...body });
      res.json({ department: schedulingJson(department) });
    })
    .delete(...manage, async (req, res) => {
      const { params } = parseInput(req, departmentIdRequest);
      const { department } = await directory.deactivateDepartment({ id: params.id });
      res.json({ department: schedulingJson(department) });
    })
    .all(methodNotAllowed('GET, PATCH, DELETE'));

  router
    .route(`${API_PREFIX}/doctors`)
    // Search: each doctor with their next free slots.
    .get(...read, async (req, res) => {
      const { query } = parseInput(req, listDoctorsRequest);
      const page = await directory.listDoctors({
        departmentId: query.departmentId ?? '',
        specialization: query.specialization ?? '',
        mode: query.mode ? toProtoMode(query.mode) : 'CONSULTATION_MODE_UNSPECIFIED',
        language: query.language ?? '',
        availableOn: query.availableOn ?? '',
        includeInactive: query.includeInactive === 'true',
        pageSize: query.limit ?? 0,
        cursor: query.cursor ?? '',
      });
      res.json(schedulingJson(page));
    })
    .post(...manage, async (req, res) => {
      const { body } = parseInput(req, createDoctorRequest);
      const { doctor } = await directory.createDoctor({
        ...body,
        qualifications: body.qualifications ?? [],
        languages: body.languages ?? [],
        yearsOfExperience: body.yearsOfExperience ?? 0,
        consultationModes: body.consultationModes.map(toProtoMode),
      });
      res.location(`${API_PREFIX}/doctors/${doctor!.id}`);
      res.status(201).json({ doctor: schedulingJson(doctor) });
    })
    .all(methodNotAllowed('GET, POST'));

  router
    .route(`${API_PREFIX}/doctors/:id`)
    .get(...read, async (req, res) => {
      const { params } = parseInput(req, doctorIdRequest);
      res.json({ doctor: schedulingJson(await doctors.find(params.id)) });
    })
    .patch(...manage, async (req, res) => {
      const { params, body } = parseInput(req, updateDoctorRequest);
      const { qualifications, languages, consultationModes, ...rest } = body;
      const { doctor } = await directory.updateDoctor({
        id: params.id,
        ...rest,
        ...(qualifications ? { qualifications: { values: qualifications } } : {}),
        ...(languages ? { languages: { values: languages } } : {}),
        ...(consultationModes ? { consultationModes: { values: consultationModes.map(toProtoMode) } } : {}),
      });
      await doctors.changed(doctor!);
      res.json({ doctor: schedulingJson(doctor) });
    })
    .delete(...manage, async (req, res) => {
      const { params } = parseInput(req, doctorIdRequest);
      const { doctor } = await directory.deactivateDoctor({ id: params.id });
      await doctors.changed(doctor!);
      res.json({ doctor: schedulingJson(doctor) });
    })
    .all(methodNotAllowed('GET, PATCH, DELETE'));

  return router;
}
