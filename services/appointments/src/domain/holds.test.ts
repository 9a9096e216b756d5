import { AlreadyExistsError, FailedPreconditionError, NotFoundError } from '@hms/platform/domain';
import { describe, expect, it } from 'vitest';
import {
  clinic,
  doctor,
  failure,
  inactivePatient,
  MONDAY_1030,
  otherPatient,
  patient,
  tenantId,
} from '../testing/fixtures.js';
import { getHold, holdSlot, releaseHold } from './holds.js';
import { cleanUpHolds } from './sweeps.js';

const hold = (patientId = patient.id, startsAt = MONDAY_1030) => ({
  tenantId,
  doctorId: doctor.id,
  patientId,
  startsAt,
});

describe('slot holds', () => {
  it("holds a slot for the tenant's hold time; nobody else can hold it meanwhile", async () => {
    const c = clinic();
    const { hold: held, replayed } = await holdSlot(c.deps, hold());
    expect(replayed).toBe(false);
    expect(held).toMatchObject({
      doctorId: doctor.id,
      patientId: patient.id,
      startsAt: MONDAY_1030,
      serviceDate: '2030-01-07',
    });
    expect(held.expiresAt.getTime() - c.clock.now.getTime()).toBe(5 * 60_000);
    expect(await failure(holdSlot(c.deps, hold(otherPatient.id)))).toBeInstanceOf(AlreadyExistsError);
    expect(await getHold(c.deps, { tenantId, holdId: held.id })).toEqual(held);
  });

  it('stops counting when it expires, with no sweeper: the next taker clears it', async () => {
    const c = clinic();
    const { hold: first } = await holdSlot(c.deps, hold());
    c.clock.now = new Date(c.clock.now.getTime() + 5 * 60_000);
    expect(await failure(getHold(c.deps, { tenantId, holdId: first.id }))).toBeInstanceOf(NotFoundError);
    const { hold: second } = await holdSlot(c.deps, hold(otherPatient.id));
    expect(c.state.claims.map((x) => x.id)).toEqual([second.id]);
  });

  it('is released on request, and refuses unknown or inactive patients and slots off the calendar', async () => {
    const c = clinic();
    const { hold: held } = await holdSlot(c.deps, hold());
    await releaseHold(c.deps, { tenantId, holdId: held.id });
    expect(c.state.claims).toEqual([]);
    expect(await failure(releaseHold(c.deps, { tenantId, holdId: held.id }))).toBeInstanceOf(NotFoundError);
    expect((await failure(holdSlot(c.deps, hold(inactivePatient.id)))).violations?.[0]?.field).toBe('patientId');
    expect(
      (await failure(holdSlot(c.deps, hold(patient.id, new Date('2030-01-07T05:05:00Z'))))).violations?.[0]?.field,
    ).toBe('startsAt');
    expect(
      await failure(holdSlot(c.deps, { ...hold(), patientId: '0192f0a0-0000-7000-8000-00000000ffff' })),
    ).toBeInstanceOf(FailedPreconditionError);
  });

  it('answers a retried hold with the first, and the clean-up job deletes long-expired holds', async () => {
    const c = clinic();
    const claim = { operation: 'HoldSlot', key: 'h1', fingerprint: 'f' };
    const first = await holdSlot(c.deps, { ...hold(), idempotency: claim });
    const again = await holdSlot(c.deps, { ...hold(), idempotency: claim });
    expect(again).toEqual({ hold: first.hold, replayed: true });
    c.clock.now = new Date(c.clock.now.getTime() + 2 * 3_600_000);
    expect(await cleanUpHolds({ now: c.deps.now, sweeps: c.sweeps })).toBe(1);
    expect(c.state.claims).toEqual([]);
  });
});
