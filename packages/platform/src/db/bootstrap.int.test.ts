import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { serviceDatabaseUrl } from '../testing/env.js';

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
      expect(
        await attempt(
          serviceDatabaseUrl(service),
          `CREATE TABLE ${own}.probe_${service} (id int); DROP TABLE ${own}.probe_${service}`,
        ),
      ).toBe('ok');
      for (const other of services.filter((s) => s !== service)) {
        const theirs = schemaOf[other];
        // 42501: insufficient_privilege, for reading, writing and creating alike.
        expect(await attempt(serviceDatabaseUrl(service), `SELECT 1 FROM ${theirs}_messaging.outbox`)).toBe('42501');
        expect(await attempt(serviceDatabaseUrl(service), `CREATE TABLE ${theirs}.intruder (id int)`)).toBe('42501');
      }
      expect(await attempt(serviceDatabaseUrl(service), 'CREATE TABLE public.intruder (id int)')).toBe('42501');
    }
  });
});
