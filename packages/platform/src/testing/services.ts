/**
 * Starting a service in-process for its integration test, and talking to it:
 * ephemeral ports, the test stack's database and Kafka, a gRPC client, calls
 * made as a tenant, and the status a failing call ended with.
 */
import { runWithContext } from '../context.js';
import { createGrpcClient, type GrpcClient, type ServiceCtor, type ServiceError } from '../grpc/client.js';
import type * as grpc from '@grpc/grpc-js';
import { PERMISSION_NAMES } from '@hms/proto';
import { newId } from '../ids.js';
import { createMetrics } from '../metrics.js';
import { anchorDatabaseUrl, serviceDatabaseUrl, testEnv } from './env.js';
import { testKeys, testTokenSigner } from './internal-token.js';

/** The environment of a backend service started in-process against the test stack. */
export function inProcessEnv(
  service: 'appointments' | 'billing' | 'queue' | 'audit',
  overrides: Record<string, string> = {},
): Record<string, string> {
  return {
    DATABASE_URL: serviceDatabaseUrl(service),
    KAFKA_BROKERS: testEnv().HMS_KAFKA_BROKERS,
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: '0',
    OPS_PORT: '0',
    LOG_LEVEL: 'warn',
    OUTBOX_POLL_INTERVAL_MS: '200',
    ...(service === 'audit' ? auditEnv() : {}),
    ...(service === 'appointments' ? { REDIS_URL: testEnv().HMS_REDIS_URL, JOBS_POLLING_INTERVAL_SECONDS: '1' } : {}),
    INTERNAL_TOKEN_PUBLIC_KEYS: testKeys().publicKeyText,
    ...overrides,
  };
}

/** What audit needs beyond the others: its anchor role and the trail's keys. */
function auditEnv(): Record<string, string> {
  const env = testEnv();
  return {
    ANCHOR_DATABASE_URL: anchorDatabaseUrl(),
    AUDIT_CHAIN_KEY: env.HMS_AUDIT_CHAIN_KEY,
    AUDIT_ANCHOR_KEY: env.HMS_AUDIT_ANCHOR_KEY,
  };
}

/** A client of a service listening on 127.0.0.1:`port`, signing internal tokens with the test keypair. */
export function testClient<C extends grpc.Client>(Service: ServiceCtor<C>, port: number | undefined): GrpcClient<C> {
  if (!port) throw new Error('the service has no gRPC port');
  return createGrpcClient(Service, {
    address: `127.0.0.1:${port}`,
    defaultDeadlineMs: 5_000,
    metrics: createMetrics('test', { defaultMetrics: false }),
    tokens: testTokenSigner(),
  });
}

/**
 * `asTenant(fn)` runs fn as a request of `defaultTenant` by a caller the
 * gateway vouches for with every permission (an administrator's);
 * `asTenant(fn, other)` as another tenant's; `asTenant(fn, tenant, { permissions,
 * quotas })` as a caller with only those permissions, under those plan quotas.
 */
export function actAs(defaultTenant: string) {
  return <T>(
    fn: () => Promise<T>,
    tenant = defaultTenant,
    as: { permissions?: readonly string[]; quotas?: Record<string, number> } = {},
  ): Promise<T> =>
    runWithContext(
      {
        requestId: newId(),
        tenantId: tenant,
        userId: 'test-user',
        permissions: as.permissions ?? PERMISSION_NAMES,
        ...(as.quotas ? { quotas: as.quotas } : {}),
      },
      fn,
    );
}

/** The gRPC error a call failed with; throws when the call succeeded. */
export async function grpcFailure(call: Promise<unknown>): Promise<ServiceError> {
  try {
    await call;
  } catch (error) {
    return error as ServiceError;
  }
  throw new Error('expected the call to fail');
}
