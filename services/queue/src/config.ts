/** The queue service's environment: every key it reads, documented, checked at start. */
import { baseConfigShape, databaseConfigShape, grpcServerConfigShape, kafkaConfigShape } from '@hms/platform';
import { z } from 'zod';

export const configSchema = z.object({
  ...baseConfigShape({ opsPort: 9105 }),
  ...databaseConfigShape(),
  ...kafkaConfigShape(),
  ...grpcServerConfigShape({ port: 50053 }),
  OTEL_TRACES_EXPORTER: z
    .string()
    .optional()
    .describe('OpenTelemetry trace exporter (otlp, console or none); the other OTEL_* keys are read by the SDK'),
});

export type Config = z.infer<typeof configSchema>;
