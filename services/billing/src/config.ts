/** The billing service's environment: every key it reads, documented, checked at start. */
import {
  baseConfigShape,
  configTypes,
  databaseConfigShape,
  grpcServerConfigShape,
  kafkaConfigShape,
} from '@hms/platform';
import { z } from 'zod';

export const configSchema = z.object({
  ...baseConfigShape({ opsPort: 9104 }),
  ...databaseConfigShape(),
  ...kafkaConfigShape(),
  ...grpcServerConfigShape({ port: 50052 }),
  OVERDUE_SWEEP_INTERVAL_MS: configTypes
    .positiveInt()
    .max(2_147_483_647)
    .default(5 * 60_000)
    .describe(
      'How often issued bills past their due date are marked OVERDUE (bill.overdue), in ms; one replica at a time, first run right after start',
    ),
});

export type Config = z.infer<typeof configSchema>;
