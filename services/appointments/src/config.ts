/** The appointments service's environment: every key it reads, documented, checked at start. */
import {
  baseConfigShape,
  configTypes,
  databaseConfigShape,
  grpcServerConfigShape,
  kafkaConfigShape,
} from '@hms/platform';
import { z } from 'zod';

export const configSchema = z.object({
  ...baseConfigShape({ opsPort: 9103 }),
  ...databaseConfigShape(),
  ...kafkaConfigShape(),
  ...grpcServerConfigShape({ port: 50051 }),
  BOOKING_MAX_DAYS_AHEAD: configTypes
    .positiveInt()
    .default(180)
    .describe('How far ahead a slot may be booked, in days'),
  CHECK_IN_OPENS_MINUTES_BEFORE: configTypes
    .positiveInt()
    .default(240)
    .describe('How long before the slot a patient may check in, in minutes'),
});

export type Config = z.infer<typeof configSchema>;
