/**
 * The audit service in-process against the test stack's real PostgreSQL and
 * Kafka: events in from every topic, hash-chained records and gRPC searches
 * out, monthly partitions underneath.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { status } from '@grpc/grpc-js';
import { createPrismaClient, newId, poolSql, type GrpcClient } from '@hms/platform';
import {
  actAs,
  checkSchemaDrift,
  closeTestPublisher,
  eventually,
  grpcFailure,
  inProcessEnv,
  ownerDatabaseUrl,
  publishRaw,
  publishTestEvent,
  serviceDatabaseUrl,
  testClient,
  testEnv,
} from '@hms/platform/testing';
import {
  decodeEnvelope,
  encodeEnvelope,
  EVENTS,
  loadContracts,
  toTimestamp,
  type AuditServiceClient,
  type EventDefinition,
  type EventPayload,
} from '@hms/proto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema, trailKeys } from './config.js';
import { createAuditStore, maintainPartitions } from './db/audit.repository.js';
import { PrismaClient } from './db/generated/client.js';
import { GENESIS_HASH } from './domain/hash-chain.js';
import { recordEvent } from './domain/record-event.js';
import { verifyTrail } from './domain/verify-trail.js';
import type { AuditEntry } from './domain/types.js';
import { auditEntryOf } from './events/audit.consumer.js';
import { startAudit } from './main.js';

type Client = GrpcClient<AuditServiceClient>;
type QueryRequest = Parameters<Client['call']['queryAuditLog']>[0];

let service: Awaited<ReturnType<typeof startAudit>>;
let client: Client;
let admin: pg.Client;
const tenantId = newId();
/** Reads rows as they are stored, as the schema's owner. */
const prisma = createPrismaClient(PrismaClient, ownerDatabaseUrl('audit'));
const trail = () => createAuditStore(service.runtime.database, newId);
const keys = trailKeys(configSchema.parse(inProcessEnv('audit')));

const asTenant = actAs(tenantId);

const grpcError = grpcFailure;

/** Publishes an event with the envelope fields publishTestEvent fixes (actor, time, source) chosen. */
async function publishEvent<D extends EventDefinition>(
  def: D,
  event: {
    tenantId?: string;
    key: string;
    subject: string;
    data: EventPayload<D>;
    occurredAt?: Date;
    actor?: { kind: string; id: string };
    source?: string;
  },
): Promise<string> {
  const id = newId();
  await publishRaw(
    def.topic,
    event.key,
    encodeEnvelope(def, {
      id,
      source: event.source ?? 'test',
      occurredAt: event.occurredAt ?? new Date(),
      tenantId: event.tenantId ?? tenantId,
      subject: event.subject,
      actor: event.actor ?? { kind: 'service', id: 'test' },
      traceparent: '',
      data: event.data,
    }),
  );
  return id;
}

/** The record of an event once audit has written it. */
function recordOf(eventId: string, tenant = tenantId, timeoutMs = 30_000) {
  return eventually(
    async () => (await prisma.auditRecord.findFirst({ where: { tenantId: tenant, eventId } })) ?? undefined,
    { timeoutMs, what: `the audit record of event ${eventId}` },
  );
}

/** Every page of a search, following cursors. */
async function allPages(request: QueryRequest, tenant = tenantId) {
  const pages: { eventId: string; id: string; occurredAt: number }[][] = [];
  let cursor = '';
  for (let i = 0; i < 20; i += 1) {
    const page = await asTenant(() => client.call.queryAuditLog({ ...request, cursor }), tenant);
    pages.push(
      page.records.map((r) => ({
        eventId: r.eventId,
        id: r.id,
        occurredAt: Number(r.occurredAt!.seconds) * 1000 + r.occurredAt!.nanos / 1e6,
      })),
    );
    cursor = page.nextCursor;
    if (!cursor) return pages;
  }
  throw new Error('more pages than expected');
}

function partitionName(at: Date): string {
  return `audit_log_${at.getUTCFullYear()}_${String(at.getUTCMonth() + 1).padStart(2, '0')}`;
}

async function partitionOf(eventId: string): Promise<string | undefined> {
  // Scoped to the tenant, as every read of records is (row-level security).
  const rows = await service.runtime.database.read(tenantId, (sql) =>
    sql.query<{ partition: string }>(
      `SELECT c.relname AS partition FROM audit.audit_log l JOIN pg_class c ON c.oid = l.tableoid WHERE l.tenant_id = $1 AND l.event_id = $2`,
      [tenantId, eventId],
    ),
  );
  return rows[0]?.partition;
}

beforeAll(async () => {
  service = await startAudit(inProcessEnv('audit'), { inProcess: true });
  client = testClient(loadContracts().hms.audit.v1.AuditService, service.grpcPort);
  admin = new pg.Client({ connectionString: testEnv().HMS_PG_ADMIN_URL });
  await admin.connect();
});

afterAll(async () => {
  client?.close();
  await admin?.end();
  await closeTestPublisher();
  await service?.runtime.close('test done');
  await prisma.$disconnect();
});

describe('audit service', () => {
  const appointmentId = newId();
  const patientId = newId();
  const doctorId = newId();
  const dayKey = `${tenantId}:${doctorId}:2030-01-07`;
  const startsAt = new Date('2030-01-07T05:00:00.000Z');

  it('records events of every producer with entity, actor, patient, trace id and JSON data', async () => {
    const traceId = randomBytes(16).toString('hex');
    const traceparent = `00-${traceId}-${randomBytes(8).toString('hex')}-01`;
    const billId = newId();
    const entryId = newId();
    const joinedAt = new Date('2030-01-07T04:50:00.000Z');
    const booked = await publishTestEvent(EVENTS.appointmentBooked, {
      tenantId,
      key: dayKey,
      subject: `appointment/${appointmentId}`,
      source: 'appointments',
      traceparent,
      data: {
        appointmentId,
        patientId,
        doctorId,
        departmentId: newId(),
        startsAt: toTimestamp(startsAt),
        endsAt: toTimestamp(new Date('2030-01-07T05:15:00.000Z')),
        serviceDate: '2030-01-07',
        consultationFeeMinor: 70_000,
        hospitalFeeMinor: 20_000,
        currency: 'INR',
      },
    });
    const checkedIn = await publishTestEvent(EVENTS.appointmentCheckedIn, {
      tenantId,
      key: dayKey,
      subject: `appointment/${appointmentId}`,
      source: 'appointments',
      traceparent,
      data: {
        appointmentId,
        patientId,
        doctorId,
        startsAt: toTimestamp(startsAt),
        serviceDate: '2030-01-07',
        checkedInAt: toTimestamp(joinedAt),
        timeZone: 'UTC',
      },
    });
    const billed = await publishTestEvent(EVENTS.billCreated, {
      tenantId,
      key: `${tenantId}:${appointmentId}`,
      subject: `bill/${billId}`,
      source: 'billing',
      traceparent,
      data: { billId, appointmentId, patientId, currency: 'INR', totalMinor: 90_000 },
    });
    const queued = await publishTestEvent(EVENTS.queueTokenIssued, {
      tenantId,
      key: dayKey,
      subject: `queue-entry/${entryId}`,
      source: 'queue',
      traceparent,
      data: {
        entryId,
        appointmentId,
        patientId,
        doctorId,
        serviceDate: '2030-01-07',
        tokenNumber: 7,
        position: 3,
        joinedAt: toTimestamp(joinedAt),
      },
    });

    // The first run of the group reads the topics' whole history first.
    const records = await Promise.all([booked, checkedIn, billed, queued].map((id) => recordOf(id, tenantId, 90_000)));
    expect(records.map((r) => [r.eventType, r.source, r.entityType, r.entityId])).toEqual([
      ['appointment.booked', 'appointments', 'appointment', appointmentId],
      ['appointment.checked_in', 'appointments', 'appointment', appointmentId],
      ['bill.created', 'billing', 'bill', billId],
      ['queue.token_issued', 'queue', 'queue-entry', entryId],
    ]);
    for (const record of records) {
      expect(record.tenantId).toBe(tenantId);
      expect(record.actorKind).toBe('service');
      expect(record.actorId).toBe('test');
      expect(record.patientId).toBe(patientId);
      expect(record.traceId).toBe(traceId);
    }
    expect(records[0]!.data).toMatchObject({
      startsAt: '2030-01-07T05:00:00.000Z',
      consultationFeeMinor: 70_000,
      currency: 'INR',
    });
    expect(records[1]!.data).toMatchObject({ checkedInAt: '2030-01-07T04:50:00.000Z', timeZone: 'UTC' });
    expect(records[2]!.data).toMatchObject({ billId, totalMinor: 90_000 });
    expect(records[3]!.data).toMatchObject({ tokenNumber: 7, joinedAt: '2030-01-07T04:50:00.000Z' });

    // And through gRPC, as the gateway reads them.
    const { records: found } = await asTenant(() => client.call.queryAuditLog({ entityId: appointmentId }));
    expect(found.map((r) => r.eventId).sort()).toEqual([booked, checkedIn].sort());
    const bookedMessage = found.find((r) => r.eventId === booked)!;
    expect(bookedMessage).toMatchObject({
      eventType: 'appointment.booked',
      entityType: 'appointment',
      actorKind: 'service',
      actorId: 'test',
      patientId,
      traceId,
      hash: records[0]!.hash,
      prevHash: records[0]!.prevHash,
    });
    expect(JSON.parse(bookedMessage.dataJson)).toMatchObject({ appointmentId, startsAt: '2030-01-07T05:00:00.000Z' });
  });

  it('records an event delivered twice once', async () => {
    const eventId = newId();
    const event = {
      id: eventId,
      tenantId,
      key: dayKey,
      subject: `appointment/${appointmentId}`,
      data: { appointmentId, patientId, doctorId, serviceDate: '2030-01-07', timeZone: 'UTC' },
    };
    await publishTestEvent(EVENTS.appointmentCheckedIn, event);
    await publishTestEvent(EVENTS.appointmentCheckedIn, event);
    // Same key, so same partition: once the marker is recorded, both copies have been handled.
    const marker = await publishTestEvent(EVENTS.appointmentCheckedIn, { ...event, id: newId() });
    await recordOf(marker);
    expect(await prisma.auditRecord.count({ where: { tenantId, eventId } })).toBe(1);

    // Even past the consumer's processed-event record, the trail takes an event only once.
    const before = await prisma.chainHead.findUniqueOrThrow({ where: { tenantId } });
    const envelope = decodeEnvelope(
      encodeEnvelope(EVENTS.appointmentCheckedIn, {
        ...event,
        source: 'test',
        occurredAt: (await recordOf(eventId)).occurredAt,
        actor: { kind: 'service', id: 'test' },
        traceparent: '',
      }),
    );
    const appended = await recordEvent(trail(), keys.chain, auditEntryOf({ ...envelope, tenantId, id: eventId }));
    expect(appended).toBeUndefined();
    expect(await prisma.auditRecord.count({ where: { tenantId, eventId } })).toBe(1);
    expect(await prisma.chainHead.findUniqueOrThrow({ where: { tenantId } })).toEqual(before);
  });

  describe('searches', () => {
    const entityId = newId();
    const searchPatient = newId();
    const actorId = `nurse-${newId()}`;
    const base = new Date(Math.floor((Date.now() - 2 * 3_600_000) / 60_000) * 60_000);
    const at = (minutes: number) => new Date(base.getTime() + minutes * 60_000);
    // Two events share a time, so the id decides their order.
    const minutes = [0, 1, 2, 3, 3, 4, 5];
    const published: string[] = [];

    beforeAll(async () => {
      for (const minute of minutes) {
        published.push(
          await publishEvent(EVENTS.billCreated, {
            key: `${tenantId}:${entityId}`,
            subject: `bill/${entityId}`,
            occurredAt: at(minute),
            actor: { kind: 'user', id: actorId },
            source: 'billing',
            data: {
              billId: entityId,
              appointmentId: newId(),
              patientId: searchPatient,
              currency: 'INR',
              totalMinor: 1,
            },
          }),
        );
      }
      await Promise.all(published.map((id) => recordOf(id)));
    });

    function expectNewestFirst(records: { occurredAt: number; id: string }[]) {
      for (let i = 1; i < records.length; i += 1) {
        const [a, b] = [records[i - 1]!, records[i]!];
        expect(a.occurredAt > b.occurredAt || (a.occurredAt === b.occurredAt && a.id > b.id)).toBe(true);
      }
    }

    it.each([
      ['entity', { entityId }],
      ['actor', { actorId }],
      ['patient', { patientId: searchPatient }],
      ['time window', { from: toTimestamp(at(0)), to: toTimestamp(at(6)) }],
    ])('finds by %s, newest first, in pages without duplicates or gaps', async (_by, filter) => {
      const pages = await allPages({ ...filter, pageSize: 3 });
      expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
      const records = pages.flat();
      expect(records.map((r) => r.eventId).sort()).toEqual([...published].sort());
      expectNewestFirst(records);
      expect(records[0]!.occurredAt).toBe(at(5).getTime());
      expect(records.at(-1)!.occurredAt).toBe(at(0).getTime());
    });

    it('takes from as inclusive and to as exclusive', async () => {
      const pages = await allPages({ entityId, from: toTimestamp(at(1)), to: toTimestamp(at(4)) });
      const records = pages.flat();
      expect(records.map((r) => r.occurredAt)).toEqual([at(3), at(3), at(2), at(1)].map((d) => d.getTime()));
      expectNewestFirst(records);
    });

    it('refuses searches without filters and with malformed ones', async () => {
      const cases: QueryRequest[] = [
        {},
        { pageSize: 10 },
        { entityId: 'bill-1' },
        { patientId: 'MRN-00001' },
        { entityId, pageSize: 201 },
        { entityId, cursor: 'not-a-cursor' },
        { from: toTimestamp(at(2)), to: toTimestamp(at(1)) },
      ];
      for (const request of cases) {
        const error = await grpcError(asTenant(() => client.call.queryAuditLog(request)));
        expect({ request, code: error.code }).toEqual({ request, code: status.INVALID_ARGUMENT });
      }
    });

    it("keeps tenants apart: one tenant never sees another's records", async () => {
      const otherTenant = newId();
      const theirs = await publishEvent(EVENTS.billCreated, {
        tenantId: otherTenant,
        key: `${otherTenant}:${entityId}`,
        subject: `bill/${entityId}`,
        actor: { kind: 'user', id: actorId },
        data: { billId: entityId, appointmentId: newId(), patientId: searchPatient, currency: 'INR', totalMinor: 1 },
      });
      await recordOf(theirs, otherTenant);
      const mine = (await allPages({ entityId })).flat();
      expect(mine.map((r) => r.eventId).sort()).toEqual([...published].sort());
      for (const filter of [{ entityId }, { actorId }, { patientId: searchPatient }]) {
        const other = (await allPages(filter, otherTenant)).flat();
        expect(other.map((r) => r.eventId)).toEqual([theirs]);
      }
    });
  });

  describe('partitions', () => {
    it('keeps the previous, current and next two months partitioned and stores records there', async () => {
      const now = new Date();
      const months = [-1, 0, 1, 2].map((m) =>
        partitionName(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + m, 1))),
      );
      const { rows } = await service.runtime.pool.query<{ name: string }>(
        `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'audit.audit_log'::regclass`,
      );
      expect(rows.map((r) => r.name)).toEqual(expect.arrayContaining([...months, 'audit_log_default']));

      const eventId = await publishTestEvent(EVENTS.billCreated, {
        tenantId,
        key: `${tenantId}:partition`,
        subject: `bill/${newId()}`,
        data: { billId: newId(), appointmentId: newId(), patientId: newId(), currency: 'INR', totalMinor: 1 },
      });
      const record = await recordOf(eventId);
      expect(await partitionOf(eventId)).toBe(partitionName(record.occurredAt));
    });

    it("moves a record that landed in the default partition into its month's partition once created", async () => {
      // Long before the maintained window: no partition for it is made ahead.
      const eventId = await publishEvent(EVENTS.billCreated, {
        key: `${tenantId}:partition`,
        subject: `bill/${newId()}`,
        occurredAt: new Date('2001-01-15T10:00:00.000Z'),
        data: { billId: newId(), appointmentId: newId(), patientId: newId(), currency: 'INR', totalMinor: 1 },
      });
      await recordOf(eventId);
      // In the default partition, unless an earlier run of this test created the month's partition.
      expect(['audit_log_default', 'audit_log_2001_01']).toContain(await partitionOf(eventId));
      await maintainPartitions(poolSql(service.runtime.pool), new Date());
      expect(await partitionOf(eventId)).toBe('audit_log_2001_01');
      const rows = await service.runtime.database.read(tenantId, (sql) =>
        sql.query(`SELECT 1 FROM audit.audit_log_default WHERE tenant_id = $1`, [tenantId]),
      );
      expect(rows).toEqual([]);
    });
  });

  describe('hash chain', () => {
    it("numbers the tenant's records 1..n without gaps, chained from the genesis hash, and verifies", async () => {
      const records = await prisma.auditRecord.findMany({ where: { tenantId }, orderBy: { seq: 'asc' } });
      expect(records.length).toBeGreaterThan(10);
      expect(records.map((r) => Number(r.seq))).toEqual(records.map((_, i) => i + 1));
      expect(records[0]!.prevHash).toBe(GENESIS_HASH);
      for (let i = 1; i < records.length; i += 1) expect(records[i]!.prevHash).toBe(records[i - 1]!.hash);
      const head = await prisma.chainHead.findUniqueOrThrow({ where: { tenantId } });
      expect([Number(head.lastSeq), head.lastHash]).toEqual([records.length, records.at(-1)!.hash]);
      expect(await verifyTrail(trail(), keys, { tenantId })).toMatchObject({
        intact: true,
        checked: records.length,
        lastSeq: records.length,
      });
    });

    it('keeps seq gapless when appends for one tenant race', async () => {
      const racingTenant = newId();
      const entry = (): AuditEntry => ({
        tenantId: racingTenant,
        eventId: newId(),
        eventType: 'bill.created',
        source: 'test',
        entityType: 'bill',
        entityId: newId(),
        actorKind: 'service',
        actorId: 'test',
        patientId: null,
        occurredAt: new Date(),
        traceId: '',
        data: { n: 1 },
      });
      await Promise.all(Array.from({ length: 8 }, () => recordEvent(trail(), keys.chain, entry())));
      const seqs = await prisma.auditRecord.findMany({
        where: { tenantId: racingTenant },
        orderBy: { seq: 'asc' },
        select: { seq: true },
      });
      expect(seqs.map((r) => Number(r.seq))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(await verifyTrail(trail(), keys, { tenantId: racingTenant })).toMatchObject({ intact: true, checked: 8 });
    });

    it('refuses updates from the service itself, and reports the record a superuser tampered with', async () => {
      const tamperedTenant = newId();
      const ids: string[] = [];
      for (let n = 0; n < 3; n += 1) {
        ids.push(
          await publishEvent(EVENTS.billCreated, {
            tenantId: tamperedTenant,
            key: `${tamperedTenant}:bills`,
            subject: `bill/${newId()}`,
            data: { billId: newId(), appointmentId: newId(), patientId: newId(), currency: 'INR', totalMinor: 100 },
          }),
        );
      }
      await Promise.all(ids.map((id) => recordOf(id, tamperedTenant)));
      expect(await verifyTrail(trail(), keys, { tenantId: tamperedTenant })).toMatchObject({
        intact: true,
        lastSeq: 3,
      });

      await expect(
        service.runtime.pool.query(`UPDATE audit.audit_log SET data = '{}' WHERE tenant_id = $1 AND seq = 2`, [
          tamperedTenant,
        ]),
      ).rejects.toMatchObject({ code: '42501' });

      // A superuser can get past the trigger; not past the chain.
      await admin.query('BEGIN');
      await admin.query(`SET LOCAL session_replication_role = replica`);
      const changed = await admin.query(
        `UPDATE audit.audit_log SET data = jsonb_set(data, '{totalMinor}', '1') WHERE tenant_id = $1 AND seq = 2`,
        [tamperedTenant],
      );
      await admin.query('COMMIT');
      expect(changed.rowCount).toBe(1);
      expect(await verifyTrail(trail(), keys, { tenantId: tamperedTenant })).toMatchObject({
        intact: false,
        break: { brokenSeq: 2, problem: 'altered-record' },
      });
    });
  });

  it.each(['audit', 'audit_anchor'])('has no drift between schema.prisma and its migrations in %s', async (schema) => {
    const drift = await checkSchemaDrift({
      connectionString: serviceDatabaseUrl('audit'),
      schema,
      prismaSchemaPath: fileURLToPath(new URL('../prisma/schema.prisma', import.meta.url)),
    });
    expect(drift).toEqual([]);
  });
});
