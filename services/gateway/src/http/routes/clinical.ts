/**
 * The clinical record over REST: a visit's vitals, consultation (drafts,
 * signing, addenda) and prescriptions as separate resources of the
 * appointment, each read one backend call; the printable prescription and its
 * dispensing; a patient's history, allergies; the ICD-10-CM code search, the
 * formulary and the clinical settings.
 *
 * Each route names the one permission it needs (`requires(...)`); every read of
 * the record is put on the audit trail as record.accessed before the answer
 * leaves (`recordReadDurably`: a read that cannot be recorded is not answered).
 */
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { toTimestamp } from '@hms/proto';
import { z } from 'zod';
import { recordReadDurably } from '../access-log.js';
import { API_PREFIX } from '../api-prefix.js';
import type { Backends } from '../backends.js';
import { appointmentJson } from '../json.js';
import { methodNotAllowed } from '../method-not-allowed.js';
import { requires } from '../permissions.js';
import { schedulingJson } from '../scheduling-json.js';
import { cursor, limit, parseInput, uuid } from './validation.js';
import { idempotencyHeaders, noQuery } from './scheduling-inputs.js';

// --- the audit trail of reads ------------------------------------------------------------------

export interface ClinicalRead {
  entityType: 'vitals' | 'consultation' | 'prescriptions' | 'prescription' | 'patient_history';
  entityId: string;
  patientId: string;
}

// --- requests ----------------------------------------------------------------------------------

const reading = (name: string) => z.number({ error: `${name} must be a number` }).optional();
const longText = (max: number) =>
  z.string({ error: 'must be a string' }).max(max, { error: `must be at most ${max} characters` });
const diagnoses = z
  .array(
    z
      .object({
        code: z.string({ error: 'required' }).max(10, { error: 'must be an ICD-10-CM code' }),
        primary: z.boolean({ error: 'must be true or false' }).optional(),
      })
      .strict(),
    { error: 'must be a list of {code, primary}' },
  )
  .max(20, { error: 'at most 20 diagnoses' });
const visit = { params: z.object({ id: uuid }) };
const instant = z.iso.datetime({ offset: true, error: 'must be an ISO-8601 instant with its offset' });

export const recordVitalsRequest = {
  ...visit,
  query: noQuery,
  body: z
    .object({
      takenAt: instant.optional(),
      temperatureC: reading('temperatureC'),
      pulseBpm: reading('pulseBpm'),
      systolicMmhg: reading('systolicMmhg'),
      diastolicMmhg: reading('diastolicMmhg'),
      respiratoryRatePerMin: reading('respiratoryRatePerMin'),
      spo2Percent: reading('spo2Percent'),
      weightKg: reading('weightKg'),
      heightCm: reading('heightCm'),
    })
    .strict(),
};
export const visitPartRequest = { ...visit, query: noQuery };
export const saveConsultationRequest = {
  ...visit,
  query: noQuery,
  body: z
    .object({
      chiefComplaint: longText(1_000).optional(),
      history: longText(20_000).optional(),
      examination: longText(20_000).optional(),
      notes: longText(20_000).optional(),
      diagnoses: diagnoses.optional(),
      followUpAdvice: longText(5_000).optional(),
      followUpDate: z
        .string()
        .regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'must be YYYY-MM-DD' })
        .nullable()
        .optional(),
      expectedVersion: z.number({ error: 'required: the version you edited (0 for a new draft)' }).int().min(0),
    })
    .strict(),
};
export const signConsultationRequest = {
  ...visit,
  query: noQuery,
  body: z.object({ expectedVersion: z.number({ error: 'required: the version you read' }).int().min(1) }).strict(),
};
export const addendumRequest = {
  ...visit,
  query: noQuery,
  body: z.object({ text: longText(20_000), diagnoses: diagnoses.optional() }).strict(),
};
export const issuePrescriptionRequest = {
  ...visit,
  query: noQuery,
  headers: idempotencyHeaders,
  body: z
    .object({
      items: z
        .array(
          z
            .object({
              medicineCode: z.string({ error: 'required' }).max(40),
              dose: longText(100),
              route: z.string({ error: 'required' }).max(20),
              frequency: longText(100),
              durationDays: z.number({ error: 'required: whole days' }).int({ error: 'must be whole days' }),
              quantity: z.number({ error: 'required: units to hand over' }).int({ error: 'must be a whole number' }),
              instructions: longText(1_000).optional(),
            })
            .strict(),
          { error: 'required: a list of items' },
        )
        .max(30, { error: 'at most 30 items' }),
      acknowledgeWarnings: z.boolean({ error: 'must be true or false' }).optional(),
    })
    .strict(),
};
export const prescriptionIdRequest = { params: z.object({ id: uuid }), query: noQuery };
export const patientHistoryRequest = { params: z.object({ id: uuid }), query: z.object({ limit, cursor }).strict() };
export const patientAllergiesRequest = { params: z.object({ id: uuid }), query: noQuery };
export const recordAllergyRequest = {
  params: z.object({ id: uuid }),
  query: noQuery,
  body: z
    .object({
      substance: longText(200),
      reaction: longText(500).optional(),
      severity: z.enum(['mild', 'moderate', 'severe'], { error: 'must be mild, moderate or severe' }),
    })
    .strict(),
};
export const diagnosisCodesRequest = {
  query: z.object({ q: z.string({ error: 'required: a code or words' }).min(1).max(100), limit }).strict(),
};
export const formularyRequest = {
  query: z.object({ q: z.string().max(100).optional(), limit, cursor }).strict(),
};
export const putFormularyItemRequest = {
  params: z.object({
    code: z.string().regex(/^[A-Z0-9][A-Z0-9._-]{0,39}$/, { error: 'must be 1-40 of A-Z, 0-9, . _ -' }),
  }),
  query: noQuery,
  body: z
    .object({
      genericName: longText(200),
      form: longText(200),
      strength: longText(200),
      billingCode: z.string().max(40).optional(),
      active: z.boolean({ error: 'must be true or false' }).optional(),
    })
    .strict(),
};
export const clinicalSettingsRequest = {
  query: noQuery,
  body: z.object({ pharmacyEnabled: z.boolean({ error: 'must be true or false' }) }).strict(),
};

function sendPdf(res: Response, reply: { pdf: Buffer; fileName: string }): void {
  res.type('application/pdf');
  res.setHeader('content-disposition', `inline; filename="${reply.fileName}"`);
  res.send(reply.pdf);
}

/** The tenant's name for printed documents, as authentication found it. */
const issuerOf = (res: Response) => String((res.locals.tenant as { name?: string } | undefined)?.name ?? '');

// --- routes ------------------------------------------------------------------------------------

export function clinicalRoutes(backends: Backends, guards: RequestHandler[]): Router {
  const router = Router();
  const api = backends.clinical.call;
  const read = (entityType: ClinicalRead['entityType'], req: Request, entityId: string, patientId: string) =>
    recordReadDurably(req, { entityType, entityId, patientId });

  router
    .route(`${API_PREFIX}/appointments/:id/vitals`)
    .all(...guards)
    .get(requires('clinical.read'), async (req, res) => {
      const { params } = parseInput(req, visitPartRequest);
      const reply = await api.listVitals({ appointmentId: params.id });
      await read('vitals', req, params.id, reply.patientId);
      res.json({ data: schedulingJson(reply.vitals) });
    })
    .post(requires('clinical.vitals.record'), async (req, res) => {
      const { params, body } = parseInput(req, recordVitalsRequest);
      const { takenAt, ...readings } = body;
      const { vitals } = await api.recordVitals({
        appointmentId: params.id,
        takenAt: takenAt ? toTimestamp(new Date(takenAt)) : null,
        ...readings,
      });
      res.status(201).json({ vitals: schedulingJson(vitals) });
    })
    .all(methodNotAllowed('GET, POST'));

  router
    .route(`${API_PREFIX}/appointments/:id/consultation`)
    .all(...guards)
    .get(requires('clinical.read'), async (req, res) => {
      const { params } = parseInput(req, visitPartRequest);
      const { consultation } = await api.getConsultation({ appointmentId: params.id });
      await read('consultation', req, params.id, consultation!.patientId);
      res.json({ consultation: schedulingJson(consultation) });
    })
    .put(requires('clinical.consultation.write'), async (req, res) => {
      const { params, body } = parseInput(req, saveConsultationRequest);
      const { consultation } = await api.saveConsultation({
        appointmentId: params.id,
        chiefComplaint: body.chiefComplaint ?? '',
        history: body.history ?? '',
        examination: body.examination ?? '',
        notes: body.notes ?? '',
        diagnoses: (body.diagnoses ?? []).map((d) => ({ code: d.code, primary: d.primary ?? false })),
        followUpAdvice: body.followUpAdvice ?? '',
        followUpDate: body.followUpDate ?? '',
        expectedVersion: body.expectedVersion,
      });
      res.json({ consultation: schedulingJson(consultation) });
    })
    .all(methodNotAllowed('GET, PUT'));

  router
    .route(`${API_PREFIX}/appointments/:id/consultation/sign`)
    .all(...guards)
    .post(requires('clinical.consultation.write'), async (req, res) => {
      const { params, body } = parseInput(req, signConsultationRequest);
      const { consultation } = await api.signConsultation({
        appointmentId: params.id,
        expectedVersion: body.expectedVersion,
      });
      res.json({ consultation: schedulingJson(consultation) });
    })
    .all(methodNotAllowed('POST'));

  router
    .route(`${API_PREFIX}/appointments/:id/consultation/addenda`)
    .all(...guards)
    .post(requires('clinical.consultation.write'), async (req, res) => {
      const { params, body } = parseInput(req, addendumRequest);
      const { consultation } = await api.addConsultationAddendum({
        appointmentId: params.id,
        text: body.text,
        diagnoses: (body.diagnoses ?? []).map((d) => ({ code: d.code, primary: false })),
      });
      res.status(201).json({ consultation: schedulingJson(consultation) });
    })
    .all(methodNotAllowed('POST'));

  router
    .route(`${API_PREFIX}/appointments/:id/prescriptions`)
    .all(...guards)
    .get(requires('clinical.prescriptions.read'), async (req, res) => {
      const { params } = parseInput(req, visitPartRequest);
      const reply = await api.listPrescriptions({ appointmentId: params.id });
      await read('prescriptions', req, params.id, reply.patientId);
      res.json({ data: schedulingJson(reply.prescriptions) });
    })
    .post(requires('clinical.prescriptions.write'), async (req, res) => {
      const { params, body, headers } = parseInput(req, issuePrescriptionRequest);
      const { prescription, replayed } = await api.issuePrescription({
        appointmentId: params.id,
        items: body.items.map((i) => ({ ...i, instructions: i.instructions ?? '' })),
        acknowledgeWarnings: body.acknowledgeWarnings ?? false,
        idempotencyKey: headers['idempotency-key'] ?? '',
      });
      if (replayed) res.setHeader('idempotency-replayed', 'true');
      res.status(replayed ? 200 : 201).json({ prescription: schedulingJson(prescription) });
    })
    .all(methodNotAllowed('GET, POST'));

  router
    .route(`${API_PREFIX}/prescriptions/:id/prescription.pdf`)
    .all(...guards)
    .get(requires('clinical.prescriptions.read'), async (req, res) => {
      const { params } = parseInput(req, prescriptionIdRequest);
      const reply = await api.renderPrescription({ prescriptionId: params.id, issuerName: issuerOf(res) });
      await read('prescription', req, params.id, reply.patientId);
      sendPdf(res, reply);
    })
    .all(methodNotAllowed('GET'));

  router
    .route(`${API_PREFIX}/prescriptions/:id/dispense`)
    .all(...guards)
    .post(requires('clinical.prescriptions.dispense'), async (req, res) => {
      const { params } = parseInput(req, prescriptionIdRequest);
      const { prescription } = await api.dispensePrescription({ prescriptionId: params.id });
      res.json({ prescription: schedulingJson(prescription) });
    })
    .all(methodNotAllowed('POST'));

  router
    .route(`${API_PREFIX}/patients/:id/history`)
    .all(...guards)
    .get(requires('clinical.read'), async (req, res) => {
      const { params, query } = parseInput(req, patientHistoryRequest);
      const page = await api.getPatientHistory({
        patientId: params.id,
        pageSize: query.limit ?? 0,
        cursor: query.cursor ?? '',
      });
      await read('patient_history', req, params.id, params.id);
      // The visit's appointment as every other route shows an appointment (json.ts).
      const data = page.visits.map(({ appointment, ...visit }) => ({
        appointment: appointment ? appointmentJson(appointment) : null,
        ...(schedulingJson(visit) as object),
      }));
      res.json({ data, nextCursor: page.nextCursor || null });
    })
    .all(methodNotAllowed('GET'));

  router
    .route(`${API_PREFIX}/patients/:id/allergies`)
    .all(...guards)
    .get(requires('clinical.prescriptions.read'), async (req, res) => {
      const { params } = parseInput(req, patientAllergiesRequest);
      const { allergies } = await api.listAllergies({ patientId: params.id });
      res.json({ data: schedulingJson(allergies) });
    })
    .post(requires('clinical.allergies.record'), async (req, res) => {
      const { params, body } = parseInput(req, recordAllergyRequest);
      const { allergy } = await api.recordAllergy({
        patientId: params.id,
        substance: body.substance,
        reaction: body.reaction ?? '',
        severity: body.severity,
      });
      res.status(201).json({ allergy: schedulingJson(allergy) });
    })
    .all(methodNotAllowed('GET, POST'));

  router
    .route(`${API_PREFIX}/diagnosis-codes`)
    .all(...guards)
    .get(requires('clinical.formulary.read'), async (req, res) => {
      const { query } = parseInput(req, diagnosisCodesRequest);
      const { codes } = await api.searchDiagnosisCodes({ query: query.q, pageSize: query.limit ?? 0 });
      res.json({ data: codes });
    })
    .all(methodNotAllowed('GET'));

  router
    .route(`${API_PREFIX}/formulary`)
    .all(...guards)
    .get(requires('clinical.formulary.read'), async (req, res) => {
      const { query } = parseInput(req, formularyRequest);
      const page = await api.listFormulary({
        query: query.q ?? '',
        pageSize: query.limit ?? 0,
        cursor: query.cursor ?? '',
      });
      res.json({ data: page.items, nextCursor: page.nextCursor || null });
    })
    .all(methodNotAllowed('GET'));

  router
    .route(`${API_PREFIX}/formulary/:code`)
    .all(...guards)
    .put(requires('clinical.formulary.manage'), async (req, res) => {
      const { params, body } = parseInput(req, putFormularyItemRequest);
      const { item } = await api.putFormularyItem({
        code: params.code,
        genericName: body.genericName,
        form: body.form,
        strength: body.strength,
        billingCode: body.billingCode ?? '',
        active: body.active ?? true,
      });
      res.json({ item });
    })
    .all(methodNotAllowed('PUT'));

  router
    .route(`${API_PREFIX}/clinical/settings`)
    .all(...guards)
    .get(requires('clinical.formulary.read'), async (_req, res) => {
      const { settings } = await api.getClinicalSettings({});
      res.json({ settings });
    })
    .put(requires('clinical.settings.manage'), async (req, res) => {
      const { body } = parseInput(req, clinicalSettingsRequest);
      const { settings } = await api.updateClinicalSettings({ settings: body });
      res.json({ settings });
    })
    .all(methodNotAllowed('GET, PUT'));

  return router;
}
