/**
 * Creates each service's two database roles and the schemas they use. Run with
 * an administrator's connection (locally by the stack scripts, in Kubernetes by
 * a one-off job); the services never hold administrator rights.
 *
 * - `<role>_owner` owns the service's schemas and everything in them; only the
 *   migration step logs in with it.
 * - `<role>` is what the running service logs in as: it may use the schemas and
 *   read and write rows (`runtimeTablePrivileges` narrows that for a service's
 *   own schema, e.g. audit records that can only be inserted and read; a
 *   migration may grant more on one table), but it owns nothing, so it can
 *   neither change the schema nor escape row-level security, and it has no
 *   grant on any other service's schema.
 * - `extraRoles` and `extraSchemas`: further logins and schemas a service's
 *   migrations give rights to (audit's anchor role and anchor schema). An extra
 *   schema belongs to the owner and grants nothing until a migration does.
 * - `extensions`: PostgreSQL extensions a service's migrations and queries use
 *   (pg_trgm, btree_gist). Creating one needs rights no service role has, so
 *   the administrator creates it here, in the shared schema `extensions`, which
 *   the service's roles may use and find on their search path.
 */
import pg from 'pg';
import { messagingSchemaOf, quoteIdent } from './sql.js';

export interface ServiceDatabase {
  /** Schema name: appointments, billing, ..., identity for the gateway. */
  schema: string;
  /** The runtime role; the owner role is `${role}_owner`. */
  role: string;
  password: string;
  ownerPassword: string;
  /**
   * What the runtime role may do with the rows of the tables in the service's
   * own schema, now and later (default SELECT, INSERT, UPDATE, DELETE). Set
   * exactly on every run: bootstrap never widens what a migration narrowed.
   */
  runtimeTablePrivileges?: readonly TablePrivilege[];
  /** Further login roles of the service (granted CONNECT; their rights come from migrations). */
  extraRoles?: readonly { role: string; password: string }[];
  /** Further schemas of the service, owned by its owner role. */
  extraSchemas?: readonly string[];
  /** Extensions the service needs, created in EXTENSIONS_SCHEMA (e.g. pg_trgm, btree_gist). */
  extensions?: readonly string[];
}

/** Where bootstrap creates the extensions services ask for; on their roles' search path. */
export const EXTENSIONS_SCHEMA = 'extensions';

export type TablePrivilege = 'SELECT' | 'INSERT' | 'UPDATE' | 'DELETE';

const ALL_ROW_PRIVILEGES: readonly TablePrivilege[] = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'];

export function ownerRoleOf(role: string): string {
  return `${role}_owner`;
}

export async function bootstrapServiceDatabases(adminUrl: string, services: ServiceDatabase[]): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl, application_name: 'hms-bootstrap' });
  await client.connect();
  try {
    const database = quoteIdent((await client.query<{ db: string }>('SELECT current_database() AS db')).rows[0]!.db);
    // Nobody but an owner may create in, or use, the public schema.
    await client.query('REVOKE ALL ON SCHEMA public FROM PUBLIC');
    for (const service of services) {
      const runtime = quoteIdent(service.role);
      const owner = quoteIdent(ownerRoleOf(service.role));
      await ensureLoginRole(client, service.role, service.password);
      await ensureLoginRole(client, ownerRoleOf(service.role), service.ownerPassword);
      await client.query(`GRANT CONNECT ON DATABASE ${database} TO ${runtime}, ${owner}`);
      for (const extra of service.extraRoles ?? []) {
        await ensureLoginRole(client, extra.role, extra.password);
        await client.query(`GRANT CONNECT ON DATABASE ${database} TO ${quoteIdent(extra.role)}`);
      }
      for (const name of service.extraSchemas ?? []) {
        const schema = quoteIdent(name);
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema} AUTHORIZATION ${owner}`);
        await client.query(`ALTER SCHEMA ${schema} OWNER TO ${owner}`);
        await client.query(`REVOKE ALL ON SCHEMA ${schema} FROM PUBLIC`);
      }
      const extensions = service.extensions ?? [];
      if (extensions.length > 0) {
        const schema = quoteIdent(EXTENSIONS_SCHEMA);
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
        await client.query(`REVOKE ALL ON SCHEMA ${schema} FROM PUBLIC`);
        for (const extension of extensions) {
          await client.query(`CREATE EXTENSION IF NOT EXISTS ${quoteIdent(extension)} WITH SCHEMA ${schema}`);
          // Created elsewhere before (by hand): migrations name its objects in `extensions`.
          const { rows } = await client.query<{ schema: string }>(
            'SELECT n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = $1',
            [extension],
          );
          if (rows[0]?.schema !== EXTENSIONS_SCHEMA) {
            await client.query(`ALTER EXTENSION ${quoteIdent(extension)} SET SCHEMA ${schema}`);
          }
        }
        await client.query(`GRANT USAGE ON SCHEMA ${schema} TO ${runtime}, ${owner}`);
      }
      const privilegesIn = (name: string) =>
        (name === service.schema ? (service.runtimeTablePrivileges ?? ALL_ROW_PRIVILEGES) : ALL_ROW_PRIVILEGES).join(
          ', ',
        );
      const schemas = [service.schema, messagingSchemaOf(service.schema)];
      for (const name of schemas) {
        const schema = quoteIdent(name);
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema} AUTHORIZATION ${owner}`);
        await client.query(`ALTER SCHEMA ${schema} OWNER TO ${owner}`);
        await client.query(`REVOKE ALL ON SCHEMA ${schema} FROM PUBLIC`);
        await client.query(`GRANT USAGE ON SCHEMA ${schema} TO ${runtime}`);
        // Tables the owner creates from now on (migrations): exactly these rights.
        await client.query(
          `ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA ${schema} REVOKE ALL ON TABLES FROM ${runtime}`,
        );
        await client.query(
          `ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA ${schema} GRANT ${privilegesIn(name)} ON TABLES TO ${runtime}`,
        );
        await client.query(
          `ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA ${schema} GRANT USAGE, SELECT ON SEQUENCES TO ${runtime}`,
        );
      }
      // A cluster bootstrapped before the roles were split has the runtime role
      // owning the objects: hand them to the owner (a no-op on a fresh cluster).
      await client.query(`REASSIGN OWNED BY ${runtime} TO ${owner}`);
      // Tables already there get the same rights; nothing here revokes, so a
      // right a migration took away beyond these stays away.
      for (const name of schemas) {
        const schema = quoteIdent(name);
        await client.query(`GRANT ${privilegesIn(name)} ON ALL TABLES IN SCHEMA ${schema} TO ${runtime}`);
        await client.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${schema} TO ${runtime}`);
      }
      const searchPath = [...schemas, ...(extensions.length > 0 ? [EXTENSIONS_SCHEMA] : [])].map(quoteIdent).join(', ');
      await client.query(`ALTER ROLE ${runtime} IN DATABASE ${database} SET search_path = ${searchPath}`);
      await client.query(`ALTER ROLE ${owner} IN DATABASE ${database} SET search_path = ${searchPath}`);
    }
    // Connecting is granted to the service roles above, not to everyone.
    await client.query(`REVOKE CONNECT ON DATABASE ${database} FROM PUBLIC`);
  } finally {
    await client.end();
  }
}

async function ensureLoginRole(client: pg.Client, name: string, password: string): Promise<void> {
  const role = quoteIdent(name);
  // Passwords cannot be bound parameters in DDL; quote them as literals.
  const literal = client.escapeLiteral(password);
  const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name]);
  if (exists.rowCount === 0) {
    await client.query(
      `CREATE ROLE ${role} LOGIN PASSWORD ${literal} NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT`,
    );
  } else {
    await client.query(`ALTER ROLE ${role} LOGIN PASSWORD ${literal} NOSUPERUSER NOBYPASSRLS`);
  }
}
