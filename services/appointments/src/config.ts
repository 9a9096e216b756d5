/** The appointments service's environment: every key it reads, documented, checked at start. */
import {
  baseConfigShape,
  configTypes,
  databaseConfigShape,
  grpcServerConfigShape,
  kafkaConfigShape,
} from '@hms/platform';
import { z } from 'zod';

const minutes = (description: string, value: number) => configTypes.positiveInt().default(value).describe(description);

export const configSchema = z.object({
  ...baseConfigShape({ opsPort: 9103 }),
  ...databaseConfigShape(),
  ...kafkaConfigShape(),
  ...grpcServerConfigShape({ port: 50051 }),
  REDIS_URL: configTypes
    .url(['redis', 'rediss'])
    .describe(
      'Redis shared by the replicas for the reference-data cache (degrades to the process cache and the database)',
    ),
  BOOKING_MAX_DAYS_AHEAD: configTypes
    .positiveInt()
    .default(180)
    .describe('How far ahead a slot may be booked, in days'),
  CHECK_IN_OPENS_MINUTES_BEFORE: minutes('How long before the slot a patient may check in, in minutes', 240),
  CACHE_DOCTORS_TTL_MS: configTypes
    .positiveInt()
    .default(15 * 60_000)
    .describe('How long a doctor (profile, fees, calendar) stays cached; changes invalidate it at once'),
  CACHE_DEPARTMENTS_TTL_MS: configTypes
    .positiveInt()
    .default(60 * 60_000)
    .describe('How long a department stays cached; changes invalidate it at once'),
  CACHE_SETTINGS_TTL_MS: configTypes
    .positiveInt()
    .default(30_000)
    .describe(
      "How long a tenant's scheduling settings stay cached in each process (no event invalidates them elsewhere)",
    ),
  DEFAULT_HOLD_MINUTES: minutes('How long a slot hold lasts, for tenants without their own setting', 5),
  DEFAULT_CANCELLATION_WINDOW_MINUTES: minutes(
    'Patients may cancel up to this long before the slot, for tenants without their own setting',
    120,
  ),
  DEFAULT_NO_SHOW_GRACE_MINUTES: minutes(
    "Past a slot's end by this much an open appointment becomes a no-show, for tenants without their own setting",
    30,
  ),
  DEFAULT_REMINDER_OFFSETS_MINUTES: z
    .string()
    .default('1440,120')
    .transform((v, ctx) => {
      const offsets = v
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean)
        .map(Number);
      if (!offsets.every((o) => Number.isInteger(o) && o > 0)) {
        ctx.addIssue({ code: 'custom', message: 'must be comma-separated positive whole minutes' });
      }
      return offsets;
    })
    .describe(
      'Reminders are due this long before a slot (comma-separated minutes), for tenants without their own setting',
    ),
  DEFAULT_MRN_FORMAT: z
    .string()
    .default('MRN-{SEQ:6}')
    .describe('Format of new medical record numbers ({SEQ:n}, {YYYY}, {YY}, {CHECK}), for tenants without their own'),
  DEFAULT_PHONE_REGION: z
    .string()
    .regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 region, e.g. IN')
    .default('IN')
    .describe('Region phone numbers without a country code are read in, for tenants without their own setting'),
  JOBS_POLLING_INTERVAL_SECONDS: configTypes
    .positiveInt()
    .default(2)
    .describe('How often an idle worker of the recurring jobs (no-shows, reminders) looks for a run'),
});

export type Config = z.infer<typeof configSchema>;
