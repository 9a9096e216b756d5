import { FailedPreconditionError, NotFoundError } from '@hms/platform/domain';
import { EVENTS } from '@hms/proto';
import { describe, expect, it } from 'vitest';
import { fakeQueueStore } from '../testing/fake-queue-store.js';
import { callNext, NobodyWaitingError } from './call-next.js';
import { completeEntry, recallEntry, removeAppointmentEntry, setEntryPriority, skipEntry } from './entry-actions.js';
import { getQueue } from './get-queue.js';
import { joinQueue, joinWalkIn } from './join-queue.js';
import { setQueuePaused } from './pause-queue.js';
import { setQueueRules } from './queue-rules.js';
import { transferEntry } from './transfer-entry.js';
import { DEFAULT_RULES, type PriorityClass } from './types.js';

const tenantId = '0192f0a0-0000-7000-8000-000000000001';
const otherTenant = '0192f0a0-0000-7000-8000-000000000002';
const doctorId = '0192f0a0-0000-7000-8000-00000000000d';
const otherDoctor = '0192f0a0-0000-7000-8000-00000000000e';
const DAY = '2030-01-07';
const timeZone = 'UTC';

/** A clinic day on a fake clock that the test moves. */
function clinic(rules = DEFAULT_RULES) {
  const fake = fakeQueueStore(rules);
  let clock = Date.parse(`${DAY}T08:00:00Z`);
  let n = 0;
  const deps = {
    store: fake.store,
    now: () => new Date(clock),
    newId: () => `0192f0a0-0000-7000-b000-${String((n += 1)).padStart(12, '0')}`,
  };
  const advance = (minutes: number) => (clock += minutes * 60_000);
  const arrive = async (priority: PriorityClass = 'NORMAL', doctor = doctorId) => {
    advance(1);
    const { entry } = await joinWalkIn(deps, {
      tenantId,
      doctorId: doctor,
      timeZone,
      patientId: deps.newId(),
      priority,
      traceId: '',
      idempotency: undefined,
    });
    return entry;
  };
  const next = (room = 'Room 1') => callNext(deps, { tenantId, doctorId, serviceDate: DAY, room });
  const act = { tenantId };
  return { ...fake, deps, advance, arrive, next, act };
}

describe('call next', () => {
  it('calls by priority and arrival, to a room, numbering the calls and logging each change', async () => {
    const c = clinic();
    const a = await c.arrive();
    const b = await c.arrive('SENIOR');
    const e = await c.arrive('EMERGENCY');
    expect((await c.next('Room 2')).id).toBe(e.id);
    const second = await c.next();
    expect(second).toMatchObject({ id: b.id, status: 'CALLED', room: 'Room 1', callNumber: 2, position: 0 });
    expect((await c.next()).id).toBe(a.id);
    await expect(c.next()).rejects.toBeInstanceOf(NobodyWaitingError);
    const called = c.events.filter((ev) => ev.def === EVENTS.queueCalled);
    expect(called.map((ev) => (ev.data as { room: string }).room)).toEqual(['Room 2', 'Room 1', 'Room 1']);
    expect(c.changes.map((ch) => ch.seq)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('is refused while the queue is paused, and works again once resumed', async () => {
    const c = clinic();
    await c.arrive();
    const paused = await setQueuePaused(c.deps, { tenantId, doctorId, timeZone, paused: true, reason: 'ward round' });
    expect(paused.pause).toMatchObject({ paused: true, reason: 'ward round' });
    const refusal = await c.next().catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(FailedPreconditionError);
    expect((refusal as Error).message).toMatch(/paused/);
    await setQueuePaused(c.deps, { tenantId, doctorId, timeZone, paused: false });
    expect((await c.next()).status).toBe('CALLED');
    expect(c.events.map((ev) => ev.def.type)).toContain('queue.resumed');
  });

  it('keeps the fairness bound through real calls', async () => {
    const c = clinic({ ...DEFAULT_RULES, maxPriorityPasses: 2 });
    const normal = await c.arrive();
    for (let i = 0; i < 4; i += 1) await c.arrive('SENIOR');
    const order = [];
    for (let i = 0; i < 5; i += 1) order.push((await c.next()).id === normal.id ? 'N' : 'S');
    expect(order).toEqual(['S', 'S', 'N', 'S', 'S']);
  });
});

describe("the desk's actions on an entry", () => {
  it('recalls a called patient, and refuses to recall one still waiting', async () => {
    const c = clinic();
    const a = await c.arrive();
    const b = await c.arrive();
    await c.next();
    expect((await recallEntry(c.deps, { tenantId, entryId: a.id })).recallCount).toBe(1);
    await expect(recallEntry(c.deps, { tenantId, entryId: b.id })).rejects.toBeInstanceOf(FailedPreconditionError);
  });

  it('sends a skipped patient back after the offset, and makes the second skip a no-show', async () => {
    const c = clinic({ ...DEFAULT_RULES, skipReturnAfter: 2 });
    const a = await c.arrive();
    const others = [await c.arrive(), await c.arrive(), await c.arrive()];
    await c.next();
    const skipped = await skipEntry(c.deps, { tenantId, entryId: a.id });
    expect(skipped).toMatchObject({ status: 'SKIPPED', skipCount: 1, position: 3 });
    expect((await c.next()).id).toBe(others[0]!.id);
    expect((await c.next()).id).toBe(others[1]!.id);
    // Two calls later the skipped patient, who arrived first, is next again.
    expect((await c.next()).id).toBe(a.id);
    const noShow = await skipEntry(c.deps, { tenantId, entryId: a.id });
    expect(noShow).toMatchObject({ status: 'NO_SHOW', position: 0 });
    expect(c.events.filter((ev) => ev.def === EVENTS.queueSkipped).map((ev) => ev.data)).toMatchObject([
      { skipCount: 1, noShow: false },
      { skipCount: 2, noShow: true },
    ]);
  });

  it("completes a consultation and learns the doctor's pace from it", async () => {
    const c = clinic();
    const a = await c.arrive();
    const b = await c.arrive();
    await c.next();
    c.advance(20);
    const done = await completeEntry(c.deps, { tenantId, entryId: a.id });
    expect(done).toMatchObject({ status: 'DONE', completedAt: c.deps.now() });
    expect(c.stats.get(`${tenantId}:${doctorId}`)).toMatchObject({ day: DAY, daySeconds: 1200, dayCount: 1 });
    const queue = await getQueue(c.deps, { tenantId, doctorId, serviceDate: DAY });
    // (4 x 10 min + 20 min) / 5 = 12 min per consultation.
    expect(queue.consultationSeconds).toBe(720);
    expect(queue.entries.find((e) => e.id === b.id)?.estimatedCallAt).toEqual(c.deps.now());
    await expect(completeEntry(c.deps, { tenantId, entryId: a.id })).rejects.toBeInstanceOf(FailedPreconditionError);
  });

  it('changes the priority of someone in line', async () => {
    const c = clinic();
    await c.arrive();
    const b = await c.arrive();
    expect((await setEntryPriority(c.deps, { tenantId, entryId: b.id, priority: 'DISABLED' })).position).toBe(1);
  });

  it("does not find another tenant's entry, or one that does not exist", async () => {
    const c = clinic();
    const a = await c.arrive();
    await expect(skipEntry(c.deps, { tenantId: otherTenant, entryId: a.id })).rejects.toBeInstanceOf(NotFoundError);
    await expect(
      completeEntry(c.deps, { tenantId, entryId: '0192f0a0-0000-7000-b000-00000000ffff' }),
    ).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('transfer', () => {
  it("moves a patient to another doctor's queue with a token there and the original arrival time", async () => {
    const c = clinic();
    const early = await c.arrive();
    await c.arrive('NORMAL', otherDoctor);
    await c.arrive('NORMAL', otherDoctor);
    const { from, to } = await transferEntry(c.deps, {
      tenantId,
      entryId: early.id,
      toDoctorId: otherDoctor,
      toTimeZone: timeZone,
    });
    expect(from).toMatchObject({ status: 'TRANSFERRED', transferredToDoctorId: otherDoctor, position: 0 });
    // Token 3 there, but first in line: they arrived before both.
    expect(to).toMatchObject({ doctorId: otherDoctor, tokenNumber: 3, position: 1, transferredFromEntryId: early.id });
    expect(to.joinedAt).toEqual(early.joinedAt);
    expect(c.events.slice(-2).map((ev) => [ev.def.type, ev.key])).toEqual([
      ['queue.transferred', `${tenantId}:${doctorId}:${DAY}`],
      ['queue.token_issued', `${tenantId}:${otherDoctor}:${DAY}`],
    ]);
    await expect(
      transferEntry(c.deps, { tenantId, entryId: to.id, toDoctorId: otherDoctor, toTimeZone: timeZone }),
    ).rejects.toBeInstanceOf(FailedPreconditionError);
  });
});

describe('an appointment cancelled', () => {
  it('removes its entry from the line, once', async () => {
    const c = clinic();
    const appointmentId = '0192f0a0-0000-7000-9000-000000000001';
    await joinQueue(c.deps, {
      tenantId,
      doctorId,
      serviceDate: DAY,
      timeZone,
      appointmentId,
      patientId: '0192f0a0-0000-7000-a000-000000000001',
      joinedAt: c.deps.now(),
      traceId: '',
    });
    const removed = await removeAppointmentEntry(c.deps, { tenantId, appointmentId, reason: 'cancelled' });
    expect(removed).toMatchObject({ status: 'REMOVED', position: 0 });
    expect(await removeAppointmentEntry(c.deps, { tenantId, appointmentId, reason: 'cancelled' })).toBeUndefined();
    expect(
      await removeAppointmentEntry(c.deps, { tenantId, appointmentId: otherDoctor, reason: 'never joined' }),
    ).toBeUndefined();
    expect(c.events.filter((ev) => ev.def === EVENTS.queueRemoved)).toHaveLength(1);
  });
});

describe('queue rules', () => {
  it('refuses rules out of bounds, naming each field', async () => {
    const c = clinic();
    const error = await setQueueRules(c.deps, tenantId, {
      maxPriorityPasses: 0,
      skipReturnAfter: 3,
      defaultConsultationSeconds: 5,
    }).catch((e: unknown) => e as { violations: { field: string }[] });
    if (!('violations' in error)) throw new Error('expected the rules to be refused');
    expect(error.violations.map((v) => v.field)).toEqual(['maxPriorityPasses', 'defaultConsultationSeconds']);
  });
});
