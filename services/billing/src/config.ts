/** The billing service's environment: every key it reads, documented, checked at start. */
import { baseConfigShape, databaseConfigShape, grpcServerConfigShape, kafkaConfigShape } from '@hms/platform';
import { z } from 'zod';

export const configSchema = z.object({
  ...baseConfigShape({ opsPort: 9104 }),
  ...databaseConfigShape(),
  ...kafkaConfigShape(),
  ...grpcServerConfigShape({ port: 50052 }),
});

export type Config = z.infer<typeof configSchema>;
