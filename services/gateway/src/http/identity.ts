/** The authenticated caller of a request, as authentication leaves it for budgets, permissions and routes. */
import type { Permission } from '@hms/proto';
import type { Caller, Tenant } from '../domain/types.js';

/** The authenticated caller of a request (res.locals.identity). */
export interface Identity {
  tenant: Tenant;
  caller: Caller;
  roles: string[];
  permissions: ReadonlySet<Permission>;
  /** The session of an access token (what logout ends). */
  sessionId?: string;
}
