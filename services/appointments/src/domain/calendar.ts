/**
 * A doctor's calendar as slots: weekly templates (sessions in the doctor's
 * local time), minus leave days and blocked hours, plus extra sessions. Pure
 * functions of the calendar and the doctor's time zone.
 *
 * A session's slots are cut in real time from the instant it starts, so on a
 * day daylight saving shortens or lengthens, a session has fewer or more slots
 * and none of them overlap; a local time the change skips moves forward.
 */
import {
  addDays,
  FailedPreconditionError,
  InvalidArgumentError,
  isoWeekdayOf,
  localParts,
  zonedInstant,
  type FieldViolation,
} from '@hms/platform/domain';
import type { Calendar, Doctor, ScheduleException, Session, Slot, WeeklySchedule } from './types.js';

const MINUTE = 60_000;
/** The slot length of an extra session on a day no template covers. */
export const DEFAULT_SLOT_MINUTES = 15;

interface Span {
  startMinute: number;
  endMinute: number;
  slotMinutes: number;
}

/** The weekly template valid on `date`, if any (templates of one doctor never overlap). */
export function scheduleOn(calendar: Calendar, date: string): WeeklySchedule | undefined {
  return calendar.schedules.find((s) => s.validFrom <= date && (s.validTo === null || date <= s.validTo));
}

function exceptionsOn(calendar: Calendar, date: string): ScheduleException[] {
  return calendar.exceptions.filter((e) => e.date === date);
}

/** The working spans of a local day: the template's sessions and extra sessions, or none on leave. */
function spansOf(calendar: Calendar, date: string): Span[] {
  const exceptions = exceptionsOn(calendar, date);
  if (exceptions.some((e) => e.kind === 'LEAVE')) return [];
  const schedule = scheduleOn(calendar, date);
  const weekday = isoWeekdayOf(date);
  const spans: Span[] = (schedule?.sessions ?? [])
    .filter((s) => s.weekday === weekday)
    .map((s) => ({ startMinute: s.startMinute, endMinute: s.endMinute, slotMinutes: schedule!.slotMinutes }));
  for (const e of exceptions) {
    if (e.kind === 'EXTRA' && e.startMinute !== null && e.endMinute !== null) {
      spans.push({
        startMinute: e.startMinute,
        endMinute: e.endMinute,
        slotMinutes: e.slotMinutes ?? schedule?.slotMinutes ?? DEFAULT_SLOT_MINUTES,
      });
    }
  }
  return spans.sort((a, b) => a.startMinute - b.startMinute);
}

/** Blocked hours of a local day as instants. */
function blockedOf(calendar: Calendar, date: string, timeZone: string): [number, number][] {
  return exceptionsOn(calendar, date)
    .filter((e) => e.kind === 'BLOCKED' && e.startMinute !== null && e.endMinute !== null)
    .map((e) => [
      zonedInstant(date, e.startMinute!, timeZone).getTime(),
      zonedInstant(date, e.endMinute!, timeZone).getTime(),
    ]);
}

const overlaps = (a: [number, number], b: [number, number]) => a[0] < b[1] && b[0] < a[1];

/** Every slot of a local day, in order. */
export function slotsOfDay(doctor: Pick<Doctor, 'timeZone'>, calendar: Calendar, date: string): Slot[] {
  const blocked = blockedOf(calendar, date, doctor.timeZone);
  const slots = new Map<number, Slot>();
  for (const span of spansOf(calendar, date)) {
    const end = zonedInstant(date, span.endMinute, doctor.timeZone).getTime();
    const length = span.slotMinutes * MINUTE;
    for (let t = zonedInstant(date, span.startMinute, doctor.timeZone).getTime(); t + length <= end; t += length) {
      if (blocked.some((b) => overlaps(b, [t, t + length]))) continue;
      if (!slots.has(t)) slots.set(t, { startsAt: new Date(t), endsAt: new Date(t + length), serviceDate: date });
    }
  }
  return [...slots.values()].sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime());
}

/** The local days whose slots may start in [from, to). */
function daysAround(from: Date, to: Date, timeZone: string): string[] {
  const first = addDays(localParts(from, timeZone).date, -1);
  const last = localParts(new Date(to.getTime() - 1), timeZone).date;
  const days: string[] = [];
  for (let d = first; d <= last; d = addDays(d, 1)) days.push(d);
  return days;
}

/** Every slot starting in [from, to), in order. */
export function slotsBetween(doctor: Pick<Doctor, 'timeZone'>, calendar: Calendar, from: Date, to: Date): Slot[] {
  if (to.getTime() <= from.getTime()) return [];
  return daysAround(from, to, doctor.timeZone)
    .flatMap((date) => slotsOfDay(doctor, calendar, date))
    .filter((s) => s.startsAt.getTime() >= from.getTime() && s.startsAt.getTime() < to.getTime());
}

/** The slot starting exactly at `startsAt`, if the calendar has one. */
export function findSlot(doctor: Pick<Doctor, 'timeZone'>, calendar: Calendar, startsAt: Date): Slot | undefined {
  const date = localParts(startsAt, doctor.timeZone).date;
  return [date, addDays(date, -1)]
    .flatMap((d) => slotsOfDay(doctor, calendar, d))
    .find((s) => s.startsAt.getTime() === startsAt.getTime());
}

/**
 * Whether [startsAt, endsAt) lies wholly in the doctor's working time (spans
 * minus blocked hours, adjoining spans joined, across midnight too), whatever
 * the slot grid: what decides if a calendar change strands an appointment.
 */
export function coversWorkingTime(
  doctor: Pick<Doctor, 'timeZone'>,
  calendar: Calendar,
  startsAt: Date,
  endsAt: Date,
): boolean {
  const intervals: [number, number][] = [];
  for (const date of daysAround(startsAt, new Date(endsAt.getTime() + 1), doctor.timeZone)) {
    const blocked = blockedOf(calendar, date, doctor.timeZone).sort((a, b) => a[0] - b[0]);
    for (const span of spansOf(calendar, date)) {
      let pieces: [number, number][] = [
        [
          zonedInstant(date, span.startMinute, doctor.timeZone).getTime(),
          zonedInstant(date, span.endMinute, doctor.timeZone).getTime(),
        ],
      ];
      for (const b of blocked) {
        pieces = pieces.flatMap(([s, e]): [number, number][] =>
          overlaps([s, e], b)
            ? (
                [
                  [s, b[0]],
                  [b[1], e],
                ] as [number, number][]
              ).filter(([x, y]) => y > x)
            : [[s, e]],
        );
      }
      intervals.push(...pieces);
    }
  }
  intervals.sort((a, b) => a[0] - b[0]);
  return covered(intervals, startsAt.getTime(), endsAt.getTime());
}

/** Whether sorted intervals, joined where they touch, contain [from, to). */
function covered(intervals: [number, number][], from: number, to: number): boolean {
  let reach = from;
  for (const [s, e] of intervals) {
    if (e <= reach) continue;
    if (s > reach) break;
    reach = e;
    if (reach >= to) return true;
  }
  return reach >= to;
}

export const clock = (minuteOfDay: number): string =>
  `${String(Math.floor(minuteOfDay / 60)).padStart(2, '0')}:${String(minuteOfDay % 60).padStart(2, '0')}`;

/** "09:00-13:00, 17:00-20:00 Asia/Kolkata" (or that the doctor does not work that day). */
export function hoursOf(doctor: Pick<Doctor, 'timeZone'>, calendar: Calendar, date: string): string {
  const spans = spansOf(calendar, date);
  if (spans.length === 0) return `no working hours on ${date}`;
  return `${spans.map((s) => `${clock(s.startMinute)}-${clock(s.endMinute)}`).join(', ')} ${doctor.timeZone}`;
}

// --- validation of calendar input --------------------------------------------------------

const MAX_SESSIONS_PER_DAY = 12;

/** The violations of a weekly template's fields (empty when it is well-formed). */
export function scheduleViolations(input: {
  validFrom: string;
  validTo: string | null;
  slotMinutes: number;
  sessions: Session[];
}): FieldViolation[] {
  const violations: FieldViolation[] = [];
  if (!Number.isInteger(input.slotMinutes) || input.slotMinutes < 5 || input.slotMinutes > 240) {
    violations.push({ field: 'slotMinutes', message: 'must be a whole number of minutes from 5 to 240' });
  }
  if (input.validTo !== null && input.validTo < input.validFrom) {
    violations.push({ field: 'validTo', message: 'must not be before validFrom' });
  }
  if (input.sessions.length === 0) violations.push({ field: 'sessions', message: 'must have at least one session' });
  input.sessions.forEach((s, i) => {
    const field = `sessions.${i}`;
    if (!Number.isInteger(s.weekday) || s.weekday < 1 || s.weekday > 7) {
      violations.push({ field: `${field}.weekday`, message: 'must be 1 (Monday) to 7 (Sunday)' });
    }
    if (!validSpan(s.startMinute, s.endMinute)) {
      violations.push({ field, message: 'must start before it ends, within the day (00:00-24:00)' });
    } else if (s.endMinute - s.startMinute < input.slotMinutes) {
      violations.push({ field, message: `must be at least one slot (${input.slotMinutes} minutes) long` });
    }
  });
  for (let weekday = 1; weekday <= 7; weekday += 1) {
    const day = input.sessions
      .map((s, i) => ({ ...s, i }))
      .filter((s) => s.weekday === weekday && validSpan(s.startMinute, s.endMinute))
      .sort((a, b) => a.startMinute - b.startMinute);
    if (day.length > MAX_SESSIONS_PER_DAY) {
      violations.push({ field: 'sessions', message: `at most ${MAX_SESSIONS_PER_DAY} sessions a day` });
    }
    for (let k = 1; k < day.length; k += 1) {
      if (day[k]!.startMinute < day[k - 1]!.endMinute) {
        violations.push({ field: `sessions.${day[k]!.i}`, message: 'overlaps another session of the same weekday' });
      }
    }
  }
  return violations;
}

function validSpan(start: number, end: number): boolean {
  return Number.isInteger(start) && Number.isInteger(end) && start >= 0 && end <= 1440 && start < end;
}

/** The violations of a new exception's fields, given the calendar it joins (for an extra session's slot length). */
export function exceptionViolations(
  calendar: Calendar,
  input: Pick<ScheduleException, 'date' | 'kind' | 'startMinute' | 'endMinute' | 'slotMinutes'>,
): FieldViolation[] {
  const violations: FieldViolation[] = [];
  if (input.kind === 'LEAVE') {
    if (input.startMinute !== null || input.endMinute !== null || input.slotMinutes !== null) {
      violations.push({ field: 'kind', message: 'a leave day is the whole day: give no start, end or slot length' });
    }
    return violations;
  }
  if (input.startMinute === null || input.endMinute === null || !validSpan(input.startMinute, input.endMinute)) {
    violations.push({ field: 'startMinute', message: 'needs a start before its end, within the day (00:00-24:00)' });
    return violations;
  }
  if (input.kind === 'BLOCKED') {
    if (input.slotMinutes !== null) violations.push({ field: 'slotMinutes', message: 'blocked hours have no slots' });
    return violations;
  }
  const slotMinutes = input.slotMinutes ?? scheduleOn(calendar, input.date)?.slotMinutes ?? DEFAULT_SLOT_MINUTES;
  if (!Number.isInteger(slotMinutes) || slotMinutes < 5 || slotMinutes > 240) {
    violations.push({ field: 'slotMinutes', message: 'must be a whole number of minutes from 5 to 240' });
  } else if (input.endMinute - input.startMinute < slotMinutes) {
    violations.push({
      field: 'endMinute',
      message: `an extra session must be at least one slot (${slotMinutes} minutes)`,
    });
  }
  return violations;
}

/** Refuses an extra session over working hours the day already has (its slots would overlap theirs). */
export function assertNoClash(
  calendar: Calendar,
  input: Pick<ScheduleException, 'date' | 'kind' | 'startMinute' | 'endMinute'>,
): void {
  if (input.kind !== 'EXTRA' || input.startMinute === null || input.endMinute === null) return;
  const clash = spansOf(calendar, input.date).find(
    (s) => input.startMinute! < s.endMinute && s.startMinute < input.endMinute!,
  );
  if (clash) {
    throw new FailedPreconditionError('the extra session overlaps working hours of that day', [
      {
        field: 'startMinute',
        message: `overlaps working hours of ${input.date} (${clock(clash.startMinute)}-${clock(clash.endMinute)})`,
      },
    ]);
  }
}

/** Throws the violations of malformed calendar input as one InvalidArgument. */
export function assertValid(violations: FieldViolation[], what: string): void {
  if (violations.length > 0) throw new InvalidArgumentError(what, violations);
}
