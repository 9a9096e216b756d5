/** gRPC methods of the directory: doctors and patients, proto <-> domain. */
import { isoDateOf, parseRequest, requestFingerprint, type UnaryImplementation } from '@hms/platform';
import type { AppointmentsServiceHandlers } from '@hms/proto';
import { z } from 'zod';
import { getDoctor, getPatient, registerPatient, type Directory, type PatientRecord } from '../domain/directory.js';

const uuid = z.uuid().transform((id) => id.toLowerCase());
const registerRequest = z.object({
  fullName: z.string(),
  phone: z.string(),
  dateOfBirth: z.string(),
  idempotencyKey: z.string().max(200),
});

type DirectoryMethods = Pick<
  UnaryImplementation<AppointmentsServiceHandlers>,
  'GetDoctor' | 'GetPatient' | 'RegisterPatient'
>;

const patientMessage = (p: PatientRecord) => ({
  id: p.id,
  mrn: p.mrn,
  fullName: p.fullName,
  phone: p.phone ?? '',
  dateOfBirth: p.dateOfBirth ?? '',
});

export function directoryHandlers(deps: { directory: Directory; newId: () => string }): DirectoryMethods {
  return {
    async GetDoctor(request, ctx) {
      const doctor = await getDoctor(deps.directory, ctx.tenantId, parseRequest(uuid, request.id, 'id'));
      return {
        doctor: {
          id: doctor.id,
          departmentId: doctor.departmentId,
          fullName: doctor.fullName,
          timeZone: doctor.timeZone,
          slotMinutes: doctor.slotMinutes,
          active: doctor.active,
        },
      };
    },
    async GetPatient(request, ctx) {
      const patient = await getPatient(deps.directory, ctx.tenantId, parseRequest(uuid, request.id, 'id'));
      return { patient: patientMessage(patient) };
    },
    async RegisterPatient(request, ctx) {
      const { idempotencyKey, ...patient } = parseRequest(registerRequest, request);
      const { patient: saved, replayed } = await registerPatient(
        { directory: deps.directory, newId: deps.newId, today: () => isoDateOf(new Date()) },
        {
          tenantId: ctx.tenantId,
          patient,
          idempotency: idempotencyKey
            ? { operation: 'RegisterPatient', key: idempotencyKey, fingerprint: requestFingerprint(patient) }
            : undefined,
        },
      );
      return { patient: patientMessage(saved), replayed };
    },
  };
}
