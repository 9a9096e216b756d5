/**
 * The migration runner as a command, for a deployment's migration step (the Helm
 * chart's pre-install/pre-upgrade hook Job), as the schema's owner role; the
 * services never migrate, so they never hold the owner's credentials:
 *
 *   DATABASE_URL=postgres://... node packages/platform/dist/db/migrate-cli.js \
 *     --schema billing --migrations services/billing/prisma/migrations
 *
 * Applies the platform's messaging migrations to `<schema>_messaging`, then the
 * service's own, exactly as a service does at start (same advisory lock, same
 * history table). Exits 0 when everything is applied, 1 on any failure, 78 on a bad
 * configuration.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { configTypes, loadConfigOrExit } from '../config.js';
import { createLogger } from '../logger.js';
import { runMain } from '../main.js';
import { migrateService } from './migrate.js';

export async function main(argv: string[] = process.argv.slice(2), env = process.env): Promise<string[]> {
  const { values } = parseArgs({
    args: argv,
    options: { schema: { type: 'string' }, migrations: { type: 'string' } },
    strict: true,
  });
  const config = loadConfigOrExit(
    z.object({
      DATABASE_URL: configTypes
        .url(['postgres', 'postgresql'])
        .describe('PostgreSQL URL of a role that owns the schema'),
      LOG_LEVEL: configTypes.logLevel().default('info').describe('pino log level'),
      schema: z
        .string()
        .regex(/^[a-z_][a-z0-9_]*$/, 'must be a lower-case SQL identifier')
        .describe('--schema: the service schema'),
      migrations: z.string().min(1).describe("--migrations: the service's prisma/migrations folder"),
    }),
    { ...env, schema: values.schema, migrations: values.migrations },
  );
  const logger = createLogger({ service: 'migrate', level: config.LOG_LEVEL });
  const applied = await migrateService({
    connectionString: config.DATABASE_URL,
    schema: config.schema,
    migrationsDir: path.resolve(config.migrations),
    logger,
  });
  logger.info({ schema: config.schema, applied }, `migrations of ${config.schema}: ${applied.length} applied`);
  return applied;
}

runMain(import.meta.url, main);
