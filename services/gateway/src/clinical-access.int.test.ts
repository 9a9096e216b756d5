/**
 * Reads of the clinical record through the gateway, against the test stack's
 * real PostgreSQL and Redis and a stand-in clinical service: each read is on
 * the gateway's outbox as record.accessed by the time it is answered, and a
 * read whose record cannot be written is refused (503) with nothing of the
 * record in the answer. The write failure is real: a trigger, made by the
 * schema's owner for this test's one tenant, refuses that tenant's outbox rows.
 */
import {
  audienceOf,
  createGrpcServer,
  createInternalTokenVerifier,
  createLogger,
  createMetrics,
  newId,
  type GrpcServer,
  type UnaryImplementation,
} from '@hms/platform';
import { testKeys } from '@hms/platform/testing';
import { loadContracts, toTimestamp, type ClinicalServiceHandlers } from '@hms/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signDevelopmentToken } from './http/auth.js';
import {
  DEV_SECRET,
  json,
  makeTenant,
  ownerPrisma,
  request,
  startTestGateway,
  addStandIn,
  type Gateway,
} from './testing/harness.js';

const prisma = ownerPrisma();
const patientId = newId();
let backend: GrpcServer;
let gateway: Gateway;
let listed = 0;

async function doctorOf(): Promise<{ tenantId: string; token: string }> {
  const t = await makeTenant(prisma, { plan: 'ENTERPRISE', rateLimitMultiplier: 100 });
  const token = await signDevelopmentToken(
    { tenantId: t.id, userId: 'dr-int', roles: ['DOCTOR'] },
    { secret: DEV_SECRET, issuer: 'hms-dev', ttl: '10m' },
  );
  return { tenantId: t.id, token };
}

const recorded = (tenantId: string) =>
  prisma.$queryRawUnsafe<{ key: string; traceparent: string | null }[]>(
    `SELECT key, headers->>'traceparent' AS traceparent FROM identity_messaging.outbox
      WHERE tenant_id = $1::uuid AND event_type = 'record.accessed'`,
    tenantId,
  );

beforeAll(async () => {
  backend = createGrpcServer({
    logger: createLogger({ service: 'stand-in', level: 'silent' }),
    metrics: createMetrics('stand-in', { defaultMetrics: false }),
    verifier: createInternalTokenVerifier({
      audience: audienceOf('appointments'),
      publicKeys: [testKeys().publicKey],
      clockToleranceSeconds: 5,
    }),
  });
  const implementation: Pick<UnaryImplementation<ClinicalServiceHandlers>, 'ListVitals'> = {
    async ListVitals(request) {
      listed += 1;
      return {
        patientId,
        vitals: [
          {
            id: newId(),
            appointmentId: request.appointmentId,
            patientId,
            takenAt: toTimestamp(new Date('2030-01-07T05:05:00Z')),
            takenBy: 'nurse-int',
            pulseBpm: 88,
          },
        ],
      };
    },
  };
  addStandIn<ClinicalServiceHandlers>(
    backend,
    loadContracts().hms.appointments.v1.ClinicalService.service,
    implementation,
  );
  const port = await backend.listen('127.0.0.1', 0);
  // The batch interval far away: only the durable write can have put a read on the outbox.
  gateway = await startTestGateway({
    APPOINTMENTS_GRPC_ADDRESS: `127.0.0.1:${port}`,
    ACCESS_LOG_FLUSH_INTERVAL_MS: '600000',
  });
});

afterAll(async () => {
  await gateway?.runtime.close('test done');
  await backend?.shutdown(2_000);
  await prisma.$disconnect();
});

describe('a read of the clinical record', () => {
  it('is on the outbox as record.accessed, under its trace, before it is answered', async () => {
    const { tenantId, token } = await doctorOf();
    const traceId = newId().replaceAll('-', '');
    const reads = await Promise.all(
      [newId(), newId(), newId()].map((visit) =>
        request(gateway, 'GET', `/api/v1/appointments/${visit}/vitals`, {
          token,
          headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
        }),
      ),
    );
    for (const read of reads) {
      expect(read.status).toBe(200);
      expect(((await json(read)).data as { pulseBpm: number }[])[0]!.pulseBpm).toBe(88);
    }
    // No flush asked for and the interval far away: written because the answers waited for it.
    const rows = await recorded(tenantId);
    expect(rows).toHaveLength(3);
    expect(rows.every((r) => r.key === `${tenantId}:${patientId}` && r.traceparent?.includes(traceId))).toBe(true);
  });

  it('is refused with a 503 and nothing of the record when its record cannot be written', async () => {
    const { tenantId, token } = await doctorOf();
    const refuse = `refuse_outbox_${tenantId.replaceAll('-', '')}`;
    await prisma.$executeRawUnsafe(
      `CREATE FUNCTION identity_messaging.${refuse}() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'outbox refused for this test'; END $$`,
    );
    await prisma.$executeRawUnsafe(
      `CREATE TRIGGER ${refuse} BEFORE INSERT ON identity_messaging.outbox FOR EACH ROW
         WHEN (NEW.tenant_id = '${tenantId}'::uuid) EXECUTE FUNCTION identity_messaging.${refuse}()`,
    );
    try {
      const before = listed;
      const refused = await request(gateway, 'GET', `/api/v1/appointments/${newId()}/vitals`, { token });
      expect(listed).toBe(before + 1);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(refused.headers.get('retry-after')).toBe('1');
      const text = await refused.text();
      expect(JSON.parse(text)).toMatchObject({ status: 503, type: expect.stringContaining('read-not-recorded') });
      expect(text).not.toContain('pulseBpm');
      expect(text).not.toContain(patientId);
      expect(await recorded(tenantId)).toHaveLength(0);
    } finally {
      await prisma.$executeRawUnsafe(`DROP TRIGGER ${refuse} ON identity_messaging.outbox`);
      await prisma.$executeRawUnsafe(`DROP FUNCTION identity_messaging.${refuse}()`);
    }
    // The refused read is not written later either; the next read is answered and recorded.
    await gateway.accessLog.flush();
    expect(await recorded(tenantId)).toHaveLength(0);
    const answered = await request(gateway, 'GET', `/api/v1/appointments/${newId()}/vitals`, { token });
    expect(answered.status).toBe(200);
    expect(await recorded(tenantId)).toHaveLength(1);
  });
});
