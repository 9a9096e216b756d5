/**
 * gRPC server with HMS conventions: each unary handler is a plain async
 * function of (request, call context); the wrapper verifies the caller's
 * internal token (internal-token.ts: tenant, user and roles come from it, never
 * from plain metadata), refuses strings with NUL characters, restores the
 * request id and trace from metadata, times the call, and turns domain errors
 * into status codes (passing faults into UNAVAILABLE, anything unexpected into
 * INTERNAL without leaking its message). grpc.health.v1 is served as well,
 * without a token (probes have none).
 */
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import type { Permission } from '@hms/proto';
import { runWithContext } from '../context.js';
import { DomainError, InvalidArgumentError, PermissionDeniedError, UnauthenticatedError } from '../errors.js';
import { normalizeUuid } from '../ids.js';
import type { Logger } from '../logger.js';
import { observeWithTrace, secondsSince, type Metrics } from '../metrics.js';
import { contextFromCarrier, SpanKind, withSpan } from '../tracing.js';
import { isTransientError } from '../transient.js';
import { nulViolations } from '../validation.js';
import { ERROR_REASON_KEY, METADATA_KEYS, metadataGetter, metadataValue } from './metadata.js';
import type { InternalIdentity, InternalTokenVerifier } from './internal-token.js';
import { grpcCodeOfKind } from './status.js';

export interface CallContext {
  tenantId: string;
  userId: string | undefined;
  roles: string[];
  /** What the caller may do, as the gateway resolved it (a use case checks those that guard its rules). */
  permissions: readonly string[];
  /** The tenant plan's limits to enforce when creating something; a name absent: unlimited. */
  quotas: Readonly<Record<string, number>>;
  requestId: string;
  /** When the caller stops waiting. */
  deadline: Date | undefined;
}

/** What a server-streaming handler writes to. */
export interface ServerStream<Res> {
  /** Sends a message; false when the client's window is full (await drained() before more). */
  write(message: Res): boolean;
  /** Resolves once the stream takes writes again (or has ended). */
  drained(): Promise<void>;
  /** Aborted when the client goes away or the server shuts down: the handler should then return. */
  readonly signal: AbortSignal;
}

/**
 * The async form of a generated `...ServiceHandlers` interface: a unary method
 * is `(request, ctx) => response`, a server-streaming one `(request, ctx,
 * stream) => done` (the status is OK when it resolves, its error's when it rejects).
 */
export type UnaryImplementation<H> = {
  // `string extends K` drops the index signature the generated interfaces inherit.
  [K in keyof H as string extends K ? never : K]: H[K] extends grpc.handleUnaryCall<infer Req, infer Res>
    ? (request: Req, ctx: CallContext) => Promise<Res>
    : H[K] extends grpc.handleServerStreamingCall<infer Req, infer Res>
      ? (request: Req, ctx: CallContext, stream: ServerStream<Res>) => Promise<void>
      : never;
};

/** A method any authenticated caller may call (a permission is still checked inside, if any). */
export const ANY_CALLER = Symbol('any authenticated caller');

/**
 * The permission each method of a service needs, declared beside its
 * implementation: a call whose internal token lacks it is refused with
 * PERMISSION_DENIED before the handler runs. The gateway checks the same
 * permission per route; this is the backend's own check of what it guards.
 */
export type MethodPermissions<H> = {
  [K in keyof UnaryImplementation<H>]: Permission | typeof ANY_CALLER;
};

export interface GrpcServer {
  addService<H>(
    definition: grpc.ServiceDefinition,
    implementation: UnaryImplementation<H>,
    permissions: MethodPermissions<H>,
  ): void;
  /** Binds and starts; returns the bound port (useful with port 0). */
  listen(host: string, port: number): Promise<number>;
  /** Marks every service SERVING or NOT_SERVING in grpc.health.v1. */
  setServing(serving: boolean): void;
  /** Refuses new calls, waits for calls in flight up to `timeoutMs`, then cuts the rest. */
  shutdown(timeoutMs: number): Promise<void>;
}

export function createGrpcServer(options: {
  logger: Logger;
  metrics: Metrics;
  /** Verifies the internal token of every call (audience: this service). */
  verifier: InternalTokenVerifier;
}): GrpcServer {
  const server = new grpc.Server({
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
    'grpc.max_receive_message_length': 4 * 1024 * 1024,
  });
  const serviceNames: string[] = [];
  // Server streams still open: shutdown ends them (they would otherwise hold it up to its bound).
  const openStreams = new Set<AbortController>();
  const health = new HealthImplementation({ '': 'NOT_SERVING' });
  health.addToServer(server);
  const log = options.logger.child({ component: 'grpc-server' });

  function wrap(
    serviceName: string,
    methodName: string,
    permission: string | typeof ANY_CALLER,
    fn: (request: unknown, ctx: CallContext) => Promise<unknown>,
  ): grpc.handleUnaryCall<unknown, unknown> {
    return (call, callback) => {
      const started = process.hrtime.bigint();
      const md = call.metadata;
      const requestId = metadataValue(md, METADATA_KEYS.requestId) || randomUUID();
      const rawDeadline = call.getDeadline();
      const deadline =
        rawDeadline instanceof Date ? rawDeadline : Number.isFinite(rawDeadline) ? new Date(rawDeadline) : undefined;
      let identity: InternalIdentity | undefined;
      const parent = contextFromCarrier(md, metadataGetter);
      let traceId = '';
      const finish = (code: grpc.status) =>
        observeWithTrace(
          options.metrics.grpcServerDuration,
          { grpc_service: serviceName, grpc_method: methodName, grpc_code: grpc.status[code] },
          secondsSince(started),
          traceId,
        );
      void withSpan(
        `${serviceName}/${methodName}`,
        {
          kind: SpanKind.SERVER,
          parent,
          attributes: { 'rpc.system': 'grpc', 'rpc.service': serviceName, 'rpc.method': methodName },
        },
        async (span) => {
          traceId = span.spanContext().traceId;
          identity = await authenticate(md);
          if (permission !== ANY_CALLER && !identity.permissions.includes(permission)) {
            throw new PermissionDeniedError(`this call needs the permission ${permission}`);
          }
          const violations = nulViolations(call.request);
          if (violations.length > 0) throw new InvalidArgumentError('invalid request', violations);
          const { tenantId, userId, roles, permissions } = identity;
          const quotas = identity.quotas ?? {};
          const ctx: CallContext = { tenantId, userId, roles, permissions, quotas, requestId, deadline };
          return runWithContext({ requestId, tenantId, userId, roles, permissions, quotas, deadline }, () =>
            fn(call.request, ctx),
          );
        },
      ).then(
        (response) => {
          finish(grpc.status.OK);
          callback(null, response);
        },
        (error: unknown) => {
          const status = toServiceError(error);
          const about = { requestId, tenantId: identity?.tenantId, userId: identity?.userId };
          const method = `${serviceName}/${methodName}`;
          if (status.code === grpc.status.INTERNAL) {
            runWithContext(about, () => log.error({ err: error, method }, 'unexpected error in handler'));
          } else if (status.code === grpc.status.UNAUTHENTICATED) {
            runWithContext(about, () =>
              log.warn({ method, reason: status.details }, 'call refused: not authenticated'),
            );
          } else if (status.code === grpc.status.PERMISSION_DENIED && permission !== ANY_CALLER) {
            runWithContext(about, () => log.info({ method, permission }, 'call refused: permission missing'));
          }
          finish(status.code);
          callback(status);
        },
      );
    };
  }

  /**
   * A server-streaming method: the same token check, context, span-less
   * timing and error mapping as a unary call, around a handler that writes
   * until it resolves; the client leaving or the server stopping aborts it.
   */
  function wrapStream(
    serviceName: string,
    methodName: string,
    permission: string | typeof ANY_CALLER,
    fn: (request: unknown, ctx: CallContext, stream: ServerStream<unknown>) => Promise<void>,
  ): grpc.handleServerStreamingCall<unknown, unknown> {
    return (call) => {
      const started = process.hrtime.bigint();
      const md = call.metadata;
      const requestId = metadataValue(md, METADATA_KEYS.requestId) || randomUUID();
      const abort = new AbortController();
      openStreams.add(abort);
      const onGone = () => abort.abort();
      call.once('cancelled', onGone);
      call.once('close', onGone);
      const stream: ServerStream<unknown> = {
        write: (message) => call.write(message),
        drained: () =>
          new Promise<void>((resolve) => {
            if (!call.writableNeedDrain || abort.signal.aborted) return resolve();
            const done = () => {
              call.off('drain', done);
              abort.signal.removeEventListener('abort', done);
              resolve();
            };
            call.on('drain', done);
            abort.signal.addEventListener('abort', done);
          }),
        signal: abort.signal,
      };
      let identity: InternalIdentity | undefined;
      // A stream is not traced (it lives for hours): its duration has no exemplar.
      const finish = (code: grpc.status) =>
        observeWithTrace(
          options.metrics.grpcServerDuration,
          { grpc_service: serviceName, grpc_method: methodName, grpc_code: grpc.status[code] },
          secondsSince(started),
          '',
        );
      void (async () => {
        identity = await authenticate(md);
        if (permission !== ANY_CALLER && !identity.permissions.includes(permission)) {
          throw new PermissionDeniedError(`this call needs the permission ${permission}`);
        }
        const violations = nulViolations(call.request);
        if (violations.length > 0) throw new InvalidArgumentError('invalid request', violations);
        const { tenantId, userId, roles, permissions } = identity;
        const quotas = identity.quotas ?? {};
        const ctx: CallContext = { tenantId, userId, roles, permissions, quotas, requestId, deadline: undefined };
        await runWithContext({ requestId, tenantId, userId, roles, permissions, quotas }, () =>
          fn(call.request, ctx, stream),
        );
      })().then(
        () => {
          openStreams.delete(abort);
          finish(abort.signal.aborted && call.cancelled ? grpc.status.CANCELLED : grpc.status.OK);
          if (!call.cancelled) call.end();
        },
        (error: unknown) => {
          openStreams.delete(abort);
          const status = toServiceError(error);
          if (status.code === grpc.status.INTERNAL) {
            runWithContext({ requestId, tenantId: identity?.tenantId, userId: identity?.userId }, () =>
              log.error({ err: error, method: `${serviceName}/${methodName}` }, 'unexpected error in stream handler'),
            );
          }
          finish(status.code);
          if (!call.cancelled) call.emit('error', status);
        },
      );
    };
  }

  /**
   * The identity of the internal token. Tenant and user metadata no longer
   * name anyone; a caller that still sends them must agree with its token.
   */
  async function authenticate(md: grpc.Metadata): Promise<InternalIdentity> {
    const header = metadataValue(md, 'authorization') ?? '';
    const token = /^Bearer ([\w-]+\.[\w-]*\.[\w-]*)$/.exec(header)?.[1];
    const identity = await options.verifier.verify(token);
    const tenant = metadataValue(md, METADATA_KEYS.tenantId);
    if (tenant !== undefined && normalizeUuid(tenant) !== identity.tenantId) {
      throw new UnauthenticatedError(`metadata ${METADATA_KEYS.tenantId} disagrees with the internal token`);
    }
    const user = metadataValue(md, METADATA_KEYS.userId);
    if (user !== undefined && user !== identity.userId) {
      throw new UnauthenticatedError(`metadata ${METADATA_KEYS.userId} disagrees with the internal token`);
    }
    return identity;
  }

  return {
    addService(definition, implementation, permissions) {
      const handlers: grpc.UntypedServiceImplementation = {};
      const impl = implementation as Record<string, (request: unknown, ctx: CallContext) => Promise<unknown>>;
      const needs = permissions as Record<string, string | typeof ANY_CALLER | undefined>;
      let serviceName = '';
      for (const [name, method] of Object.entries(definition)) {
        const fn = impl[name];
        if (!fn) throw new Error(`no implementation for ${method.path}`);
        const permission = needs[name];
        if (permission === undefined) throw new Error(`${method.path} declares no permission`);
        if (method.requestStream) throw new Error(`${method.path}: client streams are not supported`);
        serviceName = method.path.split('/')[1] ?? name;
        handlers[name] = method.responseStream
          ? wrapStream(serviceName, name, permission, fn.bind(implementation) as never)
          : wrap(serviceName, name, permission, fn.bind(implementation));
      }
      server.addService(definition, handlers);
      serviceNames.push(serviceName);
    },
    listen(host, port) {
      return new Promise((resolve, reject) => {
        server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (error, bound) => {
          if (error) return reject(error);
          log.info({ port: bound }, 'gRPC server listening');
          resolve(bound);
        });
      });
    },
    setServing(serving) {
      const state = serving ? 'SERVING' : 'NOT_SERVING';
      health.setStatus('', state);
      for (const name of serviceNames) health.setStatus(name, state);
    },
    shutdown(timeoutMs) {
      this.setServing(false);
      // Streams never finish by themselves: end them so that tryShutdown can complete.
      for (const stream of openStreams) stream.abort();
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          log.warn({ timeoutMs }, 'gRPC calls still running at the shutdown bound; cutting them');
          server.forceShutdown();
          resolve();
        }, timeoutMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}

/** The status a caller sees for an error thrown by a handler. */
export function toServiceError(error: unknown): Partial<grpc.StatusObject> & { code: grpc.status } {
  if (error instanceof DomainError) {
    const metadata = new grpc.Metadata();
    if (error.violations.length > 0) {
      metadata.set('x-field-violations-bin', Buffer.from(JSON.stringify(error.violations)));
    }
    if (error.reason) metadata.set(ERROR_REASON_KEY, error.reason);
    if (error.details) metadata.set('x-error-details-bin', Buffer.from(JSON.stringify(error.details)));
    return { code: grpcCodeOfKind(error.kind), details: error.message, metadata };
  }
  if (isTransientError(error)) {
    return { code: grpc.status.UNAVAILABLE, details: 'a dependency is unavailable; retry later' };
  }
  return { code: grpc.status.INTERNAL, details: 'internal error' };
}
