/** The queue service's environment: every key it reads, documented, checked at start. */
import {
  baseConfigShape,
  configTypes,
  databaseConfigShape,
  grpcServerConfigShape,
  kafkaConfigShape,
} from '@hms/platform';
import { z } from 'zod';

export const configSchema = z.object({
  ...baseConfigShape({ opsPort: 9105 }),
  ...databaseConfigShape(),
  ...kafkaConfigShape(),
  ...grpcServerConfigShape({ port: 50053 }),
  QUEUE_CHANGE_LOG_SIZE: configTypes
    .positiveInt()
    .default(1_000)
    .describe('Changes kept per queue day for live streams to resume from (older: a fresh snapshot)'),
  QUEUE_CHANGE_LOG_RETENTION_DAYS: configTypes
    .positiveInt()
    .default(3)
    .describe('Days a queue day’s change log is kept at all (pruned hourly)'),
});

export type Config = z.infer<typeof configSchema>;
