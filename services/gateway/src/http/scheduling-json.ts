/**
 * The scheduling resources (patients, departments, doctors, calendars, slots,
 * holds, appointment lists and history, the day's dashboard) as REST JSON, by
 * the API's one convention (see json.ts): fields as the contract names them in
 * camelCase, times ISO-8601 UTC, enum values lower_snake without their proto
 * prefix, money as integer minor units beside its currency. These messages are
 * wide and grow with the contract, so one walk maps them all rather than a
 * hand-written copy per message that would drift from the proto.
 */
import { fromTimestamp, type Timestamp__Output } from '@hms/proto';

/** The proto enums of the scheduling contracts, by prefix. */
const ENUM_PREFIX =
  /^(APPOINTMENT_STATUS|SLOT_STATUS|CONSULTATION_MODE|SCHEDULE_EXCEPTION_KIND|CANCELLED_BY|AFFECTED_APPOINTMENT_ACTION|APPOINTMENT_TIMEFRAME)_/;

const isTimestamp = (value: object): value is Timestamp__Output =>
  'seconds' in value && 'nanos' in value && Object.keys(value).length === 2;

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** One proto message (as the gRPC client decodes it) as the API's JSON. */
export function schedulingJson(value: unknown): Json {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map(schedulingJson);
  if (typeof value === 'string') return ENUM_PREFIX.test(value) ? value.replace(ENUM_PREFIX, '').toLowerCase() : value;
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'object') {
    if (isTimestamp(value)) return fromTimestamp(value)?.toISOString() ?? null;
    const out: Record<string, Json> = {};
    for (const [key, field] of Object.entries(value)) {
      // Unset optionals and proto3-optional discriminators (`_name`) are not part of the resource.
      if (field === undefined || key.startsWith('_')) continue;
      out[key] = schedulingJson(field);
    }
    return out;
  }
  return null;
}

/**
 * An API enum value back to the contract's: `("in_person", "CONSULTATION_MODE")` ->
 * `CONSULTATION_MODE_IN_PERSON`. Callers pass only values their zod schema admitted.
 */
export function protoEnum<T extends string | number>(value: string, prefix: string): T {
  return `${prefix}_${value.toUpperCase()}` as unknown as T;
}

/** A window's slots as the gRPC contract packs them (hms.appointments.v1.SlotRun). */
export interface SlotRuns {
  doctorId: string;
  timeZone: string;
  runs: { startsAt: Timestamp__Output | null; slotMinutes: number; serviceDate: string; statuses: string[] }[];
}

const MINUTE = 60_000;
/** Each SLOT_STATUS_ name's JSON, made once. */
const statusJson = new Map<string, string>();

/**
 * GET /doctors/{id}/slots's body, written out from the runs: one Slot object
 * per slot as the contract's Slot message maps by schedulingJson (startsAt,
 * endsAt, serviceDate, status), without building the ~670 objects of a 7-day
 * window only to serialise them; each boundary's ISO string is made once (a
 * slot ends where the next of its run starts).
 */
export function slotsJson(window: SlotRuns): string {
  const slots: string[] = [];
  for (const run of window.runs) {
    const step = run.slotMinutes * MINUTE;
    const serviceDate = JSON.stringify(run.serviceDate);
    let at = fromTimestamp(run.startsAt)!.getTime();
    let startsAt = new Date(at).toISOString();
    for (const status of run.statuses) {
      let statusText = statusJson.get(status);
      if (statusText === undefined) {
        statusText = JSON.stringify(schedulingJson(status));
        statusJson.set(status, statusText);
      }
      at += step;
      const endsAt = new Date(at).toISOString();
      slots.push(`{"startsAt":"${startsAt}","endsAt":"${endsAt}","serviceDate":${serviceDate},"status":${statusText}}`);
      startsAt = endsAt;
    }
  }
  return `{"doctorId":${JSON.stringify(window.doctorId)},"timeZone":${JSON.stringify(window.timeZone)},"slots":[${slots.join(',')}]}`;
}
