/**
 * How fast a trail verifies: writes one tenant's chain of N realistic records
 * (sealed with the profile's chain key, inserted in bulk as the audit runtime
 * role), then times verifyTrail over it, the code path of VerifyTrail, the
 * CLI and the scheduled run, reading from PostgreSQL in batches. Removes the
 * tenant's rows afterwards (as the administrator: the runtime role cannot).
 * Sizes AUDIT_VERIFY_MAX_RECORDS against the gateway's verify deadline.
 *
 *   scripts/with-test-env node --import tsx bench/audit-verify.ts [--records 100000] [--keep]
 */
import { parseArgs } from 'node:util';
import { createDatabase, createLogger, createOutboxWriter, createPool, newId } from '@hms/platform';
import pg from 'pg';
import { trailKeys, trailKeyShape } from '../services/audit/src/config.js';
import { createAuditStore } from '../services/audit/src/db/audit.repository.js';
import { appendToChain, CHAIN_START, type ChainLink } from '../services/audit/src/domain/hash-chain.js';
import type { ChainedEntry } from '../services/audit/src/domain/types.js';
import { verifyTrail } from '../services/audit/src/domain/verify-trail.js';
import { z } from 'zod';

const { values } = parseArgs({
  options: { records: { type: 'string', default: '100000' }, keep: { type: 'boolean', default: false } },
});
const count = Number(values.records);
const env = process.env;
const keys = trailKeys(
  z
    .object(trailKeyShape())
    .parse({ AUDIT_CHAIN_KEY: env.HMS_AUDIT_CHAIN_KEY, AUDIT_ANCHOR_KEY: env.HMS_AUDIT_ANCHOR_KEY }),
);
const adminUrl = env.HMS_PG_ADMIN_URL!;
const runtimeUrl = new URL(adminUrl);
runtimeUrl.username = 'hms_audit';
runtimeUrl.password = env.HMS_DB_PASSWORD_AUDIT!;

const logger = createLogger({ service: 'bench', level: 'warn' });
const pool = createPool({ connectionString: runtimeUrl.toString(), max: 4, applicationName: 'bench', logger });
const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
const tenantId = newId();
const base = Date.now() - count * 1_000;

try {
  // An appointment.booked-sized payload, different in every record.
  let end: ChainLink = CHAIN_START;
  const rows: ChainedEntry[] = [];
  for (let n = 1; n <= count; n += 1) {
    const record = appendToChain(keys.chain, end, {
      tenantId,
      eventId: newId(),
      eventType: 'appointment.booked',
      source: 'appointments',
      entityType: 'appointment',
      entityId: newId(),
      actorKind: 'user',
      actorId: `reception-${n % 20}`,
      patientId: newId(),
      occurredAt: new Date(base + n * 1_000),
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      data: {
        appointmentId: newId(),
        doctorId: newId(),
        departmentId: newId(),
        startsAt: new Date(base + n * 1_000).toISOString(),
        endsAt: new Date(base + n * 1_000 + 900_000).toISOString(),
        serviceDate: '2030-01-07',
        consultationFeeMinor: 70_000,
        hospitalFeeMinor: 20_000,
        currency: 'INR',
      },
    });
    rows.push(record);
    end = { seq: record.seq, hash: record.hash };
  }
  const insertStarted = performance.now();
  for (let i = 0; i < rows.length; i += 2_000) {
    const batch = rows.slice(i, i + 2_000);
    const column = <T>(f: (r: ChainedEntry) => T) => batch.map(f);
    await pool.query(
      `INSERT INTO audit.audit_log (id, tenant_id, seq, event_id, event_type, source, entity_type, entity_id,
         actor_kind, actor_id, patient_id, occurred_at, trace_id, data, prev_hash, hash, key_id)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::uuid[], $5::text[], $6::text[], $7::text[],
         $8::text[], $9::text[], $10::text[], $11::uuid[], $12::timestamptz[], $13::text[], $14::jsonb[], $15::text[],
         $16::text[], $17::text[])`,
      [
        column(() => newId()),
        column((r) => r.tenantId),
        column((r) => r.seq),
        column((r) => r.eventId),
        column((r) => r.eventType),
        column((r) => r.source),
        column((r) => r.entityType),
        column((r) => r.entityId),
        column((r) => r.actorKind),
        column((r) => r.actorId),
        column((r) => r.patientId),
        column((r) => r.occurredAt),
        column((r) => r.traceId),
        column((r) => JSON.stringify(r.data)),
        column((r) => r.prevHash),
        column((r) => r.hash),
        column((r) => r.keyId),
      ],
    );
  }
  await pool.query('INSERT INTO audit.chain_heads (tenant_id, last_seq, last_hash) VALUES ($1, $2, $3)', [
    tenantId,
    end.seq,
    end.hash,
  ]);
  const insertMs = performance.now() - insertStarted;

  const database = createDatabase({ pool, outbox: createOutboxWriter({ schema: 'audit', source: 'bench' }) });
  const store = createAuditStore(database, newId);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const report = await verifyTrail(store, keys, { tenantId });
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  if (!report.intact || report.checked !== count) throw new Error(`unexpected report ${JSON.stringify(report)}`);
  const perSecond = Math.round((count / ms) * 1_000);
  console.log(
    `inserted ${count} records in ${(insertMs / 1_000).toFixed(1)} s; verified in ${(ms / 1_000).toFixed(2)} s ` +
      `(${perSecond} records/s, ${((cpu.user + cpu.system) / 1_000 / count).toFixed(3)} CPU-ms/record in node)`,
  );
} finally {
  if (values.keep) {
    console.log(`kept tenant ${tenantId}`);
  } else {
    await admin.query('DELETE FROM audit.audit_log WHERE tenant_id = $1', [tenantId]);
    await admin.query('DELETE FROM audit.chain_heads WHERE tenant_id = $1', [tenantId]);
  }
  await admin.end();
  await pool.end();
}
