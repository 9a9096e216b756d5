import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from '@hms/platform/domain';
import { describe, expect, it } from 'vitest';
import {
  clinic,
  doctor,
  failure,
  MONDAY_1030,
  nightDoctor,
  otherPatient,
  patient,
  tenantId,
} from '../testing/fixtures.js';
import { bookAppointment } from './book-appointment.js';
import { listDoctors } from './doctor-search.js';
import { holdSlot } from './holds.js';
import { listSlots, stableUntil, withStatus } from './slots.js';

const QUARTER = 15 * 60_000;

describe('slots with their status', () => {
  it('marks slots overlapped by an appointment booked, by a live hold held, and the rest free', () => {
    const t = (m: number) => new Date(Date.UTC(2030, 0, 7, 9, m));
    const slots = [0, 15, 30, 45].map((m) => ({ startsAt: t(m), endsAt: t(m + 15), serviceDate: '2030-01-07' }));
    const now = t(-60);
    const statuses = withStatus(
      slots,
      [
        // A 20-minute appointment of an older grid overlaps two 15-minute slots.
        { startsAt: t(0), endsAt: t(20), kind: 'APPOINTMENT', expiresAt: null },
        { startsAt: t(30), endsAt: t(45), kind: 'HOLD', expiresAt: t(-61) }, // expired
        { startsAt: t(45), endsAt: t(60), kind: 'HOLD', expiresAt: t(5) },
      ],
      now,
    ).map((s) => s.status);
    expect(statuses).toEqual(['BOOKED', 'BOOKED', 'FREE', 'HELD']);
  });

  it('says the answer holds until its first slot begins or a live hold in it expires, whichever is first', () => {
    const t = (m: number) => new Date(Date.UTC(2030, 0, 7, 9, m));
    const now = t(-60);
    const claims = [
      { startsAt: t(0), endsAt: t(15), kind: 'APPOINTMENT' as const, expiresAt: null },
      { startsAt: t(30), endsAt: t(45), kind: 'HOLD' as const, expiresAt: t(-61) }, // expired: counts for nothing
      { startsAt: t(45), endsAt: t(60), kind: 'HOLD' as const, expiresAt: t(-20) },
      { startsAt: t(60), endsAt: t(75), kind: 'HOLD' as const, expiresAt: t(-30) },
    ];
    expect(stableUntil(t(0), claims, now)).toEqual(t(-30));
    expect(stableUntil(t(0), claims.slice(0, 2), now)).toEqual(t(0));
    expect(stableUntil(t(0), [], now)).toEqual(t(0));
  });

  it("lists a doctor's window from the calendar and the claims, and refuses bad windows and doctors", async () => {
    const c = clinic();
    await bookAppointment(c.deps, {
      tenantId,
      actorId: 'x',
      patientId: patient.id,
      doctorId: doctor.id,
      startsAt: MONDAY_1030,
      reason: '',
      traceId: '',
    });
    await holdSlot(c.deps, {
      tenantId,
      doctorId: doctor.id,
      patientId: otherPatient.id,
      startsAt: new Date(MONDAY_1030.getTime() + QUARTER),
    });
    const { slots } = await listSlots(c.deps, {
      tenantId,
      doctorId: doctor.id,
      from: new Date('2030-01-07T03:30:00Z'),
      to: new Date('2030-01-07T06:00:00Z'),
    });
    expect(slots.map((s) => s.status).slice(5, 9)).toEqual(['FREE', 'BOOKED', 'HELD', 'FREE']);
    expect(slots).toHaveLength(10);
    const seven = await listSlots(c.deps, {
      tenantId,
      doctorId: nightDoctor.id,
      from: c.clock.now,
      to: new Date(c.clock.now.getTime() + 7 * 86_400_000),
    });
    expect(seven.slots).toHaveLength(7 * 96);
    expect(
      await failure(listSlots(c.deps, { tenantId, doctorId: doctor.id, from: MONDAY_1030, to: MONDAY_1030 })),
    ).toBeInstanceOf(InvalidArgumentError);
    expect(
      await failure(
        listSlots(c.deps, {
          tenantId,
          doctorId: doctor.id,
          from: MONDAY_1030,
          to: new Date(MONDAY_1030.getTime() + 40 * 86_400_000),
        }),
      ),
    ).toBeInstanceOf(InvalidArgumentError);
    expect(
      await failure(
        listSlots(c.deps, {
          tenantId,
          doctorId: '0192f0a0-0000-7000-8000-00000000ffff',
          from: MONDAY_1030,
          to: new Date(MONDAY_1030.getTime() + 1),
        }),
      ),
    ).toBeInstanceOf(NotFoundError);
    c.state.doctors = c.state.doctors.map((d) => (d.id === doctor.id ? { ...d, active: false } : d));
    expect(
      await failure(
        listSlots(c.deps, {
          tenantId,
          doctorId: doctor.id,
          from: MONDAY_1030,
          to: new Date(MONDAY_1030.getTime() + QUARTER),
        }),
      ),
    ).toBeInstanceOf(FailedPreconditionError);
  });
});

describe('doctor search', () => {
  it('filters by mode and language, and gives each doctor the next free slots', async () => {
    const c = clinic();
    const all = await listDoctors(c.deps, { tenantId, filter: { includeInactive: false }, limit: 10 });
    expect(all.listings.map((l) => l.doctor.id).sort()).toEqual([doctor.id, nightDoctor.id].sort());
    expect(all.listings.every((l) => l.nextFreeSlots.length === 10)).toBe(true);
    const video = await listDoctors(c.deps, { tenantId, filter: { includeInactive: false, mode: 'VIDEO' }, limit: 10 });
    expect(video.listings.map((l) => l.doctor.id)).toEqual([nightDoctor.id]);
    expect(
      (await listDoctors(c.deps, { tenantId, filter: { includeInactive: false, language: 'ta' }, limit: 10 })).listings,
    ).toEqual([]);
  });

  it('keeps only doctors free on the day asked for, with slots from that day', async () => {
    const c = clinic();
    // Sunday 2030-01-13: only the round-the-clock doctor works.
    const sunday = await listDoctors(c.deps, {
      tenantId,
      filter: { includeInactive: false },
      availableOn: '2030-01-13',
      limit: 10,
    });
    expect(sunday.listings.map((l) => l.doctor.id)).toEqual([nightDoctor.id]);
    expect(sunday.listings[0]!.nextFreeSlots[0]!.serviceDate).toBe('2030-01-13');
    expect(sunday.nextAfterId).toBeUndefined();
    // A page of one: the cursor goes on.
    const page = await listDoctors(c.deps, { tenantId, filter: { includeInactive: false }, limit: 1 });
    expect(page.listings).toHaveLength(1);
    const rest = await listDoctors(c.deps, {
      tenantId,
      filter: { includeInactive: false },
      limit: 1,
      afterId: page.nextAfterId,
    });
    expect(rest.listings[0]!.doctor.id).not.toBe(page.listings[0]!.doctor.id);
  });
});
