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
