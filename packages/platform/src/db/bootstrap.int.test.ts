import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { ownerDatabaseUrl, serviceDatabaseUrl, testEnv } from '../testing/env.js';

async function attempt(url: string, sql: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code ?? 'error';
  } finally {
    await client.end();
  }
}

describe('database roles', () => {
  const services = ['appointments', 'billing', 'queue', 'audit', 'gateway'] as const;
  const schemaOf = {
    appointments: 'appointments',
    billing: 'billing',
    queue: 'queue',
    audit: 'audit',
    gateway: 'identity',
  };

  it("give each service its own schemas and no way into another's", async () => {
    for (const service of services) {
      const own = schemaOf[service];
      // The owner (migrations) shapes the schema; the runtime role only uses its tables.
      expect(
        await attempt(
          ownerDatabaseUrl(service),
          `CREATE TABLE ${own}.probe_${service} (id int); DROP TABLE ${own}.probe_${service}`,
        ),
      ).toBe('ok');
      expect(await attempt(serviceDatabaseUrl(service), `CREATE TABLE ${own}.probe_${service} (id int)`)).toBe('42501');
      expect(await attempt(serviceDatabaseUrl(service), `SELECT count(*) FROM ${own}_messaging.outbox`)).toBe('ok');
      expect(await attempt(serviceDatabaseUrl(service), `DELETE FROM ${own}_messaging.outbox WHERE false`)).toBe('ok');
      for (const other of services.filter((s) => s !== service)) {
        const theirs = schemaOf[other];
        // 42501: insufficient_privilege, for reading, writing and creating alike.
        for (const url of [serviceDatabaseUrl(service), ownerDatabaseUrl(service)]) {
          expect(await attempt(url, `SELECT 1 FROM ${theirs}_messaging.outbox`)).toBe('42501');
          expect(await attempt(url, `CREATE TABLE ${theirs}.intruder (id int)`)).toBe('42501');
        }
      }
      expect(await attempt(serviceDatabaseUrl(service), 'CREATE TABLE public.intruder (id int)')).toBe('42501');
    }
  });

  it('leave the runtime roles owning nothing, so row-level security binds them', async () => {
    const admin = new pg.Client({ connectionString: testEnv().HMS_PG_ADMIN_URL });
    await admin.connect();
    try {
      const roles = services.map((s) => `hms_${s}`);
      const owned = await admin.query<{ rolname: string; n: string }>(
        `SELECT r.rolname, count(c.oid)::text AS n FROM pg_roles r LEFT JOIN pg_class c ON c.relowner = r.oid
         WHERE r.rolname = ANY($1) GROUP BY r.rolname ORDER BY r.rolname`,
        [roles],
      );
      expect(owned.rows.map((r) => [r.rolname, r.n])).toEqual([...roles].sort().map((r) => [r, '0']));
      const powers = await admin.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM pg_roles WHERE rolname = ANY($1) AND (rolsuper OR rolbypassrls OR rolcreaterole OR rolcreatedb)`,
        [[...roles, ...roles.map((r) => `${r}_owner`)]],
      );
      expect(powers.rows[0]!.n).toBe('0');
    } finally {
      await admin.end();
    }
  });
});
