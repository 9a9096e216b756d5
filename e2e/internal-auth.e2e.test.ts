/**
 * The backends trust only the gateway: a process that reaches a backend's
 * gRPC port directly (as these tests do, to the running service processes)
 * gets nothing without an internal token signed with the gateway's key for
 * that very service, and cannot pick its tenant with metadata.
 */
import * as grpc from '@grpc/grpc-js';
import {
  audienceOf,
  createInternalTokenSigner,
  fieldViolationsOf,
  newId,
  parsePrivateKey,
  type InternalTokenSigner,
} from '@hms/platform';
import { newTestKeys } from '@hms/platform/testing';
import { loadContracts, PERMISSION_NAMES } from '@hms/proto';
import { UnsecuredJWT } from 'jose';
import { describe, expect, it } from 'vitest';

const env = process.env;
const hms = loadContracts().hms;

/** Each backend with one read it answers, and the text field of that read. */
const backends = [
  {
    name: 'appointments',
    Service: hms.appointments.v1.AppointmentsService,
    method: 'getAppointment',
    port: env.HMS_APPOINTMENTS_GRPC_PORT,
    request: (text: string) => ({ id: text }),
    field: 'id',
  },
  {
    name: 'billing',
    Service: hms.billing.v1.BillingService,
    method: 'getBill',
    port: env.HMS_BILLING_GRPC_PORT,
    request: (text: string) => ({ id: text }),
    field: 'id',
  },
  {
    name: 'queue',
    Service: hms.queue.v1.QueueService,
    method: 'getQueue',
    port: env.HMS_QUEUE_GRPC_PORT,
    request: (text: string) => ({ doctorId: text, serviceDate: '' }),
    field: 'doctorId',
  },
  {
    name: 'audit',
    Service: hms.audit.v1.AuditService,
    method: 'queryAuditLog',
    port: env.HMS_AUDIT_GRPC_PORT,
    request: (text: string) => ({ entityId: text, pageSize: 10 }),
    field: 'entityId',
  },
] as const;

type Backend = (typeof backends)[number];

function gatewayKey() {
  const text = env.HMS_INTERNAL_TOKEN_PRIVATE_KEY;
  if (!text) throw new Error('HMS_INTERNAL_TOKEN_PRIVATE_KEY is not set: run through scripts/hms test');
  return parsePrivateKey(text);
}
const gateway: InternalTokenSigner = createInternalTokenSigner({ privateKey: gatewayKey(), ttlSeconds: 60 });
const forger: InternalTokenSigner = createInternalTokenSigner({ privateKey: newTestKeys().privateKey, ttlSeconds: 60 });

/** One call with exactly this metadata; the error it ended with, or undefined. */
function directCall(
  backend: Backend,
  metadata: Record<string, string>,
  text = newId(),
): Promise<grpc.ServiceError | undefined> {
  const client = new backend.Service(
    `127.0.0.1:${backend.port}`,
    grpc.credentials.createInsecure(),
  ) as unknown as grpc.Client & Record<string, (...args: unknown[]) => void>;
  const md = new grpc.Metadata();
  for (const [key, value] of Object.entries(metadata)) md.set(key, value);
  return new Promise((resolve) => {
    client[backend.method]!(backend.request(text), md, { deadline: Date.now() + 5_000 }, (error: unknown) => {
      client.close();
      resolve((error as grpc.ServiceError | null) ?? undefined);
    });
  });
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe.each(backends)('the $name service, called directly', (backend) => {
  const tenantId = newId();
  const identity = { tenantId, userId: 'e2e-direct', roles: [], permissions: PERMISSION_NAMES };
  const audience = audienceOf(backend.name);

  it('answers a call with the gateway token for it', async () => {
    expect(backend.port, 'the test stack exports the gRPC ports').toBeTruthy();
    const error = await directCall(backend, bearer(await gateway.tokenFor(audience, identity)));
    // A read of nothing: found nothing or an empty page, but authenticated.
    expect([undefined, grpc.status.NOT_FOUND]).toContain(error?.code);
  });

  it('refuses every call without one: UNAUTHENTICATED', async () => {
    const otherService = backends.find((b) => b.name !== backend.name)!.name;
    const unsigned = new UnsecuredJWT({ tid: tenantId, roles: [] })
      .setIssuer('hms-gateway')
      .setAudience(audience)
      .setIssuedAt()
      .setExpirationTime('1m')
      .encode();
    const expired = createInternalTokenSigner({
      privateKey: gatewayKey(),
      ttlSeconds: 10,
      now: () => Date.now() - 120_000,
    });
    const attempts: [string, Record<string, string>][] = [
      ['tenant and user in metadata, no token', { 'x-tenant-id': tenantId, 'x-user-id': 'e2e-direct' }],
      ['a token for another service', bearer(await gateway.tokenFor(audienceOf(otherService), identity))],
      ['a token signed with another key', bearer(await forger.tokenFor(audience, identity))],
      ['an unsigned token (alg none)', bearer(unsigned)],
      ['an expired token', bearer(await expired.tokenFor(audience, identity))],
    ];
    for (const [what, metadata] of attempts) {
      expect((await directCall(backend, metadata))?.code, what).toBe(grpc.status.UNAUTHENTICATED);
    }
  });

  it('refuses a valid token without the permission the method needs: PERMISSION_DENIED', async () => {
    const nobody = { ...identity, roles: [], permissions: [] };
    const error = await directCall(backend, bearer(await gateway.tokenFor(audience, nobody)));
    expect(error?.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(error?.details).toMatch(/needs the permission/);
  });

  it('lets no metadata change the tenant of a valid token', async () => {
    const token = await gateway.tokenFor(audience, identity);
    const refused = await directCall(backend, { ...bearer(token), 'x-tenant-id': newId() });
    expect(refused?.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(refused?.details).toMatch(/disagrees with the internal token/);
  });

  it('refuses a NUL character in a string field: INVALID_ARGUMENT naming it', async () => {
    const error = await directCall(backend, bearer(await gateway.tokenFor(audience, identity)), 'a\u0000b');
    expect(error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(fieldViolationsOf(error!)).toEqual([{ field: backend.field, message: 'must not contain NUL characters' }]);
  });
});
