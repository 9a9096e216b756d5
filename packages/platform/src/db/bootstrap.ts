/**
 * Creates a service's database role and the schemas it owns. Run with an
 * administrator's connection (locally by the stack scripts, in Kubernetes by a
 * one-off job); the services themselves never hold administrator rights. Each
 * role can use only its own schemas: no grant on another service's exists.
 */
import pg from 'pg';
import { messagingSchemaOf, quoteIdent } from './sql.js';

export interface ServiceDatabase {
  /** Schema name, also the service's name: appointments, billing, ... */
  schema: string;
  role: string;
  password: string;
}

export async function bootstrapServiceDatabases(adminUrl: string, services: ServiceDatabase[]): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl, application_name: 'hms-bootstrap' });
  await client.connect();
  try {
    const database = (await client.query<{ db: string }>('SELECT current_database() AS db')).rows[0]!.db;
    // Nobody but an owner may create in, or use, the public schema.
    await client.query('REVOKE ALL ON SCHEMA public FROM PUBLIC');
    for (const service of services) {
      const role = quoteIdent(service.role);
      const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [service.role]);
      // Passwords cannot be bound parameters in DDL; quote them as literals.
      const password = client.escapeLiteral(service.password);
      if (exists.rowCount === 0) {
        await client.query(`CREATE ROLE ${role} LOGIN PASSWORD ${password} NOSUPERUSER NOCREATEDB NOCREATEROLE`);
      } else {
        await client.query(`ALTER ROLE ${role} LOGIN PASSWORD ${password}`);
      }
      await client.query(`GRANT CONNECT ON DATABASE ${quoteIdent(database)} TO ${role}`);
      for (const schema of [service.schema, messagingSchemaOf(service.schema)]) {
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)} AUTHORIZATION ${role}`);
        await client.query(`ALTER SCHEMA ${quoteIdent(schema)} OWNER TO ${role}`);
        await client.query(`REVOKE ALL ON SCHEMA ${quoteIdent(schema)} FROM PUBLIC`);
      }
      await client.query(
        `ALTER ROLE ${role} IN DATABASE ${quoteIdent(database)} SET search_path = ${quoteIdent(service.schema)}, ${quoteIdent(messagingSchemaOf(service.schema))}`,
      );
    }
    // Connecting is granted to the service roles above, not to everyone.
    await client.query(`REVOKE CONNECT ON DATABASE ${quoteIdent(database)} FROM PUBLIC`);
  } finally {
    await client.end();
  }
}
