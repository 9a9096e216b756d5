/**
 * The audit trail reveals tampering, against the test stack's real
 * PostgreSQL: the service's own login cannot delete, change or truncate
 * records (on the table or any partition) nor write checkpoints; and what a
 * superuser does without the keys (delete a row, update one behind the
 * triggers, truncate a partition, cut off the newest records and move the
 * head back, recompute every hash) is found by verification and named, over
 * gRPC, by the scheduled run and in its metrics.
 */
import { createHash, createHmac } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { canonicalJson, newId, type GrpcClient } from '@hms/platform';
import {
  actAs,
  anchorDatabaseUrl,
  grpcFailure,
  inProcessEnv,
  ownerDatabaseUrl,
  testClient,
  testEnv,
} from '@hms/platform/testing';
import { loadContracts, toTimestamp, type AuditServiceClient } from '@hms/proto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema, trailKeys } from './config.js';
import { createAuditStore } from './db/audit.repository.js';
import { signCheckpoint } from './domain/checkpoint.js';
import { GENESIS_HASH } from './domain/hash-chain.js';
import { keyring } from './domain/keyring.js';
import { recordEvent } from './domain/record-event.js';
import type { AuditEntry } from './domain/types.js';
import { verifyTrail } from './domain/verify-trail.js';
import { startAudit } from './main.js';

let service: Awaited<ReturnType<typeof startAudit>>;
let client: GrpcClient<AuditServiceClient>;
/** The database superuser: past every grant and, with session_replication_role = replica, every trigger. */
let admin: pg.Client;
const keys = trailKeys(configSchema.parse(inProcessEnv('audit')));
const trail = () => createAuditStore(service.runtime.database, newId);

/** The partition a test truncates: a month no other test writes to. */
const OLD_MONTH = { start: '2002-02-01', partition: 'audit_log_2002_02', at: new Date('2002-02-10T10:00:00.000Z') };

function entry(tenantId: string, n: number, occurredAt = new Date()): AuditEntry {
  return {
    tenantId,
    eventId: newId(),
    eventType: 'bill.created',
    source: 'billing',
    entityType: 'bill',
    entityId: newId(),
    actorKind: 'user',
    actorId: `cashier-${n}`,
    patientId: newId(),
    occurredAt,
    traceId: '',
    data: { billId: newId(), totalMinor: 10_000 * n, currency: 'INR' },
  };
}

/** A new tenant with `count` records (the n-th occurring at `when(n)`), anchored when asked. */
async function newTrail(count: number, options: { anchored?: boolean; when?: (n: number) => Date } = {}) {
  const tenantId = newId();
  for (let n = 1; n <= count; n += 1) {
    await recordEvent(trail(), keys.chain, entry(tenantId, n, options.when?.(n)));
  }
  if (options.anchored ?? true) expect(await service.jobs.anchorNow()).toBe(true);
  return tenantId;
}

async function verify(tenantId: string, window: { from?: Date; to?: Date } = {}) {
  return actAs(tenantId)(() =>
    client.call.verifyTrail({
      from: window.from ? toTimestamp(window.from) : null,
      to: window.to ? toTimestamp(window.to) : null,
    }),
  );
}

/** Runs statements as the superuser with triggers off, as an attacker with that power would. */
async function asSuperuser(statements: (db: pg.Client) => Promise<unknown>): Promise<void> {
  await admin.query('BEGIN');
  try {
    await admin.query('SET LOCAL session_replication_role = replica');
    await statements(admin);
    await admin.query('COMMIT');
  } catch (error) {
    await admin.query('ROLLBACK');
    throw error;
  }
}

/** The SQLSTATE a statement fails with as `url`'s role ('ok' when it succeeds). */
/** The SQLSTATE of `sql` run by `url`'s role ('ok' when it succeeds), in the session of `tenant` (row-level security). */
async function outcomeAs(url: string, sql: string, values: unknown[] = [], tenant?: string): Promise<string> {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    if (tenant) await db.query(`SELECT set_config('app.tenant_id', $1, false)`, [tenant]);
    await db.query(sql, values);
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  } finally {
    await db.end();
  }
}

const runtimeRole = () => inProcessEnv('audit').DATABASE_URL!;

beforeAll(async () => {
  service = await startAudit(
    inProcessEnv('audit', {
      // The tests run anchoring and verification themselves.
      AUDIT_ANCHOR_INTERVAL_MS: String(3_600_000),
      AUDIT_VERIFY_INTERVAL_MS: String(3_600_000),
    }),
    { inProcess: true },
  );
  client = testClient(loadContracts().hms.audit.v1.AuditService, service.grpcPort);
  admin = new pg.Client({ connectionString: testEnv().HMS_PG_ADMIN_URL });
  await admin.connect();
  await service.runtime.pool.query('SELECT audit.ensure_monthly_partitions($1::date, 1)', [OLD_MONTH.start]);
});

afterAll(async () => {
  client?.close();
  await admin?.end();
  await service?.runtime.close('test done');
});

describe("the audit service's own login", () => {
  let tenantId: string;
  beforeAll(async () => {
    tenantId = await newTrail(3, { when: (n) => (n === 2 ? OLD_MONTH.at : new Date()) });
  });

  it('may add and read records, and cannot delete, update or truncate them on the table', async () => {
    const where = [tenantId];
    expect(await outcomeAs(runtimeRole(), 'SELECT count(*) FROM audit.audit_log WHERE tenant_id = $1', where)).toBe(
      'ok',
    );
    expect(await outcomeAs(runtimeRole(), 'DELETE FROM audit.audit_log WHERE tenant_id = $1', where)).toBe('42501');
    expect(
      await outcomeAs(runtimeRole(), `UPDATE audit.audit_log SET actor_id = 'x' WHERE tenant_id = $1`, where),
    ).toBe('42501');
    expect(await outcomeAs(runtimeRole(), 'TRUNCATE audit.audit_log')).toBe('42501');
  });

  it('cannot delete, update or truncate them on any partition, old, current or created since', async () => {
    const { rows } = await admin.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
       WHERE i.inhparent = 'audit.audit_log'::regclass ORDER BY 1`,
    );
    const partitions = rows.map((r) => r.name);
    expect(partitions).toEqual(expect.arrayContaining(['audit_log_default', OLD_MONTH.partition]));
    for (const partition of partitions) {
      const can = async (privilege: string) =>
        (
          await admin.query<{ ok: boolean }>(`SELECT has_table_privilege('hms_audit', $1, $2) AS ok`, [
            `audit.${partition}`,
            privilege,
          ])
        ).rows[0]!.ok;
      expect({ partition, select: await can('SELECT'), insert: await can('INSERT') }).toEqual({
        partition,
        select: true,
        insert: true,
      });
      expect({
        partition,
        update: await can('UPDATE'),
        delete: await can('DELETE'),
        truncate: await can('TRUNCATE'),
      }).toEqual({ partition, update: false, delete: false, truncate: false });
    }
    // And in practice, on the partition holding one of this tenant's records.
    expect(
      await outcomeAs(runtimeRole(), `DELETE FROM audit.${OLD_MONTH.partition} WHERE tenant_id = $1`, [tenantId]),
    ).toBe('42501');
    expect(
      await outcomeAs(runtimeRole(), `UPDATE audit.${OLD_MONTH.partition} SET data = '{}' WHERE tenant_id = $1`, [
        tenantId,
      ]),
    ).toBe('42501');
    expect(await outcomeAs(runtimeRole(), `TRUNCATE audit.${OLD_MONTH.partition}`)).toBe('42501');
    expect(await outcomeAs(runtimeRole(), 'DELETE FROM audit.audit_log_default')).toBe('42501');
  });

  it('can move its chain head only forward, never delete it', async () => {
    expect(
      await outcomeAs(
        runtimeRole(),
        'UPDATE audit.chain_heads SET last_seq = 1 WHERE tenant_id = $1',
        [tenantId],
        tenantId,
      ),
    ).toBe('42501');
    expect(
      await outcomeAs(runtimeRole(), 'DELETE FROM audit.chain_heads WHERE tenant_id = $1', [tenantId], tenantId),
    ).toBe('42501');
  });

  it('can read checkpoints and write none; only the anchor role adds them, and nobody changes them', async () => {
    const cp = signCheckpoint(keys.anchor, tenantId, { seq: 99, hash: 'ab'.repeat(32) }, new Date());
    const insert = `INSERT INTO audit_anchor.checkpoints (tenant_id, seq, hash, anchored_at, key_id, signature)
                    VALUES ($1, $2, $3, $4, $5, $6)`;
    const values = [cp.tenantId, cp.seq, cp.hash, cp.anchoredAt, cp.keyId, cp.signature];
    expect(await outcomeAs(runtimeRole(), 'SELECT count(*) FROM audit_anchor.checkpoints')).toBe('ok');
    expect(await outcomeAs(runtimeRole(), insert, values)).toBe('42501');
    expect(
      await outcomeAs(runtimeRole(), 'DELETE FROM audit_anchor.checkpoints WHERE tenant_id = $1', [tenantId]),
    ).toBe('42501');
    // The anchor role: adds, and neither changes nor removes; it cannot touch the records at all.
    expect(await outcomeAs(anchorDatabaseUrl(), 'UPDATE audit_anchor.checkpoints SET seq = seq WHERE false')).toBe(
      '42501',
    );
    expect(await outcomeAs(anchorDatabaseUrl(), 'DELETE FROM audit_anchor.checkpoints WHERE false')).toBe('42501');
    expect(await outcomeAs(anchorDatabaseUrl(), 'SELECT 1 FROM audit.audit_log LIMIT 1')).toBe('42501');
    // Even the schema's owner meets the append-only triggers.
    expect(
      await outcomeAs(ownerDatabaseUrl('audit'), 'DELETE FROM audit_anchor.checkpoints WHERE tenant_id = $1', [
        tenantId,
      ]),
    ).toBe('42501');
    const anchored = await admin.query('SELECT 1 FROM audit_anchor.checkpoints WHERE tenant_id = $1', [tenantId]);
    expect(anchored.rowCount).toBe(1);
  });
});

describe('tampering by a database superuser without the keys', () => {
  it('is absent from an untouched trail: intact, every record checked, anchored to its head', async () => {
    const tenantId = await newTrail(6);
    expect(await verify(tenantId)).toEqual({
      intact: true,
      checked: 6,
      firstSeq: 1,
      lastSeq: 6,
      anchoredSeq: 6,
      brokenSeq: 0,
      problem: 'CHAIN_PROBLEM_UNSPECIFIED',
      reason: '',
    });
  });

  it('deleting a row: the missing record is named', async () => {
    const tenantId = await newTrail(6);
    await asSuperuser((db) => db.query('DELETE FROM audit.audit_log WHERE tenant_id = $1 AND seq = 3', [tenantId]));
    expect(await verify(tenantId)).toMatchObject({
      intact: false,
      checked: 2,
      brokenSeq: 3,
      problem: 'CHAIN_PROBLEM_MISSING_RECORD',
      reason: 'record 3 is missing: the record after seq 2 has seq 4',
    });
  });

  it('updating a row with the triggers disabled: the altered record is named', async () => {
    const tenantId = await newTrail(6);
    await expect(
      admin.query(`UPDATE audit.audit_log SET actor_id = 'someone-else' WHERE tenant_id = $1 AND seq = 4`, [tenantId]),
    ).rejects.toThrow(/append-only/);
    await asSuperuser((db) =>
      db.query(`UPDATE audit.audit_log SET actor_id = 'someone-else' WHERE tenant_id = $1 AND seq = 4`, [tenantId]),
    );
    expect(await verify(tenantId)).toMatchObject({
      intact: false,
      checked: 3,
      brokenSeq: 4,
      problem: 'CHAIN_PROBLEM_ALTERED_RECORD',
    });
  });

  it('truncating a partition: the records it held are named missing', async () => {
    // Records 3 and 4 occurred in an old month, alone in its partition.
    const tenantId = await newTrail(6, { when: (n) => (n === 3 || n === 4 ? OLD_MONTH.at : new Date()) });
    await asSuperuser((db) => db.query(`TRUNCATE audit.${OLD_MONTH.partition}`));
    expect(await verify(tenantId)).toMatchObject({
      intact: false,
      checked: 2,
      brokenSeq: 3,
      problem: 'CHAIN_PROBLEM_MISSING_RECORD',
      reason: 'records 3 to 4 are missing: the record after seq 2 has seq 5',
    });
  });

  it('deleting the newest rows and moving the head back to match: the cut is named by the checkpoint', async () => {
    const tenantId = await newTrail(6);
    await asSuperuser(async (db) => {
      await db.query('DELETE FROM audit.audit_log WHERE tenant_id = $1 AND seq > 4', [tenantId]);
      await db.query(
        `UPDATE audit.chain_heads SET last_seq = 4,
           last_hash = (SELECT hash FROM audit.audit_log WHERE tenant_id = $1 AND seq = 4)
         WHERE tenant_id = $1`,
        [tenantId],
      );
    });
    expect(await verify(tenantId)).toMatchObject({
      intact: false,
      checked: 4,
      brokenSeq: 5,
      problem: 'CHAIN_PROBLEM_TRUNCATED',
      reason: expect.stringMatching(/records end at seq 4, but the checkpoint of .* anchored seq 6/),
    });
  });

  describe('recomputing every hash without the key', () => {
    /** Rewrites the tenant's whole chain (and head) with `hash(prev, row)`, naming `keyId`. */
    async function recompute(tenantId: string, keyId: string, hash: (prev: string, content: string) => string) {
      const { rows } = await admin.query<Record<string, unknown> & { seq: string; occurred_at: Date }>(
        'SELECT * FROM audit.audit_log WHERE tenant_id = $1 ORDER BY seq',
        [tenantId],
      );
      await asSuperuser(async (db) => {
        let prev = GENESIS_HASH;
        for (const row of rows) {
          const content = canonicalJson({ ...row, data: { ...(row.data as object), totalMinor: 1 }, hash: undefined });
          const next = hash(prev, content);
          await db.query(
            `UPDATE audit.audit_log SET data = jsonb_set(data, '{totalMinor}', '1'), prev_hash = $3, hash = $4, key_id = $5
             WHERE tenant_id = $1 AND seq = $2`,
            [tenantId, row.seq, prev, next, keyId],
          );
          prev = next;
        }
        await db.query('UPDATE audit.chain_heads SET last_hash = $2 WHERE tenant_id = $1', [tenantId, prev]);
      });
    }

    it('with plain SHA-256: the first record is named altered', async () => {
      const tenantId = await newTrail(5);
      await recompute(tenantId, keys.chain.current.id, (prev, content) =>
        createHash('sha256').update(prev).update('\n').update(content).digest('hex'),
      );
      expect(await verify(tenantId)).toMatchObject({
        intact: false,
        checked: 0,
        brokenSeq: 1,
        problem: 'CHAIN_PROBLEM_ALTERED_RECORD',
      });
    });

    it('with a key of its own: an unknown key, or an altered record where it claims ours', async () => {
      const guessed = keyring(Buffer.alloc(32, 0x42)).current;
      const hmac = (prev: string, content: string) =>
        createHmac('sha256', guessed.secret).update(prev).update('\n').update(content).digest('hex');
      const named = await newTrail(5);
      await recompute(named, guessed.id, hmac);
      expect(await verify(named)).toMatchObject({ brokenSeq: 1, problem: 'CHAIN_PROBLEM_UNKNOWN_KEY' });
      const claimed = await newTrail(5);
      await recompute(claimed, keys.chain.current.id, hmac);
      expect(await verify(claimed)).toMatchObject({ brokenSeq: 1, problem: 'CHAIN_PROBLEM_ALTERED_RECORD' });
    });
  });

  it('forging a checkpoint without the anchor key: the forged checkpoint is named', async () => {
    const tenantId = await newTrail(3);
    const forged = signCheckpoint(
      keyring(Buffer.alloc(32, 0x43)),
      tenantId,
      { seq: 9, hash: 'cd'.repeat(32) },
      new Date(),
    );
    await admin.query(
      `INSERT INTO audit_anchor.checkpoints (tenant_id, seq, hash, anchored_at, key_id, signature)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [tenantId, forged.seq, forged.hash, forged.anchoredAt, forged.keyId, forged.signature],
    );
    expect(await verify(tenantId)).toMatchObject({
      intact: false,
      brokenSeq: 9,
      problem: 'CHAIN_PROBLEM_FORGED_CHECKPOINT',
    });
  });
});

describe('verification', () => {
  it('checks a time window: the records that occurred in it, linked to the one before', async () => {
    const base = Date.now() - 3_600_000;
    const tenantId = await newTrail(8, { when: (n) => new Date(base + n * 60_000) });
    expect(
      await verify(tenantId, { from: new Date(base + 3 * 60_000), to: new Date(base + 6 * 60_000) }),
    ).toMatchObject({ intact: true, checked: 3, firstSeq: 3, lastSeq: 5 });
    await asSuperuser((db) => db.query('DELETE FROM audit.audit_log WHERE tenant_id = $1 AND seq = 2', [tenantId]));
    expect(await verify(tenantId, { from: new Date(base + 3 * 60_000) })).toMatchObject({
      intact: false,
      brokenSeq: 2,
      problem: 'CHAIN_PROBLEM_MISSING_RECORD',
    });
  });

  it('refuses a window that ends before it starts, and one larger than the service checks per call', async () => {
    const tenantId = await newTrail(2, { anchored: false });
    const now = new Date();
    const bad = await grpcFailure(verify(tenantId, { from: now, to: new Date(now.getTime() - 1) }));
    expect(bad.code).toBe(status.INVALID_ARGUMENT);
    // A check larger than one call may make (AUDIT_VERIFY_MAX_RECORDS) is refused before any record is read.
    await expect(verifyTrail(trail(), keys, { tenantId, maxRecords: 1 })).rejects.toThrow(
      /would cover 2 records, more than the 1/,
    );
  });

  it('runs on schedule over every trail, records the outcome and exports it from every replica', async () => {
    const broken = await newTrail(3);
    await asSuperuser((db) => db.query('DELETE FROM audit.audit_log WHERE tenant_id = $1 AND seq = 2', [broken]));
    expect(await service.jobs.verifyNow(true)).toBe(true);
    const { rows } = await admin.query<{ finished_at: Date; tenants: number; broken: { tenantId: string }[] }>(
      'SELECT finished_at, tenants, broken FROM audit_anchor.verification_runs ORDER BY finished_at DESC LIMIT 1',
    );
    const run = rows[0]!;
    expect(run.broken).toContainEqual({
      tenantId: broken,
      seq: 2,
      problem: 'missing-record',
      reason: 'record 2 is missing: the record after seq 1 has seq 3',
    });
    // Not due again so soon: a second replica's tick does nothing.
    expect(await service.jobs.verifyNow()).toBe(true);
    const runs = await admin.query('SELECT 1 FROM audit_anchor.verification_runs WHERE finished_at > $1', [
      run.finished_at,
    ]);
    expect(runs.rowCount).toBe(0);

    const metrics = await (await fetch(`http://127.0.0.1:${service.opsPort}/metrics`)).text();
    const value = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(metrics)?.[1]);
    expect(value('hms_audit_trail_broken_tenants')).toBe(run.broken.length);
    expect(value('hms_audit_trail_verified_tenants')).toBe(run.tenants);
    expect(value('hms_audit_trail_verified_timestamp_seconds')).toBe(run.finished_at.getTime() / 1000);
    expect(value('hms_audit_anchor_last_run_timestamp_seconds')).toBeGreaterThan(0);
    expect(value('hms_audit_checkpoints_written_total')).toBeGreaterThan(0);
  });

  it('refuses to anchor records inserted by the service login without the chain key', async () => {
    const tenantId = await newTrail(2);
    const refusals = async () => {
      const text = await (await fetch(`http://127.0.0.1:${service.opsPort}/metrics`)).text();
      return Number(/^hms_audit_anchor_refusals_total(?:\{[^}]*\})? (\S+)$/m.exec(text)?.[1] ?? 0);
    };
    const before = await refusals();
    // What someone holding hms_audit's password could do: append a record of their own making.
    const forger = keyring(Buffer.alloc(32, 0x44));
    const db = new pg.Client({ connectionString: runtimeRole() });
    await db.connect();
    try {
      // Row-level security binds the login too: the intruder scopes the session to the tenant, as the service does.
      await db.query(`SELECT set_config('app.tenant_id', $1, false)`, [tenantId]);
      const head = (
        await db.query('SELECT last_seq, last_hash FROM audit.chain_heads WHERE tenant_id = $1', [tenantId])
      ).rows[0] as { last_seq: string; last_hash: string };
      const fake = createHmac('sha256', forger.current.secret).update(head.last_hash).digest('hex');
      await db.query('BEGIN');
      await db.query(
        `INSERT INTO audit.audit_log (id, tenant_id, seq, event_id, event_type, source, entity_type, entity_id, actor_kind,
           actor_id, occurred_at, data, prev_hash, hash, key_id)
         VALUES ($1, $2, 3, $3, 'bill.created', 'billing', 'bill', 'x', 'user', 'intruder', now(), '{}', $4, $5, $6)`,
        [newId(), tenantId, newId(), head.last_hash, fake, keys.chain.current.id],
      );
      await db.query('UPDATE audit.chain_heads SET last_seq = 3, last_hash = $2 WHERE tenant_id = $1', [
        tenantId,
        fake,
      ]);
      await db.query('COMMIT');
    } finally {
      await db.end();
    }
    expect(await service.jobs.anchorNow()).toBe(true);
    expect(await refusals()).toBeGreaterThanOrEqual(before + 1);
    const anchored = await admin.query<{ seq: string }>(
      'SELECT max(seq) AS seq FROM audit_anchor.checkpoints WHERE tenant_id = $1',
      [tenantId],
    );
    expect(Number(anchored.rows[0]!.seq)).toBe(2);
    expect(await verify(tenantId)).toMatchObject({ brokenSeq: 3, problem: 'CHAIN_PROBLEM_ALTERED_RECORD' });
  });
});
