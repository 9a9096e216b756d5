/** gRPC PatientsService: registration, changes, deactivation and search. */
import {
  pageSizeOf,
  parseRequest,
  requestFingerprint,
  type MethodPermissions,
  type UnaryImplementation,
} from '@hms/platform';
import type { PatientsServiceHandlers } from '@hms/proto';
import { z } from 'zod';
import type { SchedulingDeps } from '../domain/book-appointment.js';
import { deactivatePatient, getPatient, registerPatient, searchPatients, updatePatient } from '../domain/patients.js';
import { decodeMatchCursor, encodeMatchCursor, idempotencyKey, patientMessage, uuid } from './messages.js';

const text = (max: number) => z.string().max(max, { error: `must be at most ${max} characters` });
const registerRequest = z.object({
  fullName: text(200),
  phone: text(40),
  dateOfBirth: text(10),
  confirmNew: z.boolean(),
  idempotencyKey,
});

/** What a caller must be allowed to do for each method (checked before the handler runs). */
export const patientsPermissions = {
  RegisterPatient: 'patients.write',
  UpdatePatient: 'patients.write',
  GetPatient: 'patients.read',
  DeactivatePatient: 'patients.write',
  SearchPatients: 'patients.read',
} satisfies MethodPermissions<PatientsServiceHandlers>;

export function patientsHandlers(deps: SchedulingDeps): UnaryImplementation<PatientsServiceHandlers> {
  return {
    async RegisterPatient(request, ctx) {
      const input = parseRequest(registerRequest, request);
      const { idempotencyKey: key, ...rest } = input;
      const { patient, replayed } = await registerPatient(deps, {
        tenantId: ctx.tenantId,
        details: { fullName: input.fullName, phone: input.phone, dateOfBirth: input.dateOfBirth },
        confirmNew: input.confirmNew,
        idempotency: key ? { operation: 'RegisterPatient', key, fingerprint: requestFingerprint(rest) } : undefined,
        quota: ctx.quotas.patients,
      });
      return { patient: patientMessage(patient), replayed };
    },
    async UpdatePatient(request, ctx) {
      const changes = parseRequest(
        z.object({ fullName: text(200).optional(), phone: text(40).optional(), dateOfBirth: text(10).optional() }),
        { fullName: request.fullName, phone: request.phone, dateOfBirth: request.dateOfBirth },
      );
      const patient = await updatePatient(deps, {
        tenantId: ctx.tenantId,
        patientId: parseRequest(uuid, request.id, 'id'),
        changes: Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined)),
      });
      return { patient: patientMessage(patient) };
    },
    async GetPatient(request, ctx) {
      return {
        patient: patientMessage(
          await getPatient(deps, { tenantId: ctx.tenantId, patientId: parseRequest(uuid, request.id, 'id') }),
        ),
      };
    },
    async DeactivatePatient(request, ctx) {
      const patient = await deactivatePatient(deps, {
        tenantId: ctx.tenantId,
        patientId: parseRequest(uuid, request.id, 'id'),
      });
      return { patient: patientMessage(patient) };
    },
    async SearchPatients(request, ctx) {
      const limit = pageSizeOf(request.pageSize);
      const { matches, more } = await searchPatients(deps, {
        tenantId: ctx.tenantId,
        q: request.query,
        limit,
        after: request.cursor ? decodeMatchCursor(request.cursor) : undefined,
      });
      return {
        matches: matches.map((m) => ({ patient: patientMessage(m.patient), matchedBy: m.matchedBy, score: m.score })),
        nextCursor: more ? encodeMatchCursor(matches.at(-1)!) : '',
      };
    },
  };
}
