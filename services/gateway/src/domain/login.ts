/**
 * Signing in with a password, and the sessions it starts: a refresh token
 * that rotates on every use (the old one is spent; presenting a spent one
 * again revokes the whole session, since someone holds a copy), and logout.
 *
 * Whatever is wrong with a login (unknown tenant, unknown user, wrong
 * password, disabled user, suspended tenant) the caller learns only that it
 * failed, at the same cost: an unknown user's password is hashed all the same.
 * The trail learns the reason: every success and every failure is an event.
 */
import type { IdentityStore, PasswordHasher, TenantDirectory } from './identity-store.js';
import { loginFailed, loginSucceeded, refreshTokenReused, sessionEnded, type LoginFailure } from './events.js';
import type { ClientInfo, Session, Tenant, User } from './types.js';

/** A refresh token as handed out (once) and as stored (its secret's hash). */
export interface IssuedRefreshToken {
  token: string;
  id: string;
  secretHash: Buffer;
  expiresAt: Date;
}

/** How refresh tokens are made and read (src/auth/refresh-tokens.ts). */
export interface RefreshTokens {
  issue(tenantId: string, sessionId: string, expiresAt: Date): IssuedRefreshToken;
  /** The parts of a presented token; undefined when it is not one of ours at all. */
  parse(token: string): { tenantId: string; id: string; secretHash: Buffer } | undefined;
  /** Constant-time comparison of two secret hashes. */
  same(a: Buffer, b: Buffer): boolean;
}

export interface SessionDeps {
  tenants: TenantDirectory;
  store: IdentityStore;
  passwords: PasswordHasher;
  refreshTokens: RefreshTokens;
  now: () => Date;
  newId: () => string;
  /** How long a session lasts at most, however often it is refreshed. */
  sessionMaxAgeMs: number;
  /** How long one refresh token may wait to be used. */
  refreshTokenTtlMs: number;
}

export interface Login {
  /** The tenant's slug (or id). */
  tenant: string;
  /** Username or e-mail. */
  identifier: string;
  password: string;
  client: ClientInfo;
}

export interface SignedIn {
  tenant: Tenant;
  user: User;
  session: Session;
  refreshToken: IssuedRefreshToken;
}

export type LoginOutcome = { ok: true; signedIn: SignedIn } | { ok: false; reason: LoginFailure };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function tenantNamed(tenants: TenantDirectory, name: string): Promise<Tenant | undefined> {
  const normalized = name.trim().toLowerCase();
  return UUID.test(normalized) ? tenants.find(normalized) : tenants.findBySlug(normalized);
}

export async function login(deps: SessionDeps, cmd: Login): Promise<LoginOutcome> {
  const identifier = cmd.identifier.trim().toLowerCase();
  const tenant = await tenantNamed(deps.tenants, cmd.tenant);
  if (!tenant || tenant.status !== 'ACTIVE') {
    await deps.passwords.waste(cmd.password);
    const reason: LoginFailure = tenant ? 'tenant_suspended' : 'unknown_tenant';
    await recordRefusal(deps, tenant, { identifier, tenant: cmd.tenant }, reason, cmd.client);
    return { ok: false, reason };
  }
  const user = await deps.store.read(tenant.id, (tx) => tx.findUserByLogin(identifier));
  if (!user) {
    await deps.passwords.waste(cmd.password);
    await recordRefusal(deps, tenant, { identifier }, 'unknown_user', cmd.client);
    return { ok: false, reason: 'unknown_user' };
  }
  const passwordOk = await deps.passwords.verify(user.passwordHash, cmd.password);
  const reason: LoginFailure | undefined = !passwordOk
    ? 'wrong_password'
    : user.status !== 'ACTIVE'
      ? 'user_disabled'
      : undefined;
  if (reason) {
    await recordRefusal(deps, tenant, { identifier, userId: user.id }, reason, cmd.client);
    return { ok: false, reason };
  }
  const now = deps.now();
  const session: Session = {
    id: deps.newId(),
    tenantId: tenant.id,
    userId: user.id,
    createdAt: now,
    expiresAt: new Date(now.getTime() + deps.sessionMaxAgeMs),
    revokedAt: null,
  };
  const refreshToken = deps.refreshTokens.issue(tenant.id, session.id, refreshExpiry(deps, session, now));
  await deps.store.change(tenant.id, async (tx) => {
    await tx.insertSession({ ...session, ip: cmd.client.ip, userAgent: cmd.client.userAgent.slice(0, 200) });
    await tx.insertRefreshToken({
      id: refreshToken.id,
      tenantId: tenant.id,
      sessionId: session.id,
      secretHash: refreshToken.secretHash,
      createdAt: now,
      expiresAt: refreshToken.expiresAt,
      usedAt: null,
    });
    tx.emit(loginSucceeded(user, session.id, cmd.client));
  });
  const { passwordHash: _hash, ...plain } = user;
  return { ok: true, signedIn: { tenant, user: plain, session, refreshToken } };
}

/**
 * A sign-in refused before any password was checked (too many attempts): on
 * the trail all the same.
 */
export async function refuseLogin(
  deps: Pick<SessionDeps, 'tenants' | 'store'>,
  attempt: { tenant: string; identifier: string },
  reason: LoginFailure,
  client: ClientInfo,
): Promise<void> {
  const tenant = await tenantNamed(deps.tenants, attempt.tenant);
  await recordRefusal(
    deps,
    tenant,
    { identifier: attempt.identifier, tenant: tenant ? undefined : attempt.tenant },
    reason,
    client,
  );
}

/** A failure goes on the tenant's trail, or the platform tenant's when the tenant named does not exist. */
async function recordRefusal(
  deps: Pick<SessionDeps, 'tenants' | 'store'>,
  tenant: Tenant | undefined,
  attempt: { identifier: string; userId?: string | undefined; tenant?: string | undefined },
  reason: LoginFailure,
  client: ClientInfo,
): Promise<void> {
  const trail = tenant ?? (await deps.tenants.platformTenant());
  if (!trail) return;
  await deps.store.change(trail.id, async (tx) => {
    tx.emit(loginFailed(trail.id, attempt, reason, client));
  });
}

function refreshExpiry(deps: SessionDeps, session: Session, now: Date): Date {
  return new Date(Math.min(now.getTime() + deps.refreshTokenTtlMs, session.expiresAt.getTime()));
}

export type RefreshOutcome =
  | { ok: true; signedIn: SignedIn }
  | {
      ok: false;
      reason: 'invalid' | 'expired' | 'reused' | 'revoked' | 'user_disabled' | 'tenant_inactive';
      /** The session the token belonged to (ended now when reused). */
      sessionId?: string;
    };

/**
 * Exchanges a refresh token for a new one (and, in the caller, a new access
 * token). A token used before means a copy is in someone else's hands: the
 * session ends, every token of it with it, and the trail records it.
 */
export async function refresh(
  deps: SessionDeps,
  cmd: { refreshToken: string; client: ClientInfo },
): Promise<RefreshOutcome> {
  const parsed = deps.refreshTokens.parse(cmd.refreshToken);
  if (!parsed) return { ok: false, reason: 'invalid' };
  const tenant = await deps.tenants.find(parsed.tenantId);
  if (!tenant) return { ok: false, reason: 'invalid' };
  if (tenant.status !== 'ACTIVE') return { ok: false, reason: 'tenant_inactive' };
  const now = deps.now();
  return deps.store.change(tenant.id, async (tx): Promise<RefreshOutcome> => {
    const found = await tx.lockRefreshToken(parsed.id);
    if (!found || !deps.refreshTokens.same(found.token.secretHash, parsed.secretHash)) {
      return { ok: false, reason: 'invalid' };
    }
    const { token, session, user } = found;
    if (session.revokedAt) return { ok: false, reason: 'revoked' };
    if (token.usedAt) {
      await tx.revokeSession(session.id, 'refresh_token_reused', now);
      tx.emit(
        refreshTokenReused(user, session.id, cmd.client),
        sessionEnded(tenant.id, user.id, session.id, 'refresh_token_reused'),
      );
      return { ok: false, reason: 'reused', sessionId: session.id };
    }
    if (token.expiresAt <= now || session.expiresAt <= now) return { ok: false, reason: 'expired' };
    if (user.status !== 'ACTIVE') return { ok: false, reason: 'user_disabled' };
    await tx.markRefreshTokenUsed(token.id, now);
    const next = deps.refreshTokens.issue(tenant.id, session.id, refreshExpiry(deps, session, now));
    await tx.insertRefreshToken({
      id: next.id,
      tenantId: tenant.id,
      sessionId: session.id,
      secretHash: next.secretHash,
      createdAt: now,
      expiresAt: next.expiresAt,
      usedAt: null,
    });
    return { ok: true, signedIn: { tenant, user, session, refreshToken: next } };
  });
}

/** Ends the session of a refresh token (or of the caller's access token): every token of it stops working. */
export async function logout(
  deps: Pick<SessionDeps, 'tenants' | 'store' | 'refreshTokens' | 'now'>,
  cmd: { refreshToken: string } | { tenantId: string; sessionId: string },
): Promise<{ tenantId: string; sessionId: string } | undefined> {
  let tenantId: string;
  let sessionId: string | undefined;
  let tokenId: string | undefined;
  let secretHash: Buffer | undefined;
  if ('refreshToken' in cmd) {
    const parsed = deps.refreshTokens.parse(cmd.refreshToken);
    if (!parsed) return undefined;
    ({ tenantId, id: tokenId, secretHash } = parsed);
  } else {
    ({ tenantId, sessionId } = cmd);
  }
  if (!(await deps.tenants.find(tenantId))) return undefined;
  const now = deps.now();
  return deps.store.change(tenantId, async (tx) => {
    let userId: string;
    if (tokenId !== undefined) {
      const found = await tx.lockRefreshToken(tokenId);
      if (!found || !deps.refreshTokens.same(found.token.secretHash, secretHash!)) return undefined;
      sessionId = found.session.id;
      userId = found.user.id;
    } else {
      const session = await tx.findSession(sessionId!);
      if (!session) return undefined;
      userId = session.userId;
    }
    if (await tx.revokeSession(sessionId!, 'logout', now)) {
      tx.emit(sessionEnded(tenantId, userId, sessionId!, 'logout'));
    }
    return { tenantId, sessionId: sessionId! };
  });
}
