/**
 * The queue service in-process against the test stack's real PostgreSQL and
 * Kafka: appointment.checked_in in, tokens, queue entries and
 * queue.token_issued out, queues read back over gRPC.
 */
import { fileURLToPath } from 'node:url';
import { status } from '@grpc/grpc-js';
import {
  createPrismaClient,
  dateOnly,
  fieldViolationsOf,
  localParts,
  newId,
  type GrpcClient,
  type ServiceError,
} from '@hms/platform';
import {
  actAs,
  checkSchemaDrift,
  closeTestPublisher,
  eventually,
  grpcFailure,
  inProcessEnv,
  ownerDatabaseUrl,
  publishTestEvent,
  serviceDatabaseUrl,
  tapEvents,
  testClient,
  type EventTap,
} from '@hms/platform/testing';
import {
  decodeEventData,
  EVENTS,
  loadContracts,
  toTimestamp,
  TOPICS,
  type QueueServiceClient,
  type WatchQueueResponse__Output,
} from '@hms/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrismaClient } from './db/generated/client.js';
import { createQueueStore } from './db/queue.repository.js';
import { joinQueue } from './domain/join-queue.js';
import { startQueue } from './main.js';

type Client = GrpcClient<QueueServiceClient>;
type QueueResponse = Awaited<ReturnType<Client['call']['getQueue']>>;

let service: Awaited<ReturnType<typeof startQueue>>;
let client: Client;
let tap: EventTap;
const tenantId = newId();
const DAY = '2030-01-07';
const NEXT_DAY = '2030-01-08';

const asTenant = actAs(tenantId);

const grpcError = grpcFailure;

const violatedFields = (error: ServiceError) => fieldViolationsOf(error).map((v) => v.field);

interface CheckIn {
  doctorId: string;
  serviceDate?: string;
  timeZone?: string;
  appointmentId?: string;
  patientId?: string;
  tenant?: string;
  /** Envelope id; the same id twice is a redelivery. */
  id?: string;
  traceparent?: string;
}

/** Publishes appointment.checked_in as the appointments service would; returns the appointment id. */
async function checkIn(c: CheckIn): Promise<string> {
  const tenant = c.tenant ?? tenantId;
  const serviceDate = c.serviceDate ?? DAY;
  const appointmentId = c.appointmentId ?? newId();
  await publishTestEvent(EVENTS.appointmentCheckedIn, {
    tenantId: tenant,
    key: `${tenant}:${c.doctorId}:${serviceDate}`,
    subject: `appointment/${appointmentId}`,
    source: 'appointments',
    ...(c.id ? { id: c.id } : {}),
    ...(c.traceparent ? { traceparent: c.traceparent } : {}),
    data: {
      appointmentId,
      patientId: c.patientId ?? newId(),
      doctorId: c.doctorId,
      startsAt: toTimestamp(new Date(`${serviceDate}T10:00:00Z`)),
      serviceDate,
      checkedInAt: toTimestamp(new Date()),
      timeZone: c.timeZone ?? 'UTC',
    },
  });
  return appointmentId;
}

function getQueue(doctorId: string, serviceDate: string, tenant = tenantId): Promise<QueueResponse> {
  return asTenant(() => client.call.getQueue({ doctorId, serviceDate }), tenant);
}

/** The queue once it holds `count` entries (they arrive through Kafka). */
function queueOf(doctorId: string, serviceDate: string, count: number): Promise<QueueResponse> {
  return eventually(
    async () => {
      const queue = await getQueue(doctorId, serviceDate);
      return (queue.entries?.length ?? 0) >= count ? queue : undefined;
    },
    { timeoutMs: 60_000, what: `${count} entries in the queue of ${doctorId} on ${serviceDate}` },
  );
}

function tokensOf(queue: QueueResponse): number[][] {
  return (queue.entries ?? []).map((e) => [e.tokenNumber, e.position]);
}

/** Reads and writes rows as the schema's owner, around the service. */
const prisma = createPrismaClient(PrismaClient, ownerDatabaseUrl('queue'));

beforeAll(async () => {
  service = await startQueue(inProcessEnv('queue'), { inProcess: true });
  client = testClient(loadContracts().hms.queue.v1.QueueService, service.grpcPort);
  tap = await tapEvents([TOPICS.queue]);
});

afterAll(async () => {
  client?.close();
  await tap?.stop();
  await closeTestPublisher();
  await prisma.$disconnect();
  await service?.runtime.close('test done');
});

describe('queue service', () => {
  it('gives checked-in patients tokens 1, 2, 3 of their doctor and day, each queue counting from 1', async () => {
    const doctorId = newId();
    const appointments: string[] = [];
    // One key, so one partition: the events are applied in this order.
    for (let i = 0; i < 3; i += 1) appointments.push(await checkIn({ doctorId }));
    const queue = await queueOf(doctorId, DAY, 3);
    expect(queue.doctorId).toBe(doctorId);
    expect(queue.serviceDate).toBe(DAY);
    expect(queue.entries?.map((e) => e.appointmentId)).toEqual(appointments);
    expect(tokensOf(queue)).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
    expect(queue.entries?.every((e) => e.status === 'QUEUE_ENTRY_STATUS_WAITING')).toBe(true);

    const otherDoctor = newId();
    await checkIn({ doctorId: otherDoctor });
    await checkIn({ doctorId, serviceDate: NEXT_DAY });
    expect(tokensOf(await queueOf(otherDoctor, DAY, 1))).toEqual([[1, 1]]);
    expect(tokensOf(await queueOf(doctorId, NEXT_DAY, 1))).toEqual([[1, 1]]);
    // The first queue did not move.
    expect(tokensOf(await getQueue(doctorId, DAY))).toEqual(tokensOf(queue));
  });

  it('publishes queue.token_issued with the token and position, keyed by doctor and day', async () => {
    const doctorId = newId();
    await checkIn({ doctorId });
    const appointmentId = await checkIn({ doctorId });
    const event = await tap.waitFor(
      (e) =>
        e.envelope.type === EVENTS.queueTokenIssued.type &&
        decodeEventData(EVENTS.queueTokenIssued, e.envelope).appointmentId === appointmentId,
      60_000,
    );
    const data = decodeEventData(EVENTS.queueTokenIssued, event.envelope);
    expect(data).toMatchObject({ doctorId, serviceDate: DAY, tokenNumber: 2, position: 2 });
    expect(event.envelope.tenantId).toBe(tenantId);
    expect(event.envelope.source).toBe('queue');
    expect(event.envelope.subject).toBe(`queue-entry/${data.entryId}`);
    expect(event.key).toBe(`${tenantId}:${doctorId}:${DAY}`);
    const entry = (await getQueue(doctorId, DAY)).entries?.find((e) => e.appointmentId === appointmentId);
    expect(entry?.id).toBe(data.entryId);
  });

  it('applies a redelivered event once and gives an appointment one entry', async () => {
    const doctorId = newId();
    const id = newId();
    const appointmentId = newId();
    await checkIn({ doctorId, appointmentId, id });
    await checkIn({ doctorId, appointmentId, id });
    // The same check-in again under a new event id: still one entry.
    await checkIn({ doctorId, appointmentId });
    // Behind them on the same partition: once it is in, the others were handled.
    const marker = await checkIn({ doctorId });
    const queue = await queueOf(doctorId, DAY, 2);
    expect(queue.entries?.map((e) => [e.appointmentId, e.tokenNumber])).toEqual([
      [appointmentId, 1],
      [marker, 2],
    ]);
    const rows = await prisma.queueEntry.count({ where: { tenantId, appointmentId } });
    expect(rows).toBe(1);
    const issued = await eventually(
      async () => {
        const events = tap.received.filter(
          (e) => e.key === `${tenantId}:${doctorId}:${DAY}` && e.envelope.type === EVENTS.queueTokenIssued.type,
        );
        return events.length >= 2 ? events : undefined;
      },
      { timeoutMs: 30_000, what: 'the token_issued events of the redelivery test' },
    );
    expect(
      issued
        .map((e) => decodeEventData(EVENTS.queueTokenIssued, e.envelope).appointmentId)
        .filter((a) => a === appointmentId),
    ).toHaveLength(1);
  });

  it('issues distinct tokens 1..20 to 20 concurrent joins, and the database refuses a duplicate token number', async () => {
    const doctorId = newId();
    const store = createQueueStore(service.runtime.database);
    // One arrival time: the line then follows the tokens, which the lock hands out one by one.
    const arrived = new Date();
    const placed = await Promise.all(
      Array.from({ length: 20 }, () =>
        joinQueue(
          { store, newId, now: () => new Date() },
          {
            tenantId,
            doctorId,
            serviceDate: DAY,
            timeZone: 'Asia/Kolkata',
            appointmentId: newId(),
            patientId: newId(),
            joinedAt: arrived,
            traceId: '',
          },
        ),
      ),
    );
    const tokens = placed.map((p) => p!.tokenNumber).sort((a, b) => a - b);
    expect(tokens).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    // Nobody was called meanwhile: each joined at the end of the line.
    expect(placed.every((p) => p!.position === p!.tokenNumber)).toBe(true);
    const stored = await prisma.queueDay.findUniqueOrThrow({
      where: { tenantId_doctorId_serviceDate: { tenantId, doctorId, serviceDate: dateOnly(DAY) } },
    });
    expect(stored.lastToken).toBe(20);

    const entry = (tokenNumber: number) => ({
      id: newId(),
      tenantId,
      doctorId,
      serviceDate: dateOnly(DAY),
      appointmentId: newId(),
      patientId: newId(),
      tokenNumber,
      joinedAt: new Date(),
    });
    await expect(prisma.queueEntry.create({ data: entry(7) })).rejects.toMatchObject({ code: 'P2002' });
    await expect(prisma.queueEntry.create({ data: entry(0) })).rejects.toThrow(/token_number_check/);
  });

  it('keeps tenants apart: the same doctor and day are separate queues', async () => {
    const doctorId = newId();
    const otherTenant = newId();
    await checkIn({ doctorId });
    await checkIn({ doctorId });
    await checkIn({ doctorId, tenant: otherTenant });
    expect(tokensOf(await queueOf(doctorId, DAY, 2))).toEqual([
      [1, 1],
      [2, 2],
    ]);
    const theirs = await eventually(
      async () => {
        const queue = await getQueue(doctorId, DAY, otherTenant);
        return queue.entries?.length ? queue : undefined;
      },
      { timeoutMs: 60_000, what: "the other tenant's entry" },
    );
    expect(tokensOf(theirs)).toEqual([[1, 1]]);
    // A tenant that never checked anyone in sees an empty queue, not an error.
    expect((await getQueue(doctorId, DAY, newId())).entries).toEqual([]);
  });

  it('refuses a malformed doctor id or date with INVALID_ARGUMENT naming the field', async () => {
    const badDoctor = await grpcError(getQueue('not-a-uuid', DAY));
    expect(badDoctor.code).toBe(status.INVALID_ARGUMENT);
    expect(violatedFields(badDoctor)).toEqual(['doctorId']);
    for (const date of ['2030-13-01', '2030-02-30', '07/01/2030']) {
      const badDate = await grpcError(getQueue(newId(), date));
      expect(badDate.code).toBe(status.INVALID_ARGUMENT);
      expect(violatedFields(badDate)).toEqual(['serviceDate']);
    }
  });

  it("reads today's queue in the doctor's own time zone when no date is given", async () => {
    const now = new Date();
    // A zone whose date differs from UTC's right now: Kiritimati (UTC+14) from 10:00 UTC, Pago Pago (UTC-11) before 11:00.
    const timeZone = now.getUTCHours() >= 10 ? 'Pacific/Kiritimati' : 'Pacific/Pago_Pago';
    const today = localParts(now, timeZone).date;
    const utcToday = localParts(now, 'UTC').date;
    expect(today).not.toBe(utcToday);
    const doctorId = newId();
    const appointmentId = await checkIn({ doctorId, serviceDate: today, timeZone });
    await queueOf(doctorId, today, 1);

    const queue = await getQueue(doctorId, '');
    expect(queue.serviceDate).toBe(today);
    expect(queue.entries?.map((e) => e.appointmentId)).toEqual([appointmentId]);
    // A doctor nobody checked in to: today in UTC, empty.
    const unknown = await getQueue(newId(), '');
    expect(unknown.serviceDate).toBe(localParts(new Date(), 'UTC').date);
    expect(unknown.entries).toEqual([]);
  });

  it("stores the trace id of the check-in's traceparent and carries the trace on to token_issued", async () => {
    const traceId = newId().replaceAll('-', '');
    const doctorId = newId();
    const appointmentId = await checkIn({ doctorId, traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
    const queue = await queueOf(doctorId, DAY, 1);
    expect(queue.entries?.[0]?.appointmentId).toBe(appointmentId);
    expect(queue.entries?.[0]?.traceId).toBe(traceId);
    const stored = await prisma.queueEntry.findFirstOrThrow({ where: { tenantId, appointmentId } });
    expect(stored.traceId).toBe(traceId);
    const event = await tap.waitFor((e) => e.envelope.subject === `queue-entry/${stored.id}`, 30_000);
    expect(event.envelope.traceparent).toContain(traceId);
  });

  it('has no drift between schema.prisma and its migrations', async () => {
    const drift = await checkSchemaDrift({
      connectionString: serviceDatabaseUrl('queue'),
      schema: 'queue',
      prismaSchemaPath: fileURLToPath(new URL('../prisma/schema.prisma', import.meta.url)),
    });
    expect(drift).toEqual([]);
  });
});

describe('the desk against the real database', () => {
  const newEntryIn = async (doctorId: string, priority: 'NORMAL' | 'SENIOR' = 'NORMAL') => {
    const { entry } = await asTenant(() =>
      client.call.joinWalkIn({
        doctorId,
        timeZone: 'UTC',
        patientId: newId(),
        priority: `QUEUE_PRIORITY_${priority}`,
        idempotencyKey: '',
      }),
    );
    return entry!;
  };

  it('never calls one patient twice when two desks call next at once', async () => {
    const doctorId = newId();
    const joined = [];
    for (let i = 0; i < 12; i += 1) joined.push(await newEntryIn(doctorId));
    const today = joined[0]!.serviceDate;
    const calls = await Promise.allSettled(
      Array.from({ length: 16 }, (_, i) =>
        asTenant(() => client.call.callNext({ doctorId, serviceDate: today, room: `Desk ${i % 2}` })),
      ),
    );
    const called = calls.flatMap((c) => (c.status === 'fulfilled' ? [c.value.entry!.id] : []));
    expect(called).toHaveLength(12);
    expect(new Set(called).size).toBe(12);
    // The four calls too many found nobody left: a clear precondition failure, not a duplicate.
    const refused = calls.flatMap((c) => (c.status === 'rejected' ? [(c.reason as ServiceError).code] : []));
    expect(refused).toEqual([9, 9, 9, 9].map(() => status.FAILED_PRECONDITION));
    const rows = await prisma.queueEntry.findMany({ where: { tenantId, doctorId }, orderBy: { callNumber: 'asc' } });
    expect(rows.map((r) => r.callNumber)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    const day = await prisma.queueDay.findFirstOrThrow({ where: { tenantId, doctorId } });
    expect(day.calls).toBe(12);
    // 12 tokens and 12 calls: 24 changes, numbered without a gap.
    const changes = await prisma.queueChange.findMany({ where: { tenantId, doctorId }, orderBy: { seq: 'asc' } });
    expect(changes.map((c) => Number(c.seq))).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
  });

  it('refuses a call on a paused queue and leaves nothing half-written', async () => {
    const doctorId = newId();
    const entry = await newEntryIn(doctorId);
    await asTenant(() =>
      client.call.pauseQueue({ doctorId, timeZone: 'UTC', reason: 'lunch', resumeExpectedAt: null }),
    );
    const refused = await grpcError(
      asTenant(() => client.call.callNext({ doctorId, serviceDate: entry.serviceDate, room: 'Room 1' })),
    );
    expect(refused.code).toBe(status.FAILED_PRECONDITION);
    const row = await prisma.queueEntry.findUniqueOrThrow({ where: { id: entry.id } });
    expect(row.status).toBe('WAITING');
    const day = await prisma.queueDay.findFirstOrThrow({ where: { tenantId, doctorId } });
    expect([Number(day.seq), day.calls]).toEqual([2, 0]);
  });

  it("answers NOT_FOUND for an unknown entry and for another tenant's", async () => {
    const entry = await newEntryIn(newId());
    expect((await grpcError(asTenant(() => client.call.skipEntry({ entryId: newId() })))).code).toBe(status.NOT_FOUND);
    const other = await grpcError(asTenant(() => client.call.skipEntry({ entryId: entry.id }), newId()));
    expect(other.code).toBe(status.NOT_FOUND);
  });

  it('streams a snapshot, then each change as it commits, and resumes after a seq without a gap', async () => {
    const doctorId = newId();
    const first = await newEntryIn(doctorId);
    const stream = await asTenant(() =>
      client.openStream<WatchUpdate>('WatchQueue', { doctorId, serviceDate: first.serviceDate, afterSeq: 0 }),
    );
    const updates: WatchUpdate[] = [];
    stream.on('data', (u: WatchUpdate) => updates.push(u));
    stream.on('error', () => undefined);
    await eventually(async () => (updates.length >= 1 ? true : undefined), { what: 'the snapshot' });
    expect(updates[0]!.snapshot).toMatchObject({ seq: 1, doctorId });
    await newEntryIn(doctorId, 'SENIOR');
    await asTenant(() => client.call.callNext({ doctorId, serviceDate: first.serviceDate, room: 'Room 9' }));
    await eventually(async () => (updates.length >= 3 ? true : undefined), { what: 'two changes' });
    const changes = updates.slice(1).map((u) => u.change!);
    expect(changes.map((c) => [c.seq, c.type])).toEqual([
      [2, 'queue.token_issued'],
      [3, 'queue.called'],
    ]);
    expect(changes[1]!.entries[0]).toMatchObject({ status: 'QUEUE_ENTRY_STATUS_CALLED', room: 'Room 9' });
    expect(changes[1]!.line.map((p) => p.entryId)).toEqual([first.id]);
    expect(service.runtime.metrics.registry.getSingleMetric('hms_queue_watch_streams')).toBeDefined();
    // Small changes come with their announcements: the live stream sent them without reading the log.
    expect(await watchChanges('announcement')).toBeGreaterThanOrEqual(2);
    const fromLog = await watchChanges('log');
    stream.cancel();

    // From seq 1: the two changes again, nothing else first.
    const resumed = await asTenant(() =>
      client.openStream<WatchUpdate>('WatchQueue', { doctorId, serviceDate: first.serviceDate, afterSeq: 1 }),
    );
    const replayed: WatchUpdate[] = [];
    resumed.on('data', (u: WatchUpdate) => replayed.push(u));
    resumed.on('error', () => undefined);
    await eventually(async () => (replayed.length >= 2 ? true : undefined), { what: 'the replay' });
    expect(replayed.map((u) => u.change?.seq)).toEqual([2, 3]);
    // A resume reads them from the log.
    expect(await watchChanges('log')).toBeGreaterThanOrEqual(fromLog + 2);
    resumed.cancel();
    // An ended stream is counted in the gRPC histogram (which keeps exemplars: observing it the
    // wrong way threw when a stream ended, and took the process down).
    await eventually(
      async () => {
        const metric = await service.runtime.metrics.registry
          .getSingleMetric('hms_grpc_server_handling_seconds')
          ?.get();
        const counted = metric?.values.some(
          (v) =>
            v.labels.grpc_method === 'WatchQueue' &&
            String((v as { metricName?: string }).metricName).endsWith('_count') &&
            v.value > 0,
        );
        return counted ? true : undefined;
      },
      { what: 'the ended streams in hms_grpc_server_handling_seconds' },
    );
  });

  it('refuses a stream of a malformed day with INVALID_ARGUMENT', async () => {
    const stream = await asTenant(() =>
      client.openStream<WatchUpdate>('WatchQueue', { doctorId: newId(), serviceDate: 'today', afterSeq: 0 }),
    );
    const error = await new Promise<ServiceError>((resolve) => stream.on('error', resolve));
    expect(error.code).toBe(status.INVALID_ARGUMENT);
  });
});

type WatchUpdate = WatchQueueResponse__Output;

async function watchChanges(source: 'announcement' | 'log'): Promise<number> {
  const metric = await service.runtime.metrics.registry.getSingleMetric('hms_queue_watch_changes_total')?.get();
  return metric?.values.find((v) => v.labels.source === source)?.value ?? 0;
}
