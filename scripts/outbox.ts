/**
 * Outbox events Kafka refused, for operators (`scripts/hms outbox`):
 *
 *   scripts/hms outbox list [<service>...] [--json]   refused events not yet published, per
 *                                                     service: parked (waiting for an operator)
 *                                                     or retrying, why, and how many later events
 *                                                     of the same key wait behind each
 *   scripts/hms outbox retry <service> <event id>     put one back in line after the fix
 *   scripts/hms outbox retry <service> --all          put every refused event of a service back
 *
 * Services: appointments, billing, queue, audit, gateway. Connects with HMS_PG_ADMIN_URL
 * (the local stack's administrator), or else DATABASE_URL (a service's own role, as in
 * production).
 */
import {
  isUuid,
  listRefusedOutboxEvents,
  loadConfigOrExit,
  retryRefusedOutboxEvents,
  type RefusedOutboxEvent,
} from '@hms/platform';
import pg from 'pg';
import { z } from 'zod';

const USAGE = 'usage: scripts/hms outbox list [<service>...] [--json] | retry <service> (<event id> | --all)';
/** The schema each service owns; its outbox is in `<schema>_messaging`. */
const SCHEMAS: Record<string, string> = {
  appointments: 'appointments',
  billing: 'billing',
  queue: 'queue',
  audit: 'audit',
  gateway: 'identity',
};

const config = loadConfigOrExit(
  z
    .object({
      HMS_PG_ADMIN_URL: z.string().min(1).optional().describe('Administrator URL of the HMS database'),
      DATABASE_URL: z.string().min(1).optional().describe("A service's own database URL"),
    })
    .refine((c) => c.HMS_PG_ADMIN_URL ?? c.DATABASE_URL, 'set HMS_PG_ADMIN_URL or DATABASE_URL'),
  process.env,
);
const argv = process.argv.slice(2);
const json = argv.includes('--json');
const all = argv.includes('--all');
const [command, ...names] = argv.filter((a) => a !== '--json' && a !== '--all');

const pool = new pg.Pool({ connectionString: config.HMS_PG_ADMIN_URL ?? config.DATABASE_URL, max: 2 });
try {
  if (command === 'list') {
    const services = names.length > 0 ? names : Object.keys(SCHEMAS);
    const found: Record<string, RefusedOutboxEvent[]> = {};
    for (const service of services) {
      const schema = schemaOf(service);
      // A service that never started has no outbox table yet; nothing can be refused there.
      found[service] = (await hasOutbox(schema)) ? await listRefusedOutboxEvents(pool, schema) : [];
    }
    if (json) console.log(JSON.stringify(found, null, 2));
    else printRefused(found);
  } else if (command === 'retry') {
    const [service, eventId, ...rest] = names;
    if (!service || rest.length > 0 || all === (eventId !== undefined)) fail(USAGE);
    if (eventId !== undefined && !isUuid(eventId)) fail(`${eventId} is not an event id (a UUID)`);
    if (!(await hasOutbox(schemaOf(service)))) fail(`${service} has no outbox table (has it ever started?)`);
    const ids = await retryRefusedOutboxEvents(pool, schemaOf(service), eventId);
    if (eventId && ids.length === 0) fail(`no refused, unpublished event ${eventId} in the outbox of ${service}`);
    if (json) console.log(JSON.stringify({ retried: ids }, null, 2));
    else
      console.log(
        `${ids.length} outbox events of ${service} put back in line${ids.length ? `: ${ids.join(', ')}` : ''}`,
      );
  } else {
    fail(USAGE);
  }
} catch (error) {
  fail((error as Error).message);
} finally {
  await pool.end();
}

function schemaOf(service: string): string {
  const schema = SCHEMAS[service];
  if (!schema) fail(`unknown service ${service} (one of ${Object.keys(SCHEMAS).join(', ')})`);
  return schema;
}

async function hasOutbox(schema: string): Promise<boolean> {
  const { rows } = await pool.query<{ present: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS present`, [
    `"${schema}_messaging".outbox`,
  ]);
  return rows[0]?.present ?? false;
}

function printRefused(found: Record<string, RefusedOutboxEvent[]>): void {
  for (const [service, events] of Object.entries(found)) {
    const parked = events.filter((e) => e.state === 'parked').length;
    console.log(`${`${service}:`.padEnd(14)} ${events.length} refused events, ${parked} parked`);
    for (const e of events) {
      console.log(
        [
          `  ${e.id}  ${e.state.toUpperCase()}  ${e.eventType} -> ${e.topic}  key ${e.key}`,
          `    ${e.attempts} attempts, created ${e.createdAt.toISOString()}` +
            (e.parkedAt ? `, parked ${e.parkedAt.toISOString()}` : '') +
            (e.nextAttemptAt ? `, next attempt ${e.nextAttemptAt.toISOString()}` : '') +
            `, ${e.waitingBehind} later events of its key wait behind it`,
          `    last error: ${e.lastError ?? '-'}`,
        ].join('\n'),
      );
    }
  }
}

function fail(message: string): never {
  process.stderr.write(`outbox: ${message}\n`);
  process.exit(2);
}
