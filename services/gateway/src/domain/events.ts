/**
 * The gateway's events (topic hms.gateway.v1), as its use cases raise them.
 * Every one lands in the tenant's audit trail. Keys: tenant:user for sign-ins
 * and identity changes (one user's story stays in order), tenant:patient for
 * reads, tenant for tenant changes.
 */
import { pendingEvent, type PendingEvent } from '@hms/platform/domain';
import { EVENTS, toTimestamp } from '@hms/proto';
import type { ApiKey, ClientInfo, Tenant, User } from './types.js';

const text = (value: string, max = 200) => value.slice(0, max);

export function loginSucceeded(user: User, sessionId: string, client: ClientInfo): PendingEvent {
  return pendingEvent(EVENTS.loginSucceeded, {
    key: `${user.tenantId}:${user.id}`,
    tenantId: user.tenantId,
    subject: `user/${user.id}`,
    actor: { kind: 'user', id: user.id },
    data: {
      userId: user.id,
      username: user.username,
      sessionId,
      ip: text(client.ip),
      userAgent: text(client.userAgent),
    },
  });
}

export type LoginFailure =
  | 'unknown_user'
  | 'wrong_password'
  | 'user_disabled'
  | 'locked_out'
  | 'rate_limited'
  | 'unknown_tenant'
  | 'tenant_suspended';

/**
 * A refused sign-in, on the trail of the tenant it named (or of the platform
 * tenant when it named none that exists). The actor is who tried: the account
 * named, from an address.
 */
export function loginFailed(
  trailTenantId: string,
  attempt: { identifier: string; userId?: string | undefined; tenant?: string | undefined },
  reason: LoginFailure,
  client: ClientInfo,
): PendingEvent {
  const identifier = text(attempt.identifier.toLowerCase());
  return pendingEvent(EVENTS.loginFailed, {
    key: `${trailTenantId}:${attempt.userId ?? identifier}`,
    tenantId: trailTenantId,
    subject: attempt.userId ? `user/${attempt.userId}` : `login/${identifier}`,
    actor: { kind: 'anonymous', id: text(`${identifier}@${client.ip}`) },
    data: {
      identifier,
      userId: attempt.userId ?? '',
      reason,
      ip: text(client.ip),
      userAgent: text(client.userAgent),
      tenant: text(attempt.tenant ?? ''),
    },
  });
}

export function refreshTokenReused(user: User, sessionId: string, client: ClientInfo): PendingEvent {
  return pendingEvent(EVENTS.refreshTokenReused, {
    key: `${user.tenantId}:${user.id}`,
    tenantId: user.tenantId,
    subject: `user/${user.id}`,
    actor: { kind: 'anonymous', id: text(`refresh@${client.ip}`) },
    data: { userId: user.id, sessionId, ip: text(client.ip) },
  });
}

export function sessionEnded(tenantId: string, userId: string, sessionId: string, reason: string): PendingEvent {
  return pendingEvent(EVENTS.sessionEnded, {
    key: `${tenantId}:${userId}`,
    tenantId,
    subject: `user/${userId}`,
    data: { userId, sessionId, reason },
  });
}

export function recordAccessed(read: {
  tenantId: string;
  actor: { kind: string; id: string };
  entityType: string;
  entityId: string;
  patientId: string;
  route: string;
  requestId: string;
  /** The reading request's trace, so the record and the request's logs find each other. */
  traceparent?: string;
  at: Date;
}): PendingEvent {
  return pendingEvent(EVENTS.recordAccessed, {
    key: `${read.tenantId}:${read.patientId || read.entityId}`,
    tenantId: read.tenantId,
    subject: `${read.entityType}/${read.entityId}`,
    actor: read.actor,
    traceparent: read.traceparent,
    data: {
      entityType: read.entityType,
      entityId: read.entityId,
      patientId: read.patientId,
      route: read.route,
      requestId: read.requestId,
      accessedAt: toTimestamp(read.at),
    },
  });
}

export function userChanged(user: User, change: 'created' | 'updated' | 'password_changed'): PendingEvent {
  return pendingEvent(EVENTS.userChanged, {
    key: `${user.tenantId}:${user.id}`,
    tenantId: user.tenantId,
    subject: `user/${user.id}`,
    data: { userId: user.id, username: user.username, roles: user.roles, status: user.status, change },
  });
}

export function roleChanged(
  tenantId: string,
  role: { name: string; permissions: readonly string[] },
  change: 'created' | 'updated' | 'deleted',
): PendingEvent {
  return pendingEvent(EVENTS.roleChanged, {
    key: `${tenantId}:role:${role.name}`,
    tenantId,
    subject: `role/${role.name}`,
    data: { role: role.name, permissions: [...role.permissions], change },
  });
}

export function apiKeyChanged(key: ApiKey, change: 'created' | 'revoked'): PendingEvent {
  return pendingEvent(EVENTS.apiKeyChanged, {
    key: `${key.tenantId}:apikey:${key.id}`,
    tenantId: key.tenantId,
    subject: `api_key/${key.id}`,
    data: { apiKeyId: key.id, name: key.name, permissions: key.permissions, change },
  });
}

export function tenantChanged(
  tenant: Tenant,
  change: 'created' | 'plan_changed' | 'suspended' | 'resumed',
): PendingEvent {
  return pendingEvent(EVENTS.tenantChanged, {
    key: tenant.id,
    tenantId: tenant.id,
    subject: `tenant/${tenant.id}`,
    data: { tenantId: tenant.id, name: tenant.name, plan: tenant.plan, status: tenant.status, change },
  });
}
