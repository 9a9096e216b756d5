/**
 * A tenant's scheduling settings: hold time, cancellation window, no-show
 * grace, reminder offsets, MRN format and phone region. A tenant without its
 * own has the service's configured defaults.
 */
import { InvalidArgumentError, isPhoneRegion, type FieldViolation } from '@hms/platform/domain';
import { mrnFormatViolation } from './mrn.js';
import type { SchedulingSettings } from './types.js';

export const MAX_REMINDER_OFFSETS = 5;

export function settingsViolations(s: SchedulingSettings): FieldViolation[] {
  const violations: FieldViolation[] = [];
  const whole = (field: keyof SchedulingSettings, value: number, min: number, max: number) => {
    if (!Number.isInteger(value) || value < min || value > max) {
      violations.push({ field, message: `must be a whole number from ${min} to ${max}` });
    }
  };
  whole('holdMinutes', s.holdMinutes, 1, 60);
  whole('cancellationWindowMinutes', s.cancellationWindowMinutes, 0, 10_080);
  whole('noShowGraceMinutes', s.noShowGraceMinutes, 0, 1_440);
  if (s.reminderOffsetsMinutes.length > MAX_REMINDER_OFFSETS) {
    violations.push({ field: 'reminderOffsetsMinutes', message: `at most ${MAX_REMINDER_OFFSETS} offsets` });
  }
  s.reminderOffsetsMinutes.forEach((offset, i) => {
    if (!Number.isInteger(offset) || offset < 1 || offset > 43_200) {
      violations.push({ field: `reminderOffsetsMinutes.${i}`, message: 'must be 1 to 43200 minutes (30 days)' });
    }
  });
  if (new Set(s.reminderOffsetsMinutes).size !== s.reminderOffsetsMinutes.length) {
    violations.push({ field: 'reminderOffsetsMinutes', message: 'must not repeat an offset' });
  }
  const mrn = mrnFormatViolation(s.mrnFormat);
  if (mrn) violations.push({ field: 'mrnFormat', message: mrn });
  if (!isPhoneRegion(s.phoneRegion)) {
    violations.push({
      field: 'phoneRegion',
      message: 'must be an ISO 3166-1 alpha-2 region with a phone plan, e.g. IN',
    });
  }
  return violations;
}

export function assertValidSettings(s: SchedulingSettings): void {
  const violations = settingsViolations(s);
  if (violations.length > 0) throw new InvalidArgumentError('invalid scheduling settings', violations);
}

/** Offsets largest first, so reminders read in the order they fall due. */
export function normalizeSettings(s: SchedulingSettings): SchedulingSettings {
  return { ...s, reminderOffsetsMinutes: [...s.reminderOffsetsMinutes].sort((a, b) => b - a) };
}
