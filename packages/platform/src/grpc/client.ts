/**
 * gRPC clients with HMS conventions: promise-returning methods, a deadline on
 * every call, the caller's identity as an internal token (internal-token.ts)
 * for the service called, the request id and the W3C trace context in
 * metadata, and a client span and latency histogram per call.
 */
import * as grpc from '@grpc/grpc-js';
import { currentContext } from '../context.js';
import { secondsSince, type Metrics } from '../metrics.js';
import { injectInto, SpanKind, withSpan } from '../tracing.js';
import { audienceOf, type InternalTokenSigner } from './internal-token.js';
import { ERROR_REASON_KEY, METADATA_KEYS, metadataSetter } from './metadata.js';

export type { ServiceError } from '@grpc/grpc-js';

type Callback<Res> = (error: grpc.ServiceError | null, response?: Res) => void;

/** The promise form of a generated client: `client.getBill(req)` instead of callbacks. */
export type AsyncClient<C> = {
  [K in keyof C as K extends `${Lowercase<string & K>[0]}${string}` ? K : never]: C[K] extends (
    argument: infer Req,
    callback: grpc.requestCallback<infer Res>,
  ) => grpc.ClientUnaryCall
    ? (request: Req, options?: { deadlineMs?: number }) => Promise<Res>
    : never;
};

export interface GrpcClient<C> {
  call: AsyncClient<C>;
  /**
   * Opens a server stream of `method` (its proto name, e.g. "WatchQueue") as
   * the current context's tenant and user, with no deadline: it lasts until
   * either side ends it (cancel() from here).
   */
  openStream<Res>(method: string, request: unknown): Promise<grpc.ClientReadableStream<Res>>;
  /** Waits until the channel is connected, or throws at the deadline. */
  waitForReady(timeoutMs: number): Promise<void>;
  close(): void;
}

/** A generated service client class, e.g. loadContracts().hms.billing.v1.BillingService. */
export type ServiceCtor<C> = (new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ChannelOptions,
) => C) & {
  service: grpc.ServiceDefinition;
};

export function createGrpcClient<C extends grpc.Client>(
  Service: ServiceCtor<C>,
  options: {
    address: string;
    defaultDeadlineMs: number;
    metrics: Metrics;
    /** Signs the token of each call's tenant and user. */
    tokens: InternalTokenSigner;
    /** Whom the tokens are for; by default the service of the contract's package (`hms.billing.v1` -> hms-billing). */
    audience?: string;
  },
): GrpcClient<C> {
  const audience = options.audience ?? audienceOfContract(Service.service);
  const client = new Service(options.address, grpc.credentials.createInsecure(), {
    // Spread calls over every address the name resolves to (headless services in Kubernetes).
    'grpc.service_config': JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }),
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
  });
  const call: Record<string, unknown> = {};
  /** The call's metadata: internal token of the context's identity, request id, trace context. */
  async function callMetadata(): Promise<grpc.Metadata> {
    const metadata = new grpc.Metadata();
    const ctx = currentContext();
    // No tenant, no token: the server refuses the call (UNAUTHENTICATED).
    if (ctx?.tenantId) {
      const identity = {
        tenantId: ctx.tenantId,
        userId: ctx.userId,
        roles: ctx.roles ?? [],
        permissions: ctx.permissions ?? [],
        quotas: ctx.quotas,
      };
      metadata.set('authorization', `Bearer ${await options.tokens.tokenFor(audience, identity)}`);
    }
    if (ctx?.requestId) metadata.set(METADATA_KEYS.requestId, ctx.requestId);
    injectInto(metadata, metadataSetter);
    return metadata;
  }
  for (const [name, method] of Object.entries(Service.service)) {
    if (method.responseStream) continue;
    const serviceName = method.path.split('/')[1] ?? '';
    const methodName = method.path.split('/')[2] ?? name;
    const lower = methodName.charAt(0).toLowerCase() + methodName.slice(1);
    type Invoke = (
      request: unknown,
      metadata: grpc.Metadata,
      callOptions: grpc.CallOptions,
      callback: Callback<unknown>,
    ) => grpc.ClientUnaryCall;
    const invoke = (client as unknown as Record<string, Invoke>)[lower]!.bind(client);
    call[lower] = (request: unknown, callOptions?: { deadlineMs?: number }) =>
      withSpan(
        `${serviceName}/${methodName}`,
        {
          kind: SpanKind.CLIENT,
          attributes: { 'rpc.system': 'grpc', 'rpc.service': serviceName, 'rpc.method': methodName },
        },
        async () => {
          const started = process.hrtime.bigint();
          const deadline = new Date(Date.now() + (callOptions?.deadlineMs ?? options.defaultDeadlineMs));
          const metadata = await callMetadata();
          return new Promise((resolve, reject) => {
            invoke(request, metadata, { deadline }, (error, response) => {
              options.metrics.grpcClientDuration.observe(
                {
                  grpc_service: serviceName,
                  grpc_method: methodName,
                  grpc_code: grpc.status[error?.code ?? grpc.status.OK],
                },
                secondsSince(started),
              );
              if (error) reject(error);
              else resolve(response);
            });
          });
        },
      );
  }
  return {
    call: call as AsyncClient<C>,
    async openStream<Res>(methodName: string, request: unknown) {
      const method = Object.values(Service.service).find((m) => m.path.endsWith(`/${methodName}`));
      if (!method?.responseStream) throw new Error(`${methodName} is not a server-streaming method`);
      const metadata = await callMetadata();
      return (client as unknown as grpc.Client).makeServerStreamRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        request,
        metadata,
        {},
      ) as grpc.ClientReadableStream<Res>;
    },
    waitForReady: (timeoutMs) =>
      new Promise((resolve, reject) =>
        client.waitForReady(Date.now() + timeoutMs, (error) => (error ? reject(error) : resolve())),
      ),
    close: () => client.close(),
  };
}

/** The field violations a server attached to an INVALID_ARGUMENT (or other) status. */
export function fieldViolationsOf(error: grpc.ServiceError): { field: string; message: string }[] {
  const raw = error.metadata?.get('x-field-violations-bin')[0];
  if (!raw) return [];
  try {
    return JSON.parse(Buffer.isBuffer(raw) ? raw.toString('utf8') : String(raw)) as {
      field: string;
      message: string;
    }[];
  } catch {
    return [];
  }
}

/** The finer reason a server gave with the status (DomainError.reason), if any. */
export function errorReasonOf(error: grpc.ServiceError): string | undefined {
  const raw = error.metadata?.get(ERROR_REASON_KEY)[0];
  return raw === undefined || !/^[a-z][a-z0-9-]{0,63}$/.test(String(raw)) ? undefined : String(raw);
}

/** The structured details a server attached to a refusal (DomainError.details), or undefined. */
export function errorDetailsOf(error: grpc.ServiceError): Record<string, unknown> | undefined {
  const raw = error.metadata?.get('x-error-details-bin')[0];
  if (!raw) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.isBuffer(raw) ? raw.toString('utf8') : String(raw));
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

export function isServiceError(error: unknown): error is grpc.ServiceError {
  return typeof error === 'object' && error !== null && 'code' in error && 'metadata' in error && 'details' in error;
}

/** `/hms.billing.v1.BillingService/GetBill` -> hms-billing. */
function audienceOfContract(service: grpc.ServiceDefinition): string {
  const path = Object.values(service)[0]?.path ?? '';
  const name = /^\/hms\.(\w+)\.v\d+\./.exec(path)?.[1];
  if (!name) throw new Error(`cannot tell the audience of ${path}; pass one`);
  return audienceOf(name);
}
