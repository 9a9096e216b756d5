/** gRPC DirectoryService: departments and doctors. */
import {
  decodeCursor,
  encodeCursor,
  idCursor,
  pageSizeOf,
  parseRequest,
  type MethodPermissions,
  type UnaryImplementation,
} from '@hms/platform';
import type { DirectoryServiceHandlers } from '@hms/proto';
import { z } from 'zod';
import type { SchedulingDeps } from '../domain/book-appointment.js';
import {
  createDepartment,
  createDoctor,
  deactivateDepartment,
  deactivateDoctor,
  getDepartment,
  getDoctor,
  listDepartments,
  updateDepartment,
  updateDoctor,
  type DoctorProfile,
} from '../domain/directory.js';
import { listDoctors } from '../domain/doctor-search.js';
import type { ConsultationMode } from '../domain/types.js';
import {
  departmentMessage,
  doctorMessage,
  invalidField,
  modeOf,
  optionalDate,
  optionalUuid,
  slotMessage,
  uuid,
} from './messages.js';

function modesOf(values: string[], field: string): ConsultationMode[] {
  return values.map((v, i) => modeOf(v) ?? invalidField(`${field}.${i}`, 'must be in_person or video'));
}

const fees = z.object({
  consultationFeeMinor: z.number(),
  hospitalFeeMinor: z.number(),
  currency: z.string(),
});

const createDoctorRequest = z.object({
  departmentId: uuid,
  fullName: z.string(),
  specialization: z.string(),
  qualifications: z.array(z.string()),
  languages: z.array(z.string()),
  consultationModes: z.array(z.string()),
  yearsOfExperience: z.number(),
  fees: fees.nullable().refine((f) => f !== null, { error: 'required' }),
  timeZone: z.string(),
});

/** What a caller must be allowed to do for each method (checked before the handler runs). */
export const directoryPermissions = {
  CreateDepartment: 'doctors.write',
  UpdateDepartment: 'doctors.write',
  DeactivateDepartment: 'doctors.write',
  GetDepartment: 'doctors.read',
  ListDepartments: 'doctors.read',
  CreateDoctor: 'doctors.write',
  UpdateDoctor: 'doctors.write',
  DeactivateDoctor: 'doctors.write',
  GetDoctor: 'doctors.read',
  ListDoctors: 'doctors.read',
} satisfies MethodPermissions<DirectoryServiceHandlers>;

export function directoryHandlers(deps: SchedulingDeps): UnaryImplementation<DirectoryServiceHandlers> {
  return {
    async CreateDepartment(request, ctx) {
      const department = await createDepartment(deps, {
        tenantId: ctx.tenantId,
        name: request.name,
        description: request.description,
      });
      return { department: departmentMessage(department) };
    },
    async UpdateDepartment(request, ctx) {
      const department = await updateDepartment(deps, {
        tenantId: ctx.tenantId,
        departmentId: parseRequest(uuid, request.id, 'id'),
        name: request.name,
        description: request.description,
      });
      return { department: departmentMessage(department) };
    },
    async DeactivateDepartment(request, ctx) {
      const department = await deactivateDepartment(deps, {
        tenantId: ctx.tenantId,
        departmentId: parseRequest(uuid, request.id, 'id'),
      });
      return { department: departmentMessage(department) };
    },
    async GetDepartment(request, ctx) {
      const department = await getDepartment(deps, {
        tenantId: ctx.tenantId,
        departmentId: parseRequest(uuid, request.id, 'id'),
      });
      return { department: departmentMessage(department) };
    },
    async ListDepartments(request, ctx) {
      const limit = pageSizeOf(request.pageSize);
      const { departments, more } = await listDepartments(deps, {
        tenantId: ctx.tenantId,
        includeInactive: request.includeInactive,
        limit,
        afterId: request.cursor ? decodeCursor(idCursor, request.cursor).id : undefined,
      });
      return {
        departments: departments.map(departmentMessage),
        nextCursor: more ? encodeCursor({ id: departments.at(-1)!.id }) : '',
      };
    },
    async CreateDoctor(request, ctx) {
      const input = parseRequest(createDoctorRequest, request);
      const profile: DoctorProfile = {
        departmentId: input.departmentId,
        fullName: input.fullName,
        specialization: input.specialization,
        qualifications: input.qualifications,
        languages: input.languages,
        consultationModes:
          input.consultationModes.length > 0 ? modesOf(input.consultationModes, 'consultationModes') : ['IN_PERSON'],
        yearsOfExperience: input.yearsOfExperience,
        consultationFeeMinor: input.fees!.consultationFeeMinor,
        hospitalFeeMinor: input.fees!.hospitalFeeMinor,
        currency: input.fees!.currency,
        timeZone: input.timeZone,
      };
      return {
        doctor: doctorMessage(await createDoctor(deps, { tenantId: ctx.tenantId, profile, quota: ctx.quotas.doctors })),
      };
    },
    async UpdateDoctor(request, ctx) {
      const changes: Partial<DoctorProfile> = {
        ...(request.departmentId !== undefined
          ? { departmentId: parseRequest(uuid, request.departmentId, 'departmentId') }
          : {}),
        ...(request.fullName !== undefined ? { fullName: request.fullName } : {}),
        ...(request.specialization !== undefined ? { specialization: request.specialization } : {}),
        ...(request.qualifications ? { qualifications: request.qualifications.values } : {}),
        ...(request.languages ? { languages: request.languages.values } : {}),
        ...(request.consultationModes
          ? { consultationModes: modesOf(request.consultationModes.values, 'consultationModes') }
          : {}),
        ...(request.yearsOfExperience !== undefined ? { yearsOfExperience: request.yearsOfExperience } : {}),
        ...(request.fees
          ? {
              consultationFeeMinor: request.fees.consultationFeeMinor,
              hospitalFeeMinor: request.fees.hospitalFeeMinor,
              currency: request.fees.currency,
            }
          : {}),
        ...(request.timeZone !== undefined ? { timeZone: request.timeZone } : {}),
      };
      const doctor = await updateDoctor(deps, {
        tenantId: ctx.tenantId,
        doctorId: parseRequest(uuid, request.id, 'id'),
        changes,
      });
      return { doctor: doctorMessage(doctor) };
    },
    async DeactivateDoctor(request, ctx) {
      const doctor = await deactivateDoctor(deps, {
        tenantId: ctx.tenantId,
        doctorId: parseRequest(uuid, request.id, 'id'),
      });
      return { doctor: doctorMessage(doctor) };
    },
    async GetDoctor(request, ctx) {
      const doctor = await getDoctor(deps, { tenantId: ctx.tenantId, doctorId: parseRequest(uuid, request.id, 'id') });
      return { doctor: doctorMessage(doctor) };
    },
    async ListDoctors(request, ctx) {
      const departmentId = parseRequest(optionalUuid, request.departmentId, 'departmentId');
      const availableOn = parseRequest(optionalDate, request.availableOn, 'availableOn');
      const mode =
        request.mode === 'CONSULTATION_MODE_UNSPECIFIED'
          ? undefined
          : (modeOf(request.mode) ?? invalidField('mode', 'must be in_person or video'));
      if (request.language && !/^[a-z]{2}$/.test(request.language)) {
        invalidField('language', 'must be an ISO 639-1 code in lower case, e.g. en');
      }
      const limit = pageSizeOf(request.pageSize);
      const { listings, nextAfterId } = await listDoctors(deps, {
        tenantId: ctx.tenantId,
        filter: {
          departmentId,
          specialization: request.specialization || undefined,
          mode,
          language: request.language || undefined,
          includeInactive: request.includeInactive,
        },
        availableOn,
        limit,
        afterId: request.cursor ? decodeCursor(idCursor, request.cursor).id : undefined,
      });
      return {
        doctors: listings.map((l) => ({
          doctor: doctorMessage(l.doctor),
          nextFreeSlots: l.nextFreeSlots.map(slotMessage),
        })),
        nextCursor: nextAfterId ? encodeCursor({ id: nextAfterId }) : '',
      };
    },
  };
}
