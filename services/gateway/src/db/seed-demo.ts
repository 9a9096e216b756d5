/**
 * Creates (or renames) a tenant: the demo tenant of the first README command,
 * and a fresh tenant per end-to-end test file.
 *
 *   DATABASE_URL=... node dist/db/seed-demo.js --tenant <uuid> --name <name>
 */
import { parseArgs } from 'node:util';
import {
  createDatabase,
  createLogger,
  createOutboxWriter,
  createPool,
  isUuid,
  loadConfigOrExit,
  runMain,
} from '@hms/platform';
import { z } from 'zod';
import { configSchema } from '../config.js';
import { createTenantRepository } from './tenant.repository.js';

async function main(): Promise<void> {
  const config = loadConfigOrExit(configSchema.pick({ DATABASE_URL: true }), process.env);
  const { values } = parseArgs({
    options: { tenant: { type: 'string' }, name: { type: 'string' }, 'request-limit': { type: 'string' } },
  });
  const args = z
    .object({
      tenant: z.string().refine(isUuid, 'must be a UUID'),
      name: z.string().min(1).max(200),
      'request-limit': z.coerce.number().int().positive().optional(),
    })
    .safeParse(values);
  if (!args.success) {
    process.stderr.write(
      `usage: seed-demo --tenant <uuid> --name <name> [--request-limit <per minute>]\n${args.error.message}\n`,
    );
    process.exit(64);
  }
  const logger = createLogger({ service: 'gateway-seed', level: 'warn' });
  const pool = createPool({ connectionString: config.DATABASE_URL, max: 2, applicationName: 'gateway-seed', logger });
  const db = createDatabase({ pool, outbox: createOutboxWriter({ schema: 'identity', source: 'gateway' }) });
  try {
    const tenant = await createTenantRepository(db).upsert({
      id: args.data.tenant.toLowerCase(),
      name: args.data.name,
      requestLimitPerMinute: args.data['request-limit'],
    });
    process.stdout.write(`${JSON.stringify(tenant)}\n`);
  } finally {
    await pool.end();
  }
}

runMain(import.meta.url, main);
