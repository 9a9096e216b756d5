/**
 * The gRPC helpers end to end over a real socket: the internal token (who may
 * call, on whose behalf), context and trace in metadata, error mapping, NUL
 * characters, deadlines, health and graceful shutdown. The service is the
 * BillingService contract with a small test implementation.
 */
import path from 'node:path';
import { createRequire } from 'node:module';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { loadContracts, type BillingServiceClient, type BillingServiceHandlers } from '@hms/proto';
import { UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWithContext } from '../context.js';
import { InvalidArgumentError, QuotaExceededError } from '../errors.js';
import { newId } from '../ids.js';
import { createLogger } from '../logger.js';
import { createMetrics } from '../metrics.js';
import { newTestKeys, testKeys, testTokenSigner } from '../testing/internal-token.js';
import { currentTraceId, withSpan } from '../tracing.js';
import { createGrpcClient, errorReasonOf, fieldViolationsOf, type GrpcClient, type ServiceError } from './client.js';
import {
  audienceOf,
  createInternalTokenSigner,
  createInternalTokenVerifier,
  type InternalTokenSigner,
} from './internal-token.js';
import {
  ANY_CALLER,
  createGrpcServer,
  type CallContext,
  type GrpcServer,
  type MethodPermissions,
  type UnaryImplementation,
} from './server.js';

const seen: { ctx: CallContext; traceId: string }[] = [];
let server: GrpcServer;
let client: GrpcClient<BillingServiceClient>;
let address: string;
const metrics = createMetrics('test', { defaultMetrics: false });

beforeAll(async () => {
  server = createGrpcServer({
    logger: createLogger({ service: 'test', level: 'silent' }),
    metrics,
    verifier: createInternalTokenVerifier({
      audience: audienceOf('billing'),
      publicKeys: [testKeys().publicKey],
      clockToleranceSeconds: 5,
    }),
  });
  // Two methods are all this test calls; the others throw.
  const handlers: Pick<UnaryImplementation<BillingServiceHandlers>, 'GetBill' | 'ListBills'> = {
    async GetBill(request, ctx) {
      seen.push({ ctx, traceId: currentTraceId() });
      if (request.id === 'slow') await new Promise((r) => setTimeout(r, 400));
      if (request.id === 'bad') throw new InvalidArgumentError('bad id', [{ field: 'id', message: 'must be a UUID' }]);
      if (request.id === 'crash') throw new Error('database password is hunter2');
      if (request.id === 'quota') throw new QuotaExceededError('appointmentsPerMonth', 500);
      return { bill: { id: request.id, items: [], currency: 'INR', totalMinor: 5 } };
    },
    async ListBills(_request, ctx) {
      seen.push({ ctx, traceId: currentTraceId() });
      return { bills: [], nextCursor: '' };
    },
  };
  const definition = loadContracts().hms.billing.v1.BillingService.service;
  const notCalled = async () => {
    throw new Error('not called by this test');
  };
  server.addService<BillingServiceHandlers>(
    definition,
    Object.fromEntries(
      Object.keys(definition).map((name) => [name, (handlers as Record<string, unknown>)[name] ?? notCalled]),
    ) as unknown as UnaryImplementation<BillingServiceHandlers>,
    {
      ...Object.fromEntries(Object.keys(definition).map((name) => [name, ANY_CALLER])),
      GetBill: 'bills.read',
    } as MethodPermissions<BillingServiceHandlers>,
  );
  const port = await server.listen('127.0.0.1', 0);
  server.setServing(true);
  address = `127.0.0.1:${port}`;
  client = clientWith(testTokenSigner());
});

afterAll(async () => {
  client?.close();
  await server?.shutdown(1_000);
});

/** A client of the test server whose tokens come from `tokens`. */
function clientWith(tokens: InternalTokenSigner, audience?: string): GrpcClient<BillingServiceClient> {
  return createGrpcClient(loadContracts().hms.billing.v1.BillingService, {
    address,
    defaultDeadlineMs: 2_000,
    metrics,
    tokens,
    ...(audience ? { audience } : {}),
  });
}

/** A raw call with exactly the metadata given (what any process reaching the port could send). */
function rawCall(metadata: Record<string, string>, request: { id: string } = { id: 'b1' }) {
  const Billing = loadContracts().hms.billing.v1.BillingService;
  const raw = new Billing(address, grpc.credentials.createInsecure());
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(metadata)) md.set(k, v);
  return new Promise<ServiceError | undefined>((resolve) => {
    raw.getBill(request, md, { deadline: Date.now() + 2_000 }, (error) => {
      raw.close();
      resolve(error ?? undefined);
    });
  });
}

const tenantId = newId();
const asTenant = <T>(fn: () => Promise<T>, roles: string[] = [], permissions: string[] = ['bills.read']) =>
  runWithContext({ requestId: 'req-1', tenantId, userId: 'user-1', roles, permissions }, fn);
const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: ServiceError) => e,
  );

describe('gRPC', () => {
  it('carries tenant, user, request id and the trace to the handler', async () => {
    const traceId = await withSpan('test', {}, async () => {
      const { bill } = await asTenant(() => client.call.getBill({ id: 'b1' }));
      expect(bill?.totalMinor).toBe(5);
      return currentTraceId();
    });
    const last = seen.at(-1)!;
    expect(last.ctx).toMatchObject({ tenantId, userId: 'user-1', requestId: 'req-1', roles: [] });
    expect(last.ctx.deadline).toBeInstanceOf(Date);
    expect(last.traceId).toBe(traceId);
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('takes tenant, user and roles from the internal token only', async () => {
    await asTenant(() => client.call.getBill({ id: 'roles' }), ['reception']);
    expect(seen.at(-1)!.ctx).toMatchObject({ tenantId, userId: 'user-1', roles: ['reception'] });
    const token = await testTokenSigner().tokenFor(audienceOf('billing'), {
      tenantId,
      userId: 'user-1',
      roles: [],
      permissions: ['bills.read'],
    });
    const handled = seen.length;
    // Metadata naming another tenant or user than the token is refused, and reaches no handler.
    const disagreeing: Record<string, string>[] = [
      { 'x-tenant-id': newId() },
      { 'x-user-id': 'someone-else' },
      { 'x-tenant-id': newId(), 'x-user-id': 'user-1' },
    ];
    for (const md of disagreeing) {
      const refused = await rawCall({ authorization: `Bearer ${token}`, ...md });
      expect(refused?.code).toBe(grpc.status.UNAUTHENTICATED);
      expect(refused?.details).toMatch(/disagrees with the internal token/);
    }
    // Agreeing metadata (in any spelling of the tenant id) is harmless.
    expect(await rawCall({ authorization: `Bearer ${token}`, 'x-tenant-id': tenantId.toUpperCase() })).toBeUndefined();
    expect(seen.length).toBe(handled + 1);
    expect(seen.at(-1)!.ctx.tenantId).toBe(tenantId);
  });

  it("checks each method's declared permission against the token's, before the handler", async () => {
    const handled = seen.length;
    const denied = await failure(asTenant(() => client.call.getBill({ id: 'b1' }), ['NURSE'], ['queues.read']));
    expect(denied?.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(denied?.details).toMatch(/bills\.read/);
    expect(seen.length).toBe(handled);
    // A method any caller may call runs, with the caller's permissions and the plan's quotas at hand.
    await runWithContext(
      {
        requestId: 'req-2',
        tenantId,
        userId: 'user-1',
        roles: [],
        permissions: ['queues.read'],
        quotas: { appointmentsPerMonth: 500 },
      },
      () => client.call.listBills({ appointmentId: '', patientId: '', pageSize: 0, cursor: '' }),
    );
    expect(seen.at(-1)!.ctx).toMatchObject({ permissions: ['queues.read'], quotas: { appointmentsPerMonth: 500 } });
    // A finer reason travels with the status code.
    const quota = await failure(asTenant(() => client.call.getBill({ id: 'quota' })));
    expect(quota?.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(errorReasonOf(quota!)).toBe('quota-exceeded');
    expect(fieldViolationsOf(quota!)).toEqual([{ field: 'appointmentsPerMonth', message: expect.any(String) }]);
  });

  it('refuses calls without a valid internal token for this service: UNAUTHENTICATED', async () => {
    const handled = seen.length;
    const identity = { tenantId, userId: 'user-1', roles: [], permissions: ['bills.read'] };
    const expired = createInternalTokenSigner({
      privateKey: testKeys().privateKey,
      ttlSeconds: 10,
      now: () => Date.now() - 60_000,
    });
    const forged = createInternalTokenSigner({ privateKey: newTestKeys().privateKey, ttlSeconds: 60 });
    const unsigned = new UnsecuredJWT({ tid: tenantId, roles: [] })
      .setIssuer('hms-gateway')
      .setAudience('hms-billing')
      .setIssuedAt()
      .setExpirationTime('1m')
      .encode();
    const attempts: [string, Promise<ServiceError | undefined>][] = [
      ['no token, tenant in metadata', rawCall({ 'x-tenant-id': tenantId, 'x-user-id': 'user-1' })],
      ['not a bearer token', rawCall({ authorization: `Basic dXNlcjpwYXNz`, 'x-tenant-id': tenantId })],
      ['alg none', rawCall({ authorization: `Bearer ${unsigned}` })],
      [
        'another audience',
        failure(asTenant(() => clientWith(testTokenSigner(), 'hms-queue').call.getBill({ id: 'b1' }))),
      ],
      ['expired', rawCall({ authorization: `Bearer ${await expired.tokenFor('hms-billing', identity)}` })],
      ['forged (another key)', rawCall({ authorization: `Bearer ${await forged.tokenFor('hms-billing', identity)}` })],
      [
        'no tenant in the context',
        failure(runWithContext({ requestId: 'r' }, () => client.call.getBill({ id: 'b1' }))),
      ],
    ];
    for (const [what, attempt] of attempts) {
      expect((await attempt)?.code, what).toBe(grpc.status.UNAUTHENTICATED);
    }
    expect(seen.length).toBe(handled);
  });

  it('refuses strings with NUL characters: INVALID_ARGUMENT naming the field', async () => {
    const handled = seen.length;
    const bad = await failure(asTenant(() => client.call.getBill({ id: 'a\u0000b' })));
    expect(bad?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(fieldViolationsOf(bad!)).toEqual([{ field: 'id', message: 'must not contain NUL characters' }]);
    expect(seen.length).toBe(handled);
  });

  it('maps errors to status codes with field violations, and hides internals', async () => {
    const bad = await failure(asTenant(() => client.call.getBill({ id: 'bad' })));
    expect(bad?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(fieldViolationsOf(bad!)).toEqual([{ field: 'id', message: 'must be a UUID' }]);
    const crash = await failure(asTenant(() => client.call.getBill({ id: 'crash' })));
    expect(crash?.code).toBe(grpc.status.INTERNAL);
    expect(crash?.details).not.toMatch(/hunter2/);
  });

  it('puts a deadline on every call', async () => {
    const late = await failure(asTenant(() => client.call.getBill({ id: 'slow' }, { deadlineMs: 100 })));
    expect(late?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
  });

  it('serves grpc.health.v1', async () => {
    const require = createRequire(import.meta.url);
    const protoPath = path.join(
      path.dirname(require.resolve('grpc-health-check/package.json')),
      'proto/health/v1/health.proto',
    );
    const definition = protoLoader.loadSync(protoPath, { keepCase: true, enums: String });
    type Check = (req: { service: string }, cb: (e: Error | null, r: { status: string }) => void) => void;
    const Health = (
      grpc.loadPackageDefinition(definition) as unknown as {
        grpc: {
          health: { v1: { Health: new (a: string, c: grpc.ChannelCredentials) => grpc.Client & { Check: Check } } };
        };
      }
    ).grpc.health.v1.Health;
    const health = new Health(address, grpc.credentials.createInsecure());
    const check = (service: string) =>
      new Promise<string>((resolve, reject) =>
        health.Check({ service }, (error, response) => (error ? reject(error) : resolve(response.status))),
      );
    expect(await check('')).toBe('SERVING');
    expect(await check('hms.billing.v1.BillingService')).toBe('SERVING');
    server.setServing(false);
    expect(await check('')).toBe('NOT_SERVING');
    server.setServing(true);
    health.close();
  });

  it('finishes calls in flight on shutdown and refuses new ones', async () => {
    const inFlight = asTenant(() => client.call.getBill({ id: 'slow' }));
    await new Promise((r) => setTimeout(r, 100));
    const stopping = server.shutdown(3_000);
    expect((await inFlight).bill?.id).toBe('slow');
    await stopping;
    const after = await failure(asTenant(() => client.call.getBill({ id: 'b2' }, { deadlineMs: 500 })));
    expect([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED]).toContain(after?.code);
  });
});
