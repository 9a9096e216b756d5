/**
 * gRPC ClinicalService: translates proto messages to the clinical record's use
 * cases and back. The caller's permissions come from what the gateway vouched
 * for (clinician.ts); the use cases check them, since several reads accept one
 * of two permissions (the pharmacy reads prescriptions, not the whole record).
 */
import {
  ANY_CALLER,
  nextPageCursor,
  pageSizeOf,
  parseRequest,
  positionAfter,
  requestFingerprint,
  type CallContext,
  type MethodPermissions,
  type UnaryImplementation,
} from '@hms/platform';
import { fromTimestamp, type ClinicalServiceHandlers } from '@hms/proto';
import { z } from 'zod';
import {
  getClinicalSettings,
  getPrescription,
  listAllergies,
  listFormulary,
  patientHistory,
  putFormularyItem,
  recordAllergy,
  searchDiagnosisCodes,
  updateClinicalSettings,
  visitConsultation,
  visitPrescriptions,
  visitVitals,
} from '../domain/clinical-record.js';
import type {
  Allergy,
  Consultation,
  Diagnosis,
  FormularyItem,
  Prescription,
  VisitSummary,
  Vitals,
} from '../domain/clinical-types.js';
import { addAddendum, saveConsultation, signConsultation } from '../domain/consultation.js';
import { dispensePrescription, issuePrescription } from '../domain/prescriptions.js';
import { recordVitals, type ClinicalDeps } from '../domain/vitals.js';
import { prescriptionPdf } from '../documents/prescription-pdf.js';
import { clinicianOf } from './clinician.js';
import { appointmentMessage, at, idempotencyKey, uuid } from './messages.js';

const id = (value: string, field: string) => parseRequest(uuid, value, field);

// --- messages --------------------------------------------------------------------------------

const vitalsMessage = (v: Vitals) => ({ ...v, takenAt: at(v.takenAt) });
const diagnosisMessage = (d: Diagnosis) => ({ code: d.code, title: d.title, primary: d.primary });

function consultationMessage(c: Consultation) {
  return {
    id: c.id,
    appointmentId: c.appointmentId,
    patientId: c.patientId,
    doctorId: c.doctorId,
    status: c.status.toLowerCase(),
    chiefComplaint: c.chiefComplaint,
    history: c.history,
    examination: c.examination,
    notes: c.notes,
    diagnoses: c.diagnoses.map(diagnosisMessage),
    followUpAdvice: c.followUpAdvice,
    followUpDate: c.followUpDate ?? '',
    version: c.version,
    createdAt: at(c.createdAt),
    updatedAt: at(c.updatedAt),
    signedAt: at(c.signedAt),
    signedBy: c.signedBy ?? '',
    addenda: c.addenda.map((a) => ({
      id: a.id,
      text: a.text,
      diagnoses: a.diagnoses.map(diagnosisMessage),
      authorId: a.authorId,
      addedAt: at(a.addedAt),
    })),
  };
}

function prescriptionMessage(p: Prescription) {
  return {
    id: p.id,
    appointmentId: p.appointmentId,
    patientId: p.patientId,
    doctorId: p.doctorId,
    status: p.status.toLowerCase(),
    items: p.items.map(({ billingCode: _billing, ...item }) => item),
    warnings: p.warnings,
    issuedAt: at(p.issuedAt),
    issuedBy: p.issuedBy,
    dispensedAt: at(p.dispensedAt),
    dispensedBy: p.dispensedBy ?? '',
  };
}

const formularyMessage = (f: FormularyItem) => ({
  id: f.id,
  code: f.code,
  genericName: f.genericName,
  form: f.form,
  strength: f.strength,
  billingCode: f.billingCode,
  active: f.active,
});

const allergyMessage = (a: Allergy) => ({ ...a, recordedAt: at(a.recordedAt) });

const visitMessage = (v: VisitSummary) => ({
  appointment: appointmentMessage(v.appointment),
  consultationStatus: v.consultationStatus?.toLowerCase() ?? '',
  diagnoses: v.diagnoses.map(diagnosisMessage),
  prescriptions: v.prescriptions.map((p) => ({ ...p, status: p.status.toLowerCase() })),
});

// --- requests ----------------------------------------------------------------------------------

const text = (max: number) => z.string().max(max, { error: `must be at most ${max} characters` });
const diagnosisInputs = z.array(z.object({ code: text(10), primary: z.boolean() }));
const optionalDate = z.union([z.literal('').transform(() => null), z.string()]);
const historyCursor = z.object({ s: z.iso.datetime(), id: z.uuid() });
const formularyCursor = z.object({ code: z.string().max(40) });

/**
 * Every method is open to an authenticated caller at the door and checked by its use case
 * (requireClinical), which knows when one of two permissions will do.
 */
export const clinicalPermissions = {
  RecordVitals: ANY_CALLER,
  ListVitals: ANY_CALLER,
  SaveConsultation: ANY_CALLER,
  SignConsultation: ANY_CALLER,
  AddConsultationAddendum: ANY_CALLER,
  GetConsultation: ANY_CALLER,
  SearchDiagnosisCodes: ANY_CALLER,
  PutFormularyItem: ANY_CALLER,
  ListFormulary: ANY_CALLER,
  RecordAllergy: ANY_CALLER,
  ListAllergies: ANY_CALLER,
  IssuePrescription: ANY_CALLER,
  ListPrescriptions: ANY_CALLER,
  RenderPrescription: ANY_CALLER,
  DispensePrescription: ANY_CALLER,
  GetPatientHistory: ANY_CALLER,
  GetClinicalSettings: ANY_CALLER,
  UpdateClinicalSettings: ANY_CALLER,
} satisfies MethodPermissions<ClinicalServiceHandlers>;

export function clinicalHandlers(deps: ClinicalDeps): UnaryImplementation<ClinicalServiceHandlers> {
  const actor = (ctx: CallContext) => clinicianOf(ctx);
  return {
    async RecordVitals(request, ctx) {
      const { appointmentId: visit, takenAt, ...readings } = request;
      const vitals = await recordVitals(deps, {
        tenantId: ctx.tenantId,
        appointmentId: id(visit, 'appointmentId'),
        takenAt: fromTimestamp(takenAt) ?? undefined,
        readings: Object.fromEntries(
          Object.entries(readings).filter(([key, value]) => !key.startsWith('_') && value !== undefined),
        ),
        actor: actor(ctx),
      });
      return { vitals: vitalsMessage(vitals) };
    },
    async ListVitals(request, ctx) {
      const { patientId, part } = await visitVitals(deps, {
        tenantId: ctx.tenantId,
        appointmentId: id(request.appointmentId, 'appointmentId'),
        actor: actor(ctx),
      });
      return { patientId, vitals: part.map(vitalsMessage) };
    },
    async SaveConsultation(request, ctx) {
      const input = parseRequest(
        z.object({
          chiefComplaint: z.string(),
          history: z.string(),
          examination: z.string(),
          notes: z.string(),
          followUpAdvice: z.string(),
          followUpDate: optionalDate,
          diagnoses: diagnosisInputs,
          expectedVersion: z.number().int().min(0, { error: 'must be 0 or more' }),
        }),
        request,
      );
      const consultation = await saveConsultation(deps, {
        tenantId: ctx.tenantId,
        appointmentId: id(request.appointmentId, 'appointmentId'),
        notes: {
          chiefComplaint: input.chiefComplaint,
          history: input.history,
          examination: input.examination,
          notes: input.notes,
          followUpAdvice: input.followUpAdvice,
          followUpDate: input.followUpDate,
        },
        diagnoses: input.diagnoses,
        expectedVersion: input.expectedVersion,
        actor: actor(ctx),
      });
      return { consultation: consultationMessage(consultation) };
    },
    async SignConsultation(request, ctx) {
      const consultation = await signConsultation(deps, {
        tenantId: ctx.tenantId,
        appointmentId: id(request.appointmentId, 'appointmentId'),
        expectedVersion: request.expectedVersion,
        actor: actor(ctx),
      });
      return { consultation: consultationMessage(consultation) };
    },
    async AddConsultationAddendum(request, ctx) {
      const consultation = await addAddendum(deps, {
        tenantId: ctx.tenantId,
        appointmentId: id(request.appointmentId, 'appointmentId'),
        text: request.text,
        diagnoses: parseRequest(diagnosisInputs, request.diagnoses, 'diagnoses'),
        actor: actor(ctx),
      });
      return { consultation: consultationMessage(consultation) };
    },
    async GetConsultation(request, ctx) {
      const { part } = await visitConsultation(deps, {
        tenantId: ctx.tenantId,
        appointmentId: id(request.appointmentId, 'appointmentId'),
        actor: actor(ctx),
      });
      return { consultation: consultationMessage(part) };
    },
    async SearchDiagnosisCodes(request, ctx) {
      const codes = await searchDiagnosisCodes(deps, {
        tenantId: ctx.tenantId,
        query: parseRequest(text(100), request.query, 'query'),
        limit: pageSizeOf(request.pageSize),
      });
      return { codes };
    },
    async PutFormularyItem(request, ctx) {
      const item = await putFormularyItem(deps, {
        tenantId: ctx.tenantId,
        item: {
          code: request.code,
          genericName: request.genericName,
          form: request.form,
          strength: request.strength,
          billingCode: request.billingCode,
          active: request.active,
        },
        actor: actor(ctx),
      });
      return { item: formularyMessage(item) };
    },
    async ListFormulary(request, ctx) {
      const { items, more } = await listFormulary(deps, {
        tenantId: ctx.tenantId,
        query: parseRequest(text(100), request.query, 'query'),
        limit: pageSizeOf(request.pageSize),
        afterCode: positionAfter(formularyCursor, request.cursor)?.code,
      });
      return {
        items: items.map(formularyMessage),
        nextCursor: nextPageCursor(items, more, (last) => ({ code: last.code })),
      };
    },
    async RecordAllergy(request, ctx) {
      const allergy = await recordAllergy(deps, {
        tenantId: ctx.tenantId,
        patientId: id(request.patientId, 'patientId'),
        substance: request.substance,
        reaction: request.reaction,
        severity: request.severity,
        actor: actor(ctx),
      });
      return { allergy: allergyMessage(allergy) };
    },
    async ListAllergies(request, ctx) {
      const allergies = await listAllergies(deps, {
        tenantId: ctx.tenantId,
        patientId: id(request.patientId, 'patientId'),
        actor: actor(ctx),
      });
      return { allergies: allergies.map(allergyMessage) };
    },
    async IssuePrescription(request, ctx) {
      const key = parseRequest(idempotencyKey, request.idempotencyKey, 'idempotencyKey');
      const appointmentId = id(request.appointmentId, 'appointmentId');
      const { prescription, replayed } = await issuePrescription(deps, {
        tenantId: ctx.tenantId,
        appointmentId,
        items: request.items,
        acknowledgeWarnings: request.acknowledgeWarnings,
        idempotency: key
          ? {
              operation: 'IssuePrescription',
              key,
              fingerprint: requestFingerprint({
                appointmentId,
                items: request.items,
                acknowledgeWarnings: request.acknowledgeWarnings,
              }),
            }
          : undefined,
        actor: actor(ctx),
      });
      return { prescription: prescriptionMessage(prescription), replayed };
    },
    async ListPrescriptions(request, ctx) {
      const { patientId, part } = await visitPrescriptions(deps, {
        tenantId: ctx.tenantId,
        appointmentId: id(request.appointmentId, 'appointmentId'),
        actor: actor(ctx),
      });
      return { patientId, prescriptions: part.map(prescriptionMessage) };
    },
    async RenderPrescription(request, ctx) {
      const prescription = await getPrescription(deps, {
        tenantId: ctx.tenantId,
        prescriptionId: id(request.prescriptionId, 'prescriptionId'),
        actor: actor(ctx),
      });
      const pdf = await prescriptionPdf({
        prescription,
        issuerName: parseRequest(text(200), request.issuerName, 'issuerName'),
      });
      return { pdf, fileName: `prescription-${prescription.id}.pdf`, patientId: prescription.patientId };
    },
    async DispensePrescription(request, ctx) {
      const prescription = await dispensePrescription(deps, {
        tenantId: ctx.tenantId,
        prescriptionId: id(request.prescriptionId, 'prescriptionId'),
        actor: actor(ctx),
      });
      return { prescription: prescriptionMessage(prescription) };
    },
    async GetPatientHistory(request, ctx) {
      const cursor = positionAfter(historyCursor, request.cursor);
      const { visits, more } = await patientHistory(deps, {
        tenantId: ctx.tenantId,
        patientId: id(request.patientId, 'patientId'),
        limit: pageSizeOf(request.pageSize),
        after: cursor ? { startsAt: new Date(cursor.s), id: cursor.id } : undefined,
        actor: actor(ctx),
      });
      return {
        visits: visits.map(visitMessage),
        nextCursor: nextPageCursor(visits, more, ({ appointment }) => ({
          s: appointment.startsAt.toISOString(),
          id: appointment.id,
        })),
      };
    },
    async GetClinicalSettings(_request, ctx) {
      return { settings: await getClinicalSettings(deps, ctx.tenantId) };
    },
    async UpdateClinicalSettings(request, ctx) {
      const settings = await updateClinicalSettings(deps, {
        tenantId: ctx.tenantId,
        settings: { pharmacyEnabled: request.settings?.pharmacyEnabled ?? false },
        actor: actor(ctx),
      });
      return { settings };
    },
  };
}
