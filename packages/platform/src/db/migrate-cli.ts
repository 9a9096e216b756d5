/**
 * The migration step of one service, as the owner of its schema:
 *
 *   MIGRATION_DATABASE_URL=postgres://<role>_owner:...@host/db \
 *     node packages/platform/dist/db/migrate-cli.js --schema billing --dir services/billing/prisma/migrations
 *
 * Applies the platform's messaging migrations to `<schema>_messaging`, then the
 * service's own. Run before a release's pods start (the Helm hook Job; the local
 * stack's bootstrap); the services themselves never migrate, so they never hold
 * the owner's credentials. Exits 0 when the schema is up to date.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { configTypes, loadConfigOrExit } from '../config.js';
import { createLogger } from '../logger.js';
import { runMain } from '../main.js';
import { migrateService } from './migrate.js';

runMain(import.meta.url, async () => {
  const { values } = parseArgs({
    options: { schema: { type: 'string' }, dir: { type: 'string' } },
  });
  if (!values.schema || !values.dir) throw new Error('usage: migrate-cli --schema <schema> --dir <migrations folder>');
  const config = loadConfigOrExit(
    z.object({
      MIGRATION_DATABASE_URL: configTypes
        .url(['postgres', 'postgresql'])
        .describe("PostgreSQL URL of the schema's owner role (<service role>_owner)"),
      LOG_LEVEL: configTypes.logLevel().default('info').describe('pino log level'),
    }),
    process.env,
  );
  const logger = createLogger({ service: 'migrate', level: config.LOG_LEVEL });
  const applied = await migrateService({
    connectionString: config.MIGRATION_DATABASE_URL,
    schema: values.schema,
    migrationsDir: values.dir,
    logger,
  });
  logger.info({ schema: values.schema, applied }, applied.length ? 'migrations applied' : 'schema up to date');
});
