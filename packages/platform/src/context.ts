/**
 * The request context every log line, gRPC call, transaction and event
 * carries: who the tenant and user are, which request this is, and until when
 * the caller waits. Propagated with AsyncLocalStorage; the trace context
 * travels separately in OpenTelemetry's.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface RequestContext {
  requestId: string;
  tenantId?: string | undefined;
  userId?: string | undefined;
  /** The caller's roles, as the gateway vouched for them. */
  roles?: string[] | undefined;
  /** What the caller may do (permission names, e.g. `appointments.book`), as the gateway resolved them. */
  permissions?: readonly string[] | undefined;
  /** The tenant plan's limits that a backend enforces when it creates something (e.g. `appointmentsPerMonth`). */
  quotas?: Readonly<Record<string, number>> | undefined;
  /** When the caller stops waiting (a gRPC deadline); no transaction starts or commits after it. */
  deadline?: Date | undefined;
}

const storage = new AsyncLocalStorage<RequestContext>();

export function runWithContext<T>(ctx: RequestContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

export function currentContext(): RequestContext | undefined {
  return storage.getStore();
}

/** The asking request's tenant; throws (a programming error) outside a tenant's request. `what` names the caller. */
export function currentTenantId(what: string): string {
  const tenantId = storage.getStore()?.tenantId;
  if (!tenantId) throw new Error(`${what} is used inside a tenant's request`);
  return tenantId;
}

/** Runs fn with no request context (work started by one request on behalf of many). */
export function runWithoutContext<T>(fn: () => T): T {
  return storage.exit(fn);
}
