/** IdentityStore in SQL on the gateway's database: every transaction scoped to one tenant (row-level security). */
import { violates, type Database, type Sql, type Transaction } from '@hms/platform';
import type { Permission } from '@hms/proto';
import type { IdentityChanges, IdentityReads, IdentityStore, Page } from '../domain/identity-store.js';
import type { CustomRole } from '../domain/roles.js';
import type { ApiKey, Session, User, UserWithPassword } from '../domain/types.js';

interface UserRow {
  id: string;
  tenant_id: string;
  username: string;
  email: string | null;
  display_name: string;
  password_hash: string;
  status: User['status'];
  roles: string[];
  created_at: Date;
  updated_at: Date;
}
const USER_COLUMNS =
  'id, tenant_id, username, email, display_name, password_hash, status, roles, created_at, updated_at';

interface SessionRow {
  id: string;
  tenant_id: string;
  user_id: string;
  created_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
}

interface ApiKeyRow {
  id: string;
  tenant_id: string;
  name: string;
  key_hash: Buffer;
  permissions: Permission[];
  created_by: string;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
}
const API_KEY_COLUMNS =
  'id, tenant_id, name, key_hash, permissions, created_by, created_at, expires_at, revoked_at, last_used_at';

/** Namespace (first key) of the per-tenant lock that counts users against the plan's quota. */
const USER_QUOTA_LOCK = 0x5553; // "US"

export function createIdentityStore(db: Database): IdentityStore {
  return {
    change: (tenantId, fn) => db.transaction(tenantId, (tx) => fn(changesIn(tx))),
    read: (tenantId, fn) => db.read(tenantId, (sql) => fn(readsIn(sql, tenantId))),
  };
}

function readsIn(sql: Sql, tenantId: string): IdentityReads {
  return {
    async findUserByLogin(identifier) {
      const [row] = await sql.query<UserRow>(
        `SELECT ${USER_COLUMNS} FROM users WHERE tenant_id = $1 AND (username = $2 OR email = $2) LIMIT 1`,
        [tenantId, identifier],
      );
      return row && { ...toUser(row), passwordHash: row.password_hash };
    },
    async findUser(id) {
      const [row] = await sql.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE tenant_id = $1 AND id = $2`, [
        tenantId,
        id,
      ]);
      return row && toUser(row);
    },
    async listUsers({ limit, after }) {
      const rows = await sql.query<UserRow>(
        `SELECT ${USER_COLUMNS} FROM users WHERE tenant_id = $1 AND ($2::uuid IS NULL OR id > $2) ORDER BY id LIMIT $3`,
        [tenantId, after ?? null, limit + 1],
      );
      return page(rows.map(toUser), limit);
    },
    async countUsers() {
      const [row] = await sql.query<{ n: number }>(
        `WITH locked AS MATERIALIZED (SELECT pg_advisory_xact_lock($2::int, hashtext($1::uuid::text)))
         SELECT count(*)::int AS n FROM users, locked WHERE tenant_id = $1::uuid`,
        [tenantId, USER_QUOTA_LOCK],
      );
      return row?.n ?? 0;
    },
    async customRoles() {
      const rows = await sql.query<{ name: string; description: string; permissions: Permission[] }>(
        'SELECT name, description, permissions FROM roles WHERE tenant_id = $1 ORDER BY name',
        [tenantId],
      );
      return rows.map((r) => ({ name: r.name, description: r.description, permissions: r.permissions }));
    },
    async findApiKey(id) {
      const [row] = await sql.query<ApiKeyRow>(
        `SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE tenant_id = $1 AND id = $2`,
        [tenantId, id],
      );
      return row && { ...toApiKey(row), keyHash: row.key_hash };
    },
    async listApiKeys({ limit, after }) {
      const rows = await sql.query<ApiKeyRow>(
        `SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE tenant_id = $1 AND ($2::uuid IS NULL OR id > $2)
         ORDER BY id LIMIT $3`,
        [tenantId, after ?? null, limit + 1],
      );
      return page(rows.map(toApiKey), limit);
    },
    async findSession(id) {
      const [row] = await sql.query<SessionRow>(
        'SELECT id, tenant_id, user_id, created_at, expires_at, revoked_at FROM sessions WHERE tenant_id = $1 AND id = $2',
        [tenantId, id],
      );
      return row && toSession(row);
    },
  };
}

function changesIn(tx: Transaction): IdentityChanges {
  const tenantId = tx.tenantId!;
  return {
    ...readsIn(tx, tenantId),
    emit: (...events) => tx.emit(...events),
    async bumpPermissionsVersion() {
      const [row] = await tx.query<{ v: string }>(
        `UPDATE tenants SET permissions_version = permissions_version + 1, updated_at = now() WHERE id = $1
         RETURNING permissions_version AS v`,
        [tenantId],
      );
      return Number(row?.v ?? 0);
    },
    async insertUser(u: UserWithPassword) {
      const inserted = await tx.query<{ id: string }>(
        `INSERT INTO users (id, tenant_id, username, email, display_name, password_hash, status, roles, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
         ON CONFLICT DO NOTHING RETURNING id`,
        [u.id, tenantId, u.username, u.email, u.displayName, u.passwordHash, u.status, u.roles, u.createdAt],
      );
      return inserted.length === 1;
    },
    async updateUser(u, passwordHash) {
      try {
        await tx.execute(
          `UPDATE users SET email = $3, display_name = $4, status = $5, roles = $6, updated_at = $7,
             password_hash = COALESCE($8, password_hash),
             password_changed_at = CASE WHEN $8::text IS NULL THEN password_changed_at ELSE $7 END
           WHERE tenant_id = $1 AND id = $2`,
          [tenantId, u.id, u.email, u.displayName, u.status, u.roles, u.updatedAt, passwordHash ?? null],
        );
        return true;
      } catch (error) {
        if (violates(error, 'unique', 'users_tenant_id_email_key')) return false;
        throw error;
      }
    },
    async revokeUserSessions(userId, reason, at) {
      const rows = await tx.query<{ id: string }>(
        `UPDATE sessions SET revoked_at = $3, revoke_reason = $4
         WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > $3 RETURNING id`,
        [tenantId, userId, at, reason],
      );
      return rows.map((r) => r.id);
    },
    async insertSession(s) {
      await tx.execute(
        `INSERT INTO sessions (id, tenant_id, user_id, ip, user_agent, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [s.id, tenantId, s.userId, s.ip, s.userAgent, s.createdAt, s.expiresAt],
      );
    },
    async revokeSession(id, reason, at) {
      const n = await tx.execute(
        `UPDATE sessions SET revoked_at = $3, revoke_reason = $4 WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL`,
        [tenantId, id, at, reason],
      );
      return n === 1;
    },
    async lockRefreshToken(id) {
      const [row] = await tx.query<{
        id: string;
        session_id: string;
        secret_hash: Buffer;
        expires_at: Date;
        used_at: Date | null;
        session: SessionRow;
        user: UserRow;
      }>(
        `SELECT t.id, t.session_id, t.secret_hash, t.expires_at, t.used_at,
                row_to_json(s) AS session, row_to_json(u) AS user
         FROM refresh_tokens t
         JOIN sessions s ON s.tenant_id = t.tenant_id AND s.id = t.session_id
         JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.user_id
         WHERE t.tenant_id = $1 AND t.id = $2
         FOR UPDATE OF t, s`,
        [tenantId, id],
      );
      if (!row) return undefined;
      return {
        token: {
          id: row.id,
          sessionId: row.session_id,
          secretHash: row.secret_hash,
          expiresAt: row.expires_at,
          usedAt: row.used_at,
        },
        session: toSession(fromJson(row.session, ['created_at', 'expires_at', 'revoked_at'])),
        user: toUser(fromJson(row.user, ['created_at', 'updated_at'])),
      };
    },
    async markRefreshTokenUsed(id, at) {
      await tx.execute('UPDATE refresh_tokens SET used_at = $3 WHERE tenant_id = $1 AND id = $2', [tenantId, id, at]);
      await tx.execute(
        `UPDATE sessions SET last_refreshed_at = $3
         WHERE tenant_id = $1 AND id = (SELECT session_id FROM refresh_tokens WHERE tenant_id = $1 AND id = $2)`,
        [tenantId, id, at],
      );
    },
    async insertRefreshToken(t) {
      await tx.execute(
        `INSERT INTO refresh_tokens (id, tenant_id, session_id, secret_hash, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [t.id, tenantId, t.sessionId, t.secretHash, t.createdAt, t.expiresAt],
      );
    },
    async saveRole(role: CustomRole, at) {
      const [row] = await tx.query<{ created: boolean }>(
        `INSERT INTO roles (tenant_id, name, description, permissions, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $5)
         ON CONFLICT (tenant_id, name) DO UPDATE
           SET description = EXCLUDED.description, permissions = EXCLUDED.permissions, updated_at = EXCLUDED.updated_at
         RETURNING (xmax = 0) AS created`,
        [tenantId, role.name, role.description, role.permissions, at],
      );
      return row?.created ? 'created' : 'updated';
    },
    async deleteRole(name) {
      return (await tx.execute('DELETE FROM roles WHERE tenant_id = $1 AND name = $2', [tenantId, name])) === 1;
    },
    async countUsersWithRole(name) {
      const [row] = await tx.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM users WHERE tenant_id = $1 AND $2 = ANY(roles)',
        [tenantId, name],
      );
      return row?.n ?? 0;
    },
    async insertApiKey(k) {
      await tx.execute(
        `INSERT INTO api_keys (id, tenant_id, name, key_hash, permissions, created_by, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [k.id, tenantId, k.name, k.keyHash, k.permissions, k.createdBy, k.createdAt, k.expiresAt],
      );
    },
    async revokeApiKey(id, at) {
      const [row] = await tx.query<ApiKeyRow>(
        `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $3) WHERE tenant_id = $1 AND id = $2
         RETURNING ${API_KEY_COLUMNS}`,
        [tenantId, id, at],
      );
      return row && toApiKey(row);
    },
    async touchApiKeys(used) {
      if (used.size === 0) return;
      await tx.execute(
        `UPDATE api_keys k SET last_used_at = GREATEST(COALESCE(k.last_used_at, u.at), u.at)
         FROM unnest($2::uuid[], $3::timestamptz[]) AS u(id, at)
         WHERE k.tenant_id = $1 AND k.id = u.id`,
        [tenantId, [...used.keys()], [...used.values()]],
      );
    },
  };
}

function page<T extends { id: string }>(rows: T[], limit: number): Page<T> {
  const items = rows.slice(0, limit);
  return { items, next: rows.length > limit ? items.at(-1)?.id : undefined };
}

/** A row as row_to_json gave it: its timestamps back to Dates. */
function fromJson<R>(row: R, dates: string[]): R {
  const out = { ...row } as Record<string, unknown>;
  for (const d of dates) if (out[d] !== null && out[d] !== undefined) out[d] = new Date(out[d] as string);
  return out as R;
}

function toUser(row: UserRow): User {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    username: row.username,
    email: row.email,
    displayName: row.display_name,
    status: row.status,
    roles: row.roles,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toSession(row: SessionRow): Session {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    userId: row.user_id,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
  };
}

function toApiKey(row: ApiKeyRow): ApiKey {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    permissions: row.permissions,
    createdBy: row.created_by,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
  };
}
