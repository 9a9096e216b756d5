/**
 * The appointments service in-process against the test stack's real
 * PostgreSQL and Kafka: gRPC in, rows and outbox events out.
 */
import { fileURLToPath } from 'node:url';
import { status } from '@grpc/grpc-js';
import {
  createPrismaClient,
  currentTraceId,
  newId,
  runWithContext,
  SpanKind,
  withSpan,
  type GrpcClient,
} from '@hms/platform';
import {
  actAs,
  checkSchemaDrift,
  descendantsOf,
  eventually,
  grpcFailure,
  inProcessEnv,
  ownerDatabaseUrl,
  recordSpans,
  serviceDatabaseUrl,
  tapEvents,
  testClient,
  type EventTap,
} from '@hms/platform/testing';
import {
  EVENTS,
  TOPICS,
  decodeEventData,
  loadContracts,
  toTimestamp,
  type AppointmentsServiceClient,
} from '@hms/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrismaClient } from './db/generated/client.js';
import { seedDemo, type DemoSeed } from './db/seed-demo.js';
import { startAppointments } from './main.js';

type Client = GrpcClient<AppointmentsServiceClient>;

let service: Awaited<ReturnType<typeof startAppointments>>;
let client: Client;
let seed: DemoSeed;
let tap: EventTap;
const tenantId = newId();
/** Reads and writes rows as the schema's owner, around the service. */
const prisma = createPrismaClient(PrismaClient, ownerDatabaseUrl('appointments'));

/** The next free slots of the round-the-clock demo doctor, from now on. */
function nextSlot(n: number): Date {
  const quarter = 15 * 60_000;
  return new Date((Math.floor(Date.now() / quarter) + 1 + n) * quarter);
}

const asTenant = actAs(tenantId);

const grpcError = grpcFailure;

beforeAll(async () => {
  service = await startAppointments(inProcessEnv('appointments'), { inProcess: true });
  seed = await seedDemo(prisma, tenantId);
  client = testClient(loadContracts().hms.appointments.v1.AppointmentsService, service.grpcPort);
  tap = await tapEvents([TOPICS.appointments]);
});

afterAll(async () => {
  client?.close();
  await tap?.stop();
  await prisma.$disconnect();
  await service?.runtime.close('test done');
});

const nightDoctor = () => seed.doctors.find((d) => d.fullName === 'Dr. Night Desk')!;

describe('appointments service', () => {
  it('books a slot, stores it, and publishes appointment.booked with the fees', async () => {
    const startsAt = nextSlot(1);
    const { appointment, replayed } = await asTenant(() =>
      client.call.bookAppointment({
        patientId: seed.patients[0]!.id,
        doctorId: nightDoctor().id,
        startsAt: toTimestamp(startsAt),
        reason: 'fever',
        idempotencyKey: '',
      }),
    );
    expect(replayed).toBe(false);
    expect(appointment?.status).toBe('APPOINTMENT_STATUS_BOOKED');
    expect(appointment?.consultationFeeMinor).toBe(70_000);
    expect(appointment?.hospitalFeeMinor).toBe(20_000);

    const stored = await prisma.appointment.findUniqueOrThrow({ where: { id: appointment!.id } });
    expect(stored.tenantId).toBe(tenantId);
    expect(stored.startsAt.toISOString()).toBe(startsAt.toISOString());

    const event = await tap.waitFor((e) => e.envelope.subject === `appointment/${appointment!.id}`);
    expect(event.envelope.type).toBe('appointment.booked');
    expect(event.envelope.tenantId).toBe(tenantId);
    expect(event.envelope.source).toBe('appointments');
    expect(event.key).toBe(`${tenantId}:${nightDoctor().id}:${appointment!.serviceDate}`);
    const data = decodeEventData(EVENTS.appointmentBooked, event.envelope);
    expect(data).toMatchObject({
      appointmentId: appointment!.id,
      consultationFeeMinor: 70_000,
      hospitalFeeMinor: 20_000,
      currency: 'INR',
    });
    // The relay marks the row once the broker has acknowledged the send: a consumer may read the event first.
    const publishedAt = await eventually(
      async () =>
        (
          await service.runtime.pool.query<{ published_at: Date | null }>(
            'SELECT published_at FROM appointments_messaging.outbox WHERE id = $1',
            [event.envelope.id],
          )
        ).rows[0]?.published_at ?? undefined,
      { what: 'the outbox row marked published' },
    );
    expect(publishedAt).toBeInstanceOf(Date);
  });

  it('answers a retried booking with the first result and books nothing twice', async () => {
    const request = {
      patientId: seed.patients[1]!.id,
      doctorId: nightDoctor().id,
      startsAt: toTimestamp(nextSlot(2)),
      reason: '',
      idempotencyKey: `retry-${newId()}`,
    };
    const [first, second] = await asTenant(() =>
      Promise.all([client.call.bookAppointment(request), client.call.bookAppointment(request)]),
    );
    expect(first.appointment?.id).toBe(second.appointment?.id);
    expect([first.replayed, second.replayed].sort()).toEqual([false, true]);
    const count = await prisma.appointment.count({
      where: { tenantId, idempotencyKey: request.idempotencyKey },
    });
    expect(count).toBe(1);

    // The same key with another request is refused, and books nothing.
    const reused = await grpcError(
      asTenant(() => client.call.bookAppointment({ ...request, startsAt: toTimestamp(nextSlot(3)) })),
    );
    expect(reused.code).toBe(status.FAILED_PRECONDITION);
    expect(reused.details).toMatch(/already used for a different request/);

    // A replay answers with the first result, even after the appointment moved on.
    await asTenant(() => client.call.checkInAppointment({ id: first.appointment!.id }));
    const replay = await asTenant(() => client.call.bookAppointment(request));
    expect(replay.replayed).toBe(true);
    expect(replay.appointment).toEqual(first.replayed ? second.appointment : first.appointment);
  });

  it('gives one appointment to a race of identical requests, and one to a race of different ones for a slot', async () => {
    const request = {
      patientId: seed.patients[6]!.id,
      doctorId: nightDoctor().id,
      startsAt: toTimestamp(nextSlot(8)),
      reason: '',
      idempotencyKey: `race-${newId()}`,
      holdId: '',
      mode: 'CONSULTATION_MODE_UNSPECIFIED' as const,
    };
    // The same request twelve times: decided by its idempotency key.
    const answers = await asTenant(() =>
      Promise.all(Array.from({ length: 12 }, () => client.call.bookAppointment(request))),
    );
    expect(new Set(answers.map((a) => a.appointment?.id)).size).toBe(1);
    expect(answers.filter((a) => !a.replayed)).toHaveLength(1);
    expect(await prisma.appointment.count({ where: { tenantId, idempotencyKey: request.idempotencyKey } })).toBe(1);
    // Twelve patients for one slot: decided by the claim's exclusion constraint.
    const slot = toTimestamp(nextSlot(9));
    const outcomes = await asTenant(() =>
      Promise.allSettled(
        seed.patients
          .slice(0, 10)
          .map((p) => client.call.bookAppointment({ ...request, patientId: p.id, startsAt: slot, idempotencyKey: '' })),
      ),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(refused.every((o) => (o.reason as { code: number }).code === status.ALREADY_EXISTS)).toBe(true);
  });

  it('never commits a booking after its caller has given up', async () => {
    const startsAt = nextSlot(10);
    const key = `${tenantId}:${nightDoctor().id}:${startsAt.toISOString().slice(0, 10)}`;
    // Hold the doctor-day's outbox lock, so the booking is stuck just before it could commit.
    const blocker = await service.runtime.pool.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('SELECT pg_advisory_xact_lock($1::int, hashtext($2))::text', [0x4f42, key]);
      const late = await grpcError(
        asTenant(() =>
          client.call.bookAppointment(
            {
              patientId: seed.patients[7]!.id,
              doctorId: nightDoctor().id,
              startsAt: toTimestamp(startsAt),
              reason: '',
              idempotencyKey: '',
            },
            { deadlineMs: 400 },
          ),
        ),
      );
      expect(late.code).toBe(status.DEADLINE_EXCEEDED);
      await new Promise((resolve) => setTimeout(resolve, 300));
    } finally {
      await blocker.query('COMMIT');
      blocker.release();
    }
    // Whatever the server was doing has ended by now; nothing of it was kept.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await prisma.appointment.count({ where: { tenantId, startsAt } })).toBe(0);
  });

  it('refuses a taken slot, unknown doctors and malformed requests with proper codes', async () => {
    const startsAt = toTimestamp(nextSlot(4));
    await asTenant(() =>
      client.call.bookAppointment({
        patientId: seed.patients[2]!.id,
        doctorId: nightDoctor().id,
        startsAt,
        reason: '',
        idempotencyKey: '',
      }),
    );
    const taken = await grpcError(
      asTenant(() =>
        client.call.bookAppointment({
          patientId: seed.patients[3]!.id,
          doctorId: nightDoctor().id,
          startsAt,
          reason: '',
          idempotencyKey: '',
        }),
      ),
    );
    expect(taken.code).toBe(status.ALREADY_EXISTS);

    const unknownDoctor = await grpcError(
      asTenant(() =>
        client.call.bookAppointment({
          patientId: seed.patients[3]!.id,
          doctorId: newId(),
          startsAt,
          reason: '',
          idempotencyKey: '',
        }),
      ),
    );
    expect(unknownDoctor.code).toBe(status.FAILED_PRECONDITION);

    const malformed = await grpcError(
      asTenant(() =>
        client.call.bookAppointment({ patientId: 'nope', doctorId: nightDoctor().id, reason: '', idempotencyKey: '' }),
      ),
    );
    expect(malformed.code).toBe(status.INVALID_ARGUMENT);

    // Another tenant cannot see or book this tenant's doctor.
    const otherTenant = await grpcError(
      asTenant(
        () =>
          client.call.bookAppointment({
            patientId: seed.patients[3]!.id,
            doctorId: nightDoctor().id,
            startsAt: toTimestamp(nextSlot(5)),
            reason: '',
            idempotencyKey: '',
          }),
        newId(),
      ),
    );
    expect(otherTenant.code).toBe(status.FAILED_PRECONDITION);
  });

  it("holds a tenant to its plan's appointments per month: PERMISSION_DENIED naming the quota, nothing written", async () => {
    const book = (n: number) =>
      asTenant(
        () =>
          client.call.bookAppointment({
            patientId: seed.patients[4]!.id,
            doctorId: nightDoctor().id,
            startsAt: toTimestamp(nextSlot(n)),
            reason: '',
            idempotencyKey: '',
          }),
        tenantId,
        { quotas: { appointmentsPerMonth: booked + 1 } },
      );
    const booked = await prisma.appointment.count({
      where: {
        tenantId,
        createdAt: { gte: new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), 1)) },
      },
    });
    await book(40);
    const refused = await grpcError(book(41));
    expect(refused.code).toBe(status.PERMISSION_DENIED);
    expect(refused.details).toContain('appointmentsPerMonth');
    expect(await prisma.appointment.count({ where: { tenantId } })).toBe(booked + 1);
  });

  it('checks in once, publishes appointment.checked_in once, and tolerates a retry', async () => {
    const { appointment } = await asTenant(() =>
      client.call.bookAppointment({
        patientId: seed.patients[4]!.id,
        doctorId: nightDoctor().id,
        startsAt: toTimestamp(nextSlot(6)),
        reason: '',
        idempotencyKey: '',
      }),
    );
    const [a, b] = await asTenant(() =>
      Promise.all([
        client.call.checkInAppointment({ id: appointment!.id }),
        client.call.checkInAppointment({ id: appointment!.id }),
      ]),
    );
    expect(a.appointment?.status).toBe('APPOINTMENT_STATUS_CHECKED_IN');
    expect(b.appointment?.status).toBe('APPOINTMENT_STATUS_CHECKED_IN');
    await tap.waitFor(
      (e) => e.envelope.subject === `appointment/${appointment!.id}` && e.envelope.type === 'appointment.checked_in',
    );
    const events = await service.runtime.pool.query(
      `SELECT count(*)::int AS n FROM appointments_messaging.outbox
       WHERE event_type = 'appointment.checked_in' AND headers->>'ce_tenant' = $1
         AND position(convert_to($2, 'UTF8') IN payload) > 0`,
      [tenantId, appointment!.id],
    );
    expect(events.rows[0].n).toBe(1);
    const history = await prisma.appointmentHistory.findMany({
      where: { appointmentId: appointment!.id },
      orderBy: { changedAt: 'asc' },
    });
    expect(history.map((h) => h.toStatus)).toEqual(['BOOKED', 'CHECKED_IN']);
  });

  it('keeps tenants apart when reading', async () => {
    const { appointment } = await asTenant(() =>
      client.call.bookAppointment({
        patientId: seed.patients[5]!.id,
        doctorId: nightDoctor().id,
        startsAt: toTimestamp(nextSlot(7)),
        reason: '',
        idempotencyKey: '',
      }),
    );
    const found = await asTenant(() => client.call.getAppointment({ id: appointment!.id }));
    expect(found.appointment?.id).toBe(appointment!.id);
    const hidden = await grpcError(asTenant(() => client.call.getAppointment({ id: appointment!.id }), newId()));
    expect(hidden.code).toBe(status.NOT_FOUND);
  });

  it('refuses calls without a tenant', async () => {
    const error = await grpcError(
      runWithContext({ requestId: newId() }, () => client.call.getAppointment({ id: newId() })),
    );
    expect(error.code).toBe(status.UNAUTHENTICATED);
  });

  it("traces a booking: the SQL of its transaction as children of the gRPC call's span, without values", async () => {
    const recorder = recordSpans();
    try {
      const reason = `private reason ${newId()}`;
      const traceId = await withSpan('test booking', {}, async () => {
        await asTenant(() =>
          client.call.bookAppointment({
            patientId: seed.patients[0]!.id,
            doctorId: nightDoctor().id,
            startsAt: toTimestamp(nextSlot(11)),
            reason,
            idempotencyKey: '',
          }),
        );
        return currentTraceId();
      });
      const spans = recorder.spans().filter((s) => s.spanContext().traceId === traceId);
      const server = spans.find(
        (s) => s.name === 'hms.appointments.v1.AppointmentsService/BookAppointment' && s.kind === SpanKind.SERVER,
      );
      expect(server).toBeDefined();
      // The trace goes on into the consumers of the booking's events, which may already have run:
      // their SQL is not this transaction's.
      const below = descendantsOf(spans, server!);
      const consumed = new Set(
        below
          .filter((s) => s.kind === SpanKind.CONSUMER)
          .flatMap((c) => [c, ...descendantsOf(spans, c)])
          .map((s) => s.spanContext().spanId),
      );
      const sql = below.filter(
        (s) => !consumed.has(s.spanContext().spanId) && s.attributes['db.system.name'] === 'postgresql',
      );
      const statements = sql.map((s) => String(s.attributes['db.query.text'] ?? ''));
      expect(statements.some((q) => q.startsWith('BEGIN'))).toBe(true);
      expect(statements.some((q) => /\bINSERT INTO appointments\b/.test(q))).toBe(true);
      expect(statements.at(-1)).toBe('COMMIT');
      // Bound values (the reason, ids) never reach a span.
      const everything = JSON.stringify(spans.map((s) => s.attributes));
      expect(everything).not.toContain(reason);
      expect(everything).not.toContain(seed.patients[0]!.id);
    } finally {
      recorder.stop();
    }
  });

  it('has no drift between schema.prisma and its migrations', async () => {
    const drift = await checkSchemaDrift({
      connectionString: serviceDatabaseUrl('appointments'),
      schema: 'appointments',
      prismaSchemaPath: fileURLToPath(new URL('../prisma/schema.prisma', import.meta.url)),
    });
    expect(drift).toEqual([]);
  });
});
