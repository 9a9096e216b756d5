/**
 * The gRPC helpers end to end over a real socket: context and trace in
 * metadata, error mapping, deadlines, health and graceful shutdown. The
 * service is the BillingService contract with a small test implementation.
 */
import path from 'node:path';
import { createRequire } from 'node:module';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { loadContracts, type BillingServiceClient, type BillingServiceHandlers } from '@hms/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWithContext } from '../context.js';
import { InvalidArgumentError } from '../errors.js';
import { newId } from '../ids.js';
import { createLogger } from '../logger.js';
import { createMetrics } from '../metrics.js';
import { currentTraceId, withSpan } from '../tracing.js';
import { createGrpcClient, fieldViolationsOf, type GrpcClient, type ServiceError } from './client.js';
import { createGrpcServer, type CallContext, type GrpcServer } from './server.js';

const seen: { ctx: CallContext; traceId: string }[] = [];
let server: GrpcServer;
let client: GrpcClient<BillingServiceClient>;
let address: string;
const metrics = createMetrics('test', { defaultMetrics: false });

beforeAll(async () => {
  server = createGrpcServer({ logger: createLogger({ service: 'test', level: 'silent' }), metrics });
  server.addService<BillingServiceHandlers>(loadContracts().hms.billing.v1.BillingService.service, {
    async GetBill(request, ctx) {
      seen.push({ ctx, traceId: currentTraceId() });
      if (request.id === 'slow') await new Promise((r) => setTimeout(r, 400));
      if (request.id === 'bad') throw new InvalidArgumentError('bad id', [{ field: 'id', message: 'must be a UUID' }]);
      if (request.id === 'crash') throw new Error('database password is hunter2');
      return { bill: { id: request.id, items: [], currency: 'INR', totalMinor: 5 } };
    },
    async ListBills() {
      return { bills: [], nextCursor: '' };
    },
  });
  const port = await server.listen('127.0.0.1', 0);
  server.setServing(true);
  address = `127.0.0.1:${port}`;
  client = createGrpcClient(loadContracts().hms.billing.v1.BillingService, {
    address,
    defaultDeadlineMs: 2_000,
    metrics,
  });
});

afterAll(async () => {
  client?.close();
  await server?.shutdown(1_000);
});

const tenantId = newId();
const asTenant = <T>(fn: () => Promise<T>) => runWithContext({ requestId: 'req-1', tenantId, userId: 'user-1' }, fn);
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
    expect(last.ctx).toMatchObject({ tenantId, userId: 'user-1', requestId: 'req-1' });
    expect(last.ctx.deadline).toBeInstanceOf(Date);
    expect(last.traceId).toBe(traceId);
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('maps errors to status codes with field violations, and hides internals', async () => {
    const bad = await failure(asTenant(() => client.call.getBill({ id: 'bad' })));
    expect(bad?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(fieldViolationsOf(bad!)).toEqual([{ field: 'id', message: 'must be a UUID' }]);
    const crash = await failure(asTenant(() => client.call.getBill({ id: 'crash' })));
    expect(crash?.code).toBe(grpc.status.INTERNAL);
    expect(crash?.details).not.toMatch(/hunter2/);
    const noTenant = await failure(runWithContext({ requestId: 'r' }, () => client.call.getBill({ id: 'b1' })));
    expect(noTenant?.code).toBe(grpc.status.UNAUTHENTICATED);
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
