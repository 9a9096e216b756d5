/** Request parts the scheduling routes share (patients, directory, calendars, appointments). */
import { z } from 'zod';

/** No route takes parameters it does not name: a typo should fail loudly, not be ignored. */
export const noQuery = z.object({}).strict();

export const idempotencyHeaders = z.object({
  // Visible ASCII only: the key is echoed in logs and compared byte for byte.
  'idempotency-key': z
    .string()
    .regex(/^[\x21-\x7e]{1,200}$/, { error: 'must be 1 to 200 visible ASCII characters' })
    .optional(),
});

export const text = (max: number) =>
  z
    .string({ error: 'must be a string' })
    .trim()
    .min(1, { error: 'must not be empty' })
    .max(max, { error: `must be at most ${max} characters` });

export const CONSULTATION_MODES = ['in_person', 'video'] as const;
export const consultationMode = z.enum(CONSULTATION_MODES, { error: 'must be in_person or video' });
export const toProtoMode = (m: (typeof CONSULTATION_MODES)[number]) =>
  m === 'video' ? ('CONSULTATION_MODE_VIDEO' as const) : ('CONSULTATION_MODE_IN_PERSON' as const);

/** Minutes after local midnight, 0 to 1440. */
export const minuteOfDay = z
  .number({ error: 'must be a whole number of minutes from 0 to 1440' })
  .int({ error: 'must be a whole number of minutes from 0 to 1440' })
  .min(0, { error: 'must be a whole number of minutes from 0 to 1440' })
  .max(1440, { error: 'must be a whole number of minutes from 0 to 1440' });

export const wholeNumber = (min: number, max: number) =>
  z
    .number({ error: `must be a whole number from ${min} to ${max}` })
    .int({ error: `must be a whole number from ${min} to ${max}` })
    .min(min, { error: `must be a whole number from ${min} to ${max}` })
    .max(max, { error: `must be a whole number from ${min} to ${max}` });
