/** What the gateway's identity use cases work with: plain data, no transport, no SQL. */
import type { Permission } from '@hms/proto';
import type { PlanName } from './plans.js';

export interface Tenant {
  id: string;
  name: string;
  /** What a login names the tenant by. */
  slug: string;
  status: 'ACTIVE' | 'SUSPENDED';
  plan: PlanName;
  /** Moves whenever any role's permissions, or any user's roles or status, change. */
  permissionsVersion: number;
  /** Every request budget of the plan, times this. */
  rateLimitMultiplier: number;
  /** The operators' own tenant. */
  isPlatform: boolean;
}

export interface User {
  id: string;
  tenantId: string;
  username: string;
  email: string | null;
  displayName: string;
  status: 'ACTIVE' | 'DISABLED';
  roles: string[];
  createdAt: Date;
  updatedAt: Date;
}

/** A user as the login sees them: with the password hash. */
export interface UserWithPassword extends User {
  passwordHash: string;
}

/** One sign-in and the refresh tokens that rotate from it. */
export interface Session {
  id: string;
  tenantId: string;
  userId: string;
  createdAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
}

/** A refresh token as stored: the SHA-256 of its secret, and whether it was exchanged already. */
export interface RefreshTokenRecord {
  id: string;
  sessionId: string;
  secretHash: Buffer;
  expiresAt: Date;
  usedAt: Date | null;
}

export interface ApiKey {
  id: string;
  tenantId: string;
  name: string;
  permissions: Permission[];
  createdBy: string;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

/** Who acts: a user signed in, an integration's API key, or a development token. */
export interface Caller {
  tenantId: string;
  /** User id, `apikey:<id>` or the development token's subject. */
  actorId: string;
  kind: 'user' | 'api-key' | 'development';
}

/** Where a request came from, for the trail and for brute-force limits. */
export interface ClientInfo {
  ip: string;
  userAgent: string;
}
