/**
 * Row-level security as defence in depth, checked in the real database after
 * every service's migrations: each table of each service schema that holds a
 * tenant_id has RLS on, with a policy on app.tenant_id for every command; and
 * the runtime roles (which own nothing and cannot bypass RLS, bootstrap
 * tests) see no row without a tenant and only their tenant's rows with one,
 * even through a query that forgets to filter by tenant, the bug RLS is for.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../ids.js';
import { createOutboxWriter } from '../kafka/outbox.js';
import { serviceDatabaseUrl, testEnv } from '../testing/env.js';
import { createDatabase } from './database.js';
import { hmsTypes } from './pool.js';

const SCHEMAS = ['appointments', 'billing', 'queue', 'audit', 'identity'];

let admin: pg.Pool;
const tenantA = newId();
const tenantB = newId();
const patientA = newId();
const patientB = newId();
const userA = newId();
const userB = newId();

beforeAll(async () => {
  admin = new pg.Pool({ connectionString: testEnv().HMS_PG_ADMIN_URL, max: 2 });
  // Written as the administrator, around the services (which could not write across tenants).
  await admin.query(
    `INSERT INTO appointments.patients (id, tenant_id, mrn, full_name) VALUES ($1, $2, $3, 'Asha A'), ($4, $5, $6, 'Bela B')`,
    [patientA, tenantA, `MRN-${patientA}`, patientB, tenantB, `MRN-${patientB}`],
  );
  for (const [tenant, user] of [
    [tenantA, userA],
    [tenantB, userB],
  ] as const) {
    await admin.query(`INSERT INTO identity.tenants (id, name, slug) VALUES ($1, $2, $3)`, [
      tenant,
      `rls ${tenant}`,
      `rls${tenant.replaceAll('-', '').slice(-20)}`,
    ]);
    await admin.query(
      `INSERT INTO identity.users (id, tenant_id, username, password_hash, roles) VALUES ($1, $2, 'same-name', '$argon2id$not-a-real-hash', '{ADMIN}')`,
      [user, tenant],
    );
  }
});

afterAll(async () => {
  await admin.query('DELETE FROM appointments.patients WHERE id = ANY($1)', [[patientA, patientB]]);
  await admin.query('DELETE FROM identity.users WHERE id = ANY($1)', [[userA, userB]]);
  await admin.query('DELETE FROM identity.tenants WHERE id = ANY($1)', [[tenantA, tenantB]]);
  await admin.end();
});

describe('row-level security', () => {
  it('is on for every table with a tenant_id in every service schema, with a policy on app.tenant_id', async () => {
    const { rows } = await admin.query<{ table: string; rls: boolean; policies: string[] }>(
      `SELECT n.nspname || '.' || c.relname AS table, c.relrowsecurity AS rls,
              coalesce(array_agg(p.polcmd::text || ':' || pg_get_expr(p.polqual, p.polrelid) || ':' ||
                       coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '')) FILTER (WHERE p.oid IS NOT NULL), '{}') AS policies
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
       LEFT JOIN pg_policy p ON p.polrelid = c.oid
       WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p')
       GROUP BY 1, 2 ORDER BY 1`,
      [SCHEMAS],
    );
    // The audit partitions, billing, queue, appointments and identity: dozens of tables.
    expect(rows.length).toBeGreaterThan(8);
    const unguarded = rows
      .filter(
        (r) =>
          !r.rls ||
          !r.policies.some((p) => p.startsWith('*:') && p.split(':').slice(1).join(':').includes("'app.tenant_id'")),
      )
      .map((r) => r.table);
    expect(unguarded).toEqual([]);
    for (const r of rows) {
      const policy = r.policies.find((p) => p.startsWith('*:'))!;
      // The same condition for reading and for writing: a row cannot be moved to another tenant.
      expect(policy.match(/app\.tenant_id/g)?.length, r.table).toBe(2);
    }
  });

  it('shows a runtime role no row without a tenant, and only its own tenant through an unscoped query', async () => {
    const client = new pg.Client({ connectionString: serviceDatabaseUrl('appointments') });
    await client.connect();
    try {
      const both = [[patientA, patientB]];
      const visible = async () =>
        (await client.query<{ id: string }>('SELECT id FROM appointments.patients WHERE id = ANY($1)', both)).rows.map(
          (r) => r.id,
        );
      // No tenant context at all: nothing.
      expect(await visible()).toEqual([]);
      await client.query('BEGIN');
      await client.query(`SELECT set_config('app.tenant_id', $1, true)`, [tenantA]);
      // The forgotten `AND tenant_id = ...`: still only tenant A's row.
      expect(await visible()).toEqual([patientA]);
      expect((await client.query('SELECT count(*)::int AS n FROM appointments.patients')).rows[0].n).toBeGreaterThan(0);
      expect(
        (await client.query('SELECT count(*)::int AS n FROM appointments.patients WHERE tenant_id <> $1', [tenantA]))
          .rows[0].n,
      ).toBe(0);
      // Another tenant's row can be neither changed nor deleted, nor a row written for another tenant.
      expect(
        (await client.query(`UPDATE appointments.patients SET full_name = 'X' WHERE id = $1`, [patientB])).rowCount,
      ).toBe(0);
      expect((await client.query('DELETE FROM appointments.patients WHERE id = $1', [patientB])).rowCount).toBe(0);
      await expect(
        client.query(`INSERT INTO appointments.patients (id, tenant_id, mrn, full_name) VALUES ($1, $2, 'M', 'Y')`, [
          newId(),
          tenantB,
        ]),
      ).rejects.toMatchObject({ code: '42501' });
      await client.query('ROLLBACK');
      // The transaction's setting ended with it.
      expect(await visible()).toEqual([]);
    } finally {
      await client.end();
    }
  });

  it("binds the platform's transactions and reads to their tenant", async () => {
    const pool = new pg.Pool({ connectionString: serviceDatabaseUrl('gateway'), max: 2, types: hmsTypes });
    const db = createDatabase({ pool, outbox: createOutboxWriter({ schema: 'identity', source: 'rls-test' }) });
    try {
      const usersIn = (tenant: string | null) =>
        db.read(tenant, async (sql) =>
          (
            await sql.query<{ id: string }>(
              `SELECT id FROM identity.users WHERE username = 'same-name' AND id = ANY($1)`,
              [[userA, userB]],
            )
          ).map((r) => r.id),
        );
      expect(await usersIn(tenantA)).toEqual([userA]);
      expect(await usersIn(tenantB)).toEqual([userB]);
      expect(await usersIn(null)).toEqual([]);
      const moved = await db.transaction(tenantA, (tx) =>
        tx.execute('UPDATE identity.users SET display_name = $2 WHERE id = $1', [userB, 'taken over']),
      );
      expect(moved).toBe(0);
    } finally {
      await pool.end();
    }
  });
});
