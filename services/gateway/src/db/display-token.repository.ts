/** Display tokens, as the gateway's identity schema keeps them. */
import { ALL_TENANTS, type Database } from '@hms/platform';

export interface DisplayToken {
  id: string;
  tenantId: string;
  name: string;
  doctorIds: string[];
  createdBy: string;
  createdAt: Date;
  revokedAt: Date | undefined;
}

export interface DisplayTokenRepository {
  create(token: Omit<DisplayToken, 'createdAt' | 'revokedAt'>, secretHash: Buffer): Promise<DisplayToken>;
  list(tenantId: string): Promise<DisplayToken[]>;
  /** Revokes the tenant's token; false when it has no such token. */
  revoke(tenantId: string, id: string): Promise<boolean>;
  /** The token with its secret's hash, whichever tenant (the id is what a bearer presents). */
  find(id: string): Promise<{ token: DisplayToken; secretHash: Buffer } | undefined>;
  /** Which of these ids are revoked (or gone). */
  revokedAmong(ids: string[]): Promise<Set<string>>;
}

interface Row {
  id: string;
  tenant_id: string;
  name: string;
  doctor_ids: string[];
  created_by: string;
  created_at: Date;
  revoked_at: Date | null;
  secret_hash?: Buffer;
}
const COLUMNS = 'id, tenant_id, name, doctor_ids, created_by, created_at, revoked_at';

const toToken = (row: Row): DisplayToken => ({
  id: row.id,
  tenantId: row.tenant_id,
  name: row.name,
  doctorIds: row.doctor_ids,
  createdBy: row.created_by,
  createdAt: row.created_at,
  revokedAt: row.revoked_at ?? undefined,
});

export function createDisplayTokenRepository(db: Database): DisplayTokenRepository {
  return {
    create: (token, secretHash) =>
      db.transaction(token.tenantId, async (tx) => {
        const [row] = await tx.query<Row>(
          `INSERT INTO display_tokens (id, tenant_id, name, doctor_ids, secret_hash, created_by)
           VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
          [token.id, token.tenantId, token.name, token.doctorIds, secretHash, token.createdBy],
        );
        return toToken(row!);
      }),
    list: (tenantId) =>
      db.read(tenantId, async (sql) =>
        (
          await sql.query<Row>(
            `SELECT ${COLUMNS} FROM display_tokens WHERE tenant_id = $1 ORDER BY created_at DESC LIMIT 500`,
            [tenantId],
          )
        ).map(toToken),
      ),
    revoke: (tenantId, id) =>
      db.transaction(tenantId, async (tx) => {
        const changed = await tx.execute(
          `UPDATE display_tokens SET revoked_at = COALESCE(revoked_at, CURRENT_TIMESTAMP) WHERE tenant_id = $1 AND id = $2`,
          [tenantId, id],
        );
        return changed > 0;
      }),
    // A bearer names no tenant: the look-up reads across tenants (read-only; the row-level
    // security policy allows exactly this scope to select display tokens).
    find: (id) =>
      db.read(ALL_TENANTS, async (sql) => {
        const [row] = await sql.query<Row>(`SELECT ${COLUMNS}, secret_hash FROM display_tokens WHERE id = $1`, [id]);
        return row ? { token: toToken(row), secretHash: row.secret_hash! } : undefined;
      }),
    revokedAmong: (ids) =>
      db.read(ALL_TENANTS, async (sql) => {
        const live = await sql.query<{ id: string }>(
          'SELECT id FROM display_tokens WHERE id = ANY($1::uuid[]) AND revoked_at IS NULL',
          [ids],
        );
        const alive = new Set(live.map((r) => r.id));
        return new Set(ids.filter((id) => !alive.has(id)));
      }),
  };
}
