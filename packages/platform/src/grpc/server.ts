/**
 * gRPC server with HMS conventions: each unary handler is a plain async
 * function of (request, call context); the wrapper restores the request
 * context and trace from metadata, times the call, and turns domain errors
 * into status codes (passing faults into UNAVAILABLE, anything unexpected into
 * INTERNAL without leaking its message). grpc.health.v1 is served as well.
 */
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { runWithContext } from '../context.js';
import { DomainError, UnauthenticatedError } from '../errors.js';
import { normalizeUuid } from '../ids.js';
import type { Logger } from '../logger.js';
import { secondsSince, type Metrics } from '../metrics.js';
import { contextFromCarrier, SpanKind, withSpan } from '../tracing.js';
import { isTransientError } from '../transient.js';
import { METADATA_KEYS, metadataGetter, metadataValue } from './metadata.js';
import { grpcCodeOfKind } from './status.js';

export interface CallContext {
  tenantId: string;
  userId: string | undefined;
  requestId: string;
  /** When the caller stops waiting. */
  deadline: Date | undefined;
}

/** The async form of a generated `...ServiceHandlers` interface (unary methods). */
export type UnaryImplementation<H> = {
  // `string extends K` drops the index signature the generated interfaces inherit.
  [K in keyof H as string extends K ? never : K]: H[K] extends grpc.handleUnaryCall<infer Req, infer Res>
    ? (request: Req, ctx: CallContext) => Promise<Res>
    : never;
};

export interface GrpcServer {
  addService<H>(definition: grpc.ServiceDefinition, implementation: UnaryImplementation<H>): void;
  /** Binds and starts; returns the bound port (useful with port 0). */
  listen(host: string, port: number): Promise<number>;
  /** Marks every service SERVING or NOT_SERVING in grpc.health.v1. */
  setServing(serving: boolean): void;
  /** Refuses new calls, waits for calls in flight up to `timeoutMs`, then cuts the rest. */
  shutdown(timeoutMs: number): Promise<void>;
}

export function createGrpcServer(options: { logger: Logger; metrics: Metrics }): GrpcServer {
  const server = new grpc.Server({
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
    'grpc.max_receive_message_length': 4 * 1024 * 1024,
  });
  const serviceNames: string[] = [];
  const health = new HealthImplementation({ '': 'NOT_SERVING' });
  health.addToServer(server);
  const log = options.logger.child({ component: 'grpc-server' });

  function wrap(
    serviceName: string,
    methodName: string,
    fn: (request: unknown, ctx: CallContext) => Promise<unknown>,
  ): grpc.handleUnaryCall<unknown, unknown> {
    return (call, callback) => {
      const started = process.hrtime.bigint();
      const md = call.metadata;
      const requestId = metadataValue(md, METADATA_KEYS.requestId) || randomUUID();
      // Canonical (lower-case) once, here: nothing downstream compares spellings.
      const tenantId = normalizeUuid(metadataValue(md, METADATA_KEYS.tenantId));
      const userId = metadataValue(md, METADATA_KEYS.userId) || undefined;
      const rawDeadline = call.getDeadline();
      const deadline =
        rawDeadline instanceof Date ? rawDeadline : Number.isFinite(rawDeadline) ? new Date(rawDeadline) : undefined;
      const ctx: CallContext = { tenantId: tenantId ?? '', userId, requestId, deadline };
      const parent = contextFromCarrier(md, metadataGetter);
      const finish = (code: grpc.status) =>
        options.metrics.grpcServerDuration.observe(
          { grpc_service: serviceName, grpc_method: methodName, grpc_code: grpc.status[code] },
          secondsSince(started),
        );
      void withSpan(
        `${serviceName}/${methodName}`,
        {
          kind: SpanKind.SERVER,
          parent,
          attributes: { 'rpc.system': 'grpc', 'rpc.service': serviceName, 'rpc.method': methodName },
        },
        () =>
          runWithContext({ requestId, tenantId, userId, deadline }, async () => {
            if (!tenantId) {
              throw new UnauthenticatedError(`metadata ${METADATA_KEYS.tenantId} must carry the tenant id`);
            }
            return fn(call.request, ctx);
          }),
      ).then(
        (response) => {
          finish(grpc.status.OK);
          callback(null, response);
        },
        (error: unknown) => {
          const status = toServiceError(error);
          if (status.code === grpc.status.INTERNAL) {
            runWithContext({ requestId, tenantId, userId }, () =>
              log.error({ err: error, method: `${serviceName}/${methodName}` }, 'unexpected error in handler'),
            );
          }
          finish(status.code);
          callback(status);
        },
      );
    };
  }

  return {
    addService(definition, implementation) {
      const handlers: grpc.UntypedServiceImplementation = {};
      const impl = implementation as Record<string, (request: unknown, ctx: CallContext) => Promise<unknown>>;
      let serviceName = '';
      for (const [name, method] of Object.entries(definition)) {
        const fn = impl[name];
        if (!fn) throw new Error(`no implementation for ${method.path}`);
        if (method.requestStream || method.responseStream) {
          throw new Error(`${method.path}: only unary methods are wrapped here`);
        }
        serviceName = method.path.split('/')[1] ?? name;
        handlers[name] = wrap(serviceName, name, fn.bind(implementation));
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
    return { code: grpcCodeOfKind(error.kind), details: error.message, metadata };
  }
  if (isTransientError(error)) {
    return { code: grpc.status.UNAVAILABLE, details: 'a dependency is unavailable; retry later' };
  }
  return { code: grpc.status.INTERNAL, details: 'internal error' };
}
