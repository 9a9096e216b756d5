/**
 * Verifies audit trails from the command line, straight from the database
 * (read-only, as the audit service's runtime role), with no service running:
 * every record's HMAC and link, every checkpoint, and where each chain ends.
 * Prints, per trail, "intact" with the records checked, or the first broken
 * link; exits 0 when every trail checked is intact, 1 when one is broken, 2 on
 * bad usage.
 *
 *   scripts/hms audit verify [--tenant <uuid>] [--from <ISO-8601>] [--to <ISO-8601>] [--json]
 *   (environment: DATABASE_URL and the AUDIT_*_KEY keys, as the service has them)
 */
import { parseArgs } from 'node:util';
import {
  createDatabase,
  createLogger,
  createOutboxWriter,
  createPool,
  databaseConfigShape,
  loadConfigOrExit,
  newId,
  normalizeUuid,
  runMain,
} from '@hms/platform';
import { z } from 'zod';
import { trailKeys, trailKeyShape } from './config.js';
import { createAuditStore } from './db/audit.repository.js';
import { verifyTrail, type TrailReport } from './domain/verify-trail.js';

const USAGE = 'usage: audit verify [--tenant <uuid>] [--from <ISO-8601 instant>] [--to <ISO-8601 instant>] [--json]';

const envSchema = z.object({
  DATABASE_URL: databaseConfigShape().DATABASE_URL,
  ...trailKeyShape(),
});

function usage(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

function instant(value: string | undefined, name: string): Date | undefined {
  if (value === undefined) return undefined;
  const parsed = z.iso.datetime({ offset: true }).safeParse(value);
  if (!parsed.success) usage(`--${name} must be an ISO-8601 date-time with a time zone, e.g. 2030-01-07T00:00:00Z`);
  return new Date(parsed.data);
}

const records = (n: number) => `${n} record${n === 1 ? '' : 's'}`;

export function describeReport(report: TrailReport): string {
  const span = report.checked > 0 ? ` (seq ${report.firstSeq} to ${report.lastSeq})` : '';
  const anchored = report.anchoredSeq > 0 ? `, anchored up to seq ${report.anchoredSeq}` : ', no checkpoint yet';
  if (report.intact) return `tenant ${report.tenantId}: intact, ${records(report.checked)} checked${span}${anchored}`;
  const b = report.break!;
  return `tenant ${report.tenantId}: BROKEN at seq ${b.brokenSeq} (${b.problem}): ${b.reason}; ${records(report.checked)} intact before it`;
}

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({
      options: {
        tenant: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    usage((error as Error).message);
  }
  const tenant = args.tenant === undefined ? undefined : normalizeUuid(args.tenant);
  if (args.tenant !== undefined && !tenant) usage('--tenant must be a UUID');
  const from = instant(args.from, 'from');
  const to = instant(args.to, 'to');
  if (from && to && from >= to) usage('--to must be after --from');

  const config = loadConfigOrExit(envSchema, process.env);
  const keys = trailKeys(config);
  const logger = createLogger({ service: 'audit-verify', level: 'warn' });
  const pool = createPool({ connectionString: config.DATABASE_URL, max: 2, applicationName: 'audit-verify', logger });
  try {
    const database = createDatabase({
      pool,
      outbox: createOutboxWriter({ schema: 'audit', source: 'audit-verify' }),
      // Whole trails take as long as they take.
      statementTimeoutMs: 10 * 60_000,
    });
    const store = createAuditStore(database, newId);
    const tenants = tenant ? [tenant] : await store.trailTenants();
    let broken = 0;
    let checked = 0;
    for (const tenantId of tenants) {
      const report = await verifyTrail(store, keys, { tenantId, from, to });
      checked += report.checked;
      if (!report.intact) broken += 1;
      process.stdout.write(`${args.json ? JSON.stringify(report) : describeReport(report)}\n`);
    }
    const summary = `${tenants.length} trail${tenants.length === 1 ? '' : 's'}, ${records(checked)} checked: ${
      broken ? `${broken} BROKEN` : 'intact'
    }`;
    if (!args.json) process.stdout.write(`${summary}\n`);
    process.exitCode = broken ? 1 : 0;
  } finally {
    await pool.end();
  }
}

runMain(import.meta.url, main);
