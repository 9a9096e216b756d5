/**
 * Scheduling through nginx, the way a clinic's front desk uses it: patients
 * (MRN, E.164, the duplicate guard, one-box search), departments and doctors
 * (search with next free slots), a calendar in a time zone with daylight
 * saving, holds and bookings (500 concurrent bookings of one slot: exactly
 * one wins), the lifecycle with its history and its 409s, the lists, the
 * day's dashboard, and bad input answered 4xx naming the field.
 */
import { newId } from '@hms/platform';
import { eventually, testEnv } from '@hms/platform/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { call, newTenant, slot, tenantSql, type DemoTenant } from './support/stack.js';

type Json = Record<string, unknown>;
let tenant: DemoTenant;
const DAY = 86_400_000;

const get = (path: string) => call('GET', path, { token: tenant.token });
const send = (method: string, path: string, body: unknown = {}, headers: Record<string, string> = {}) =>
  call(method, path, { token: tenant.token, body, headers });

/** A 4xx problem+json naming `field` (when given). */
function refused(r: Awaited<ReturnType<typeof call>>, status: number, field?: string) {
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  expect(r.headers.get('content-type')).toMatch(/application\/problem\+json/);
  if (field) expect((r.json.errors as { field: string }[]).map((e) => e.field)).toContain(field);
  return r.json;
}

async function registerPatient(body: Json, headers: Record<string, string> = {}) {
  const r = await send('POST', '/patients', body, headers);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.json.patient as Json & { id: string; mrn: string };
}

async function book(body: Json, headers: Record<string, string> = {}) {
  const r = await send('POST', '/appointments', body, headers);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.json.appointment as Json & { id: string };
}

beforeAll(async () => {
  // The concurrency test sends 500 requests at once: a budget of its own tenant allows it.
  tenant = await newTenant(undefined, { rateLimitMultiplier: 100_000 });
});

describe('patients', () => {
  it('registers with an MRN and an E.164 phone, refuses a likely duplicate with the matches, and finds by name, digits and MRN', async () => {
    const rajesh = await registerPatient({
      fullName: 'Kumar Rajesh',
      phone: '098765 43210',
      dateOfBirth: '1980-04-02',
    });
    expect(rajesh).toMatchObject({ fullName: 'Kumar Rajesh', phone: '+919876543210', active: true });
    expect(rajesh.mrn).toMatch(/^MRN-\d{6}$/);

    const duplicate = refused(
      await send('POST', '/patients', {
        fullName: 'kumar  rajesh',
        phone: '+91 98765 43210',
        dateOfBirth: '1980-04-02',
      }),
      409,
    );
    expect(duplicate.likelyMatches).toEqual([expect.objectContaining({ id: rajesh.id, mrn: rajesh.mrn })]);
    const twin = await registerPatient({ fullName: 'Kumar Rajesh', phone: '+91 98765 43210', confirmNew: true });
    expect(twin.mrn).not.toBe(rajesh.mrn);

    const byName = await get(`/patients?q=${encodeURIComponent('Rajesh Kumr')}`);
    expect(byName.status).toBe(200);
    const names = byName.json.matches as { patient: Json; matchedBy: string }[];
    expect(names.map((m) => m.patient.id)).toEqual(expect.arrayContaining([rajesh.id, twin.id]));
    expect(names[0]!.matchedBy).toBe('name');
    const byDigits = (await get('/patients?q=43210')).json.matches as { patient: Json; matchedBy: string }[];
    expect(byDigits.map((m) => m.matchedBy)).toEqual(['phone', 'phone']);
    const byMrn = (await get(`/patients?q=${rajesh.mrn}`)).json.matches as { patient: Json; matchedBy: string }[];
    expect(byMrn.map((m) => [m.patient.id, m.matchedBy])).toEqual([[rajesh.id, 'mrn']]);

    // Pages: one at a time, the cursor carries on, nobody twice.
    const first = await get(`/patients?q=${encodeURIComponent('Rajesh Kumar')}&limit=1`);
    const second = await get(
      `/patients?q=${encodeURIComponent('Rajesh Kumar')}&limit=1&cursor=${first.json.nextCursor}`,
    );
    const paged = [first, second].flatMap((r) => (r.json.matches as { patient: Json }[]).map((m) => m.patient.id));
    expect(new Set(paged).size).toBe(2);

    // Updated, then deactivated: hidden from search, still readable.
    const updated = await send('PATCH', `/patients/${twin.id}`, { phone: '+91 90000 11111' });
    expect(updated.json.patient).toMatchObject({ phone: '+919000011111' });
    expect((await send('DELETE', `/patients/${twin.id}`)).status).toBe(200);
    const after = (await get('/patients?q=11111')).json.matches as unknown[];
    expect(after).toEqual([]);
    expect((await get(`/patients/${twin.id}`)).json.patient).toMatchObject({ active: false });
  });

  it('refuses bad registrations naming the field, and writes nothing', async () => {
    refused(await send('POST', '/patients', { fullName: 'Nobody', phone: '12' }), 400, 'phone');
    refused(await send('POST', '/patients', { phone: '+919812399999' }), 400, 'fullName');
    refused(await send('POST', '/patients', { fullName: 'Future', dateOfBirth: '2999-01-01' }), 400, 'dateOfBirth');
    refused(await get('/patients?q=x'), 400, 'q');
    expect((await get('/patients?q=Nobody')).json.matches).toEqual([]);
  });
});

describe('departments, doctors and a calendar across daylight saving', () => {
  let departmentId: string;
  let doctorId: string;

  beforeAll(async () => {
    const dep = await send('POST', '/departments', { name: 'Cardiology', description: 'heart' });
    expect(dep.status).toBe(201);
    departmentId = (dep.json.department as Json).id as string;
    const doc = await send('POST', '/doctors', {
      departmentId,
      fullName: 'Dr. Eve Hart',
      specialization: 'Cardiologist',
      qualifications: ['MBBS', 'MD'],
      languages: ['en', 'es'],
      consultationModes: ['in_person', 'video'],
      yearsOfExperience: 12,
      fees: { consultationFeeMinor: 90_000, hospitalFeeMinor: 10_000, currency: 'USD' },
      timeZone: 'America/New_York',
    });
    expect(doc.status, JSON.stringify(doc.body)).toBe(201);
    doctorId = (doc.json.doctor as Json).id as string;
    // Two sessions a day, Monday to Friday, 30-minute slots, from 2027 on.
    const schedule = await send('POST', `/doctors/${doctorId}/schedules`, {
      validFrom: '2027-01-01',
      slotMinutes: 30,
      sessions: [1, 2, 3, 4, 5].flatMap((weekday) => [
        { weekday, startMinute: 9 * 60, endMinute: 13 * 60 },
        { weekday, startMinute: 17 * 60, endMinute: 20 * 60 },
      ]),
    });
    expect(schedule.status, JSON.stringify(schedule.body)).toBe(201);
  });

  it('lays slots at the same wall-clock hours on both sides of a daylight saving change', async () => {
    // New York moves from UTC-5 to UTC-4 on Sunday 2027-03-14 (bookable: within the 180-day horizon).
    const r = await get(`/doctors/${doctorId}/slots?from=2027-03-12T00:00:00Z&to=2027-03-16T00:00:00Z`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.json.timeZone).toBe('America/New_York');
    const slots = r.json.slots as { startsAt: string; endsAt: string; serviceDate: string; status: string }[];
    const friday = slots.filter((s) => s.serviceDate === '2027-03-12');
    const monday = slots.filter((s) => s.serviceDate === '2027-03-15');
    expect(friday[0]).toMatchObject({ startsAt: '2027-03-12T14:00:00.000Z', status: 'free' });
    expect(monday[0]).toMatchObject({ startsAt: '2027-03-15T13:00:00.000Z', status: 'free' });
    // 8 morning + 6 evening slots each day; none at the weekend.
    expect([friday.length, monday.length]).toEqual([14, 14]);
    expect(slots.filter((s) => s.serviceDate === '2027-03-13' || s.serviceDate === '2027-03-14')).toEqual([]);
    expect(slots.every((s) => Date.parse(s.endsAt) - Date.parse(s.startsAt) === 30 * 60_000)).toBe(true);
  });

  it('finds the doctor by department, mode, language and day, with the next free slots', async () => {
    const r = await get(`/doctors?departmentId=${departmentId}&mode=video&language=es&availableOn=2027-03-15`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const listed = r.json.doctors as { doctor: Json; nextFreeSlots: Json[] }[];
    expect(listed.map((d) => d.doctor.id)).toEqual([doctorId]);
    expect(listed[0]!.doctor).toMatchObject({
      specialization: 'Cardiologist',
      consultationModes: ['in_person', 'video'],
      fees: { consultationFeeMinor: 90_000, hospitalFeeMinor: 10_000, currency: 'USD' },
    });
    expect(listed[0]!.nextFreeSlots.length).toBe(10);
    expect(listed[0]!.nextFreeSlots[0]).toMatchObject({ serviceDate: '2027-03-15', status: 'free' });
    expect((await get(`/doctors?departmentId=${departmentId}&availableOn=2027-03-13`)).json.doctors).toEqual([]);
    expect((await get(`/doctors?departmentId=${departmentId}&language=fr`)).json.doctors).toEqual([]);
  });

  it('answers a new fee at once, and books with it', async () => {
    const patched = await send('PATCH', `/doctors/${doctorId}`, {
      fees: { consultationFeeMinor: 95_000, hospitalFeeMinor: 10_000, currency: 'USD' },
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    const patient = await registerPatient({ fullName: 'Fee Reader' });
    const appointment = await book({ patientId: patient.id, doctorId, startsAt: '2027-03-15T13:00:00Z' });
    expect(appointment).toMatchObject({ consultationFeeMinor: 95_000, currency: 'USD' });
  });

  it('refuses a leave day that strands a booking, listing it, then takes it with the booking cancelled', async () => {
    const patient = await registerPatient({ fullName: 'Leave Stranded' });
    const booked = await book({ patientId: patient.id, doctorId, startsAt: '2027-03-16T21:00:00Z' });
    const leave = { date: '2027-03-16', kind: 'leave', reason: 'conference' };
    const conflict = refused(await send('POST', `/doctors/${doctorId}/exceptions`, leave), 409);
    expect(conflict.affectedAppointments).toEqual([expect.objectContaining({ id: booked.id })]);
    const taken = await send('POST', `/doctors/${doctorId}/exceptions`, {
      ...leave,
      affectedAppointments: [{ appointmentId: booked.id, action: 'cancel', reason: 'doctor on leave' }],
    });
    expect(taken.status, JSON.stringify(taken.body)).toBe(201);
    expect((await get(`/appointments/${booked.id}`)).json.appointment).toMatchObject({ status: 'cancelled' });
  });

  it('refuses bad calendar input naming the field', async () => {
    refused(
      await send('POST', '/doctors', {
        departmentId,
        fullName: 'Dr. X',
        specialization: 'GP',
        consultationModes: ['in_person'],
        fees: { consultationFeeMinor: 1, hospitalFeeMinor: 0, currency: 'INR' },
        timeZone: 'Mars/Olympus',
      }),
      400,
      'timeZone',
    );
    refused(await get(`/doctors/${doctorId}/slots?from=2027-03-12T00:00:00Z`), 400, 'to');
    refused(
      await send('POST', `/doctors/${doctorId}/schedules`, { validFrom: '2031-01-01', slotMinutes: 3, sessions: [] }),
      400,
      'slotMinutes',
    );
    refused(await get(`/doctors/${newId()}`), 404);
  });
});

describe('holds, bookings and the lifecycle', () => {
  const doctor = () => tenant.nightDoctor.id;

  it('holds a slot for five minutes against everyone else, converts it into the booking, and releases on request', async () => {
    const [p1, p2] = [tenant.patients[0]!.id, tenant.patients[1]!.id];
    const at = slot(6);
    const held = await send('POST', '/slot-holds', { doctorId: doctor(), patientId: p1, startsAt: at });
    expect(held.status, JSON.stringify(held.body)).toBe(201);
    const hold = held.json.hold as Json & { id: string; expiresAt: string };
    const minutes = (Date.parse(hold.expiresAt) - Date.now()) / 60_000;
    expect(minutes).toBeGreaterThan(4);
    expect(minutes).toBeLessThanOrEqual(5.1);
    refused(await send('POST', '/slot-holds', { doctorId: doctor(), patientId: p2, startsAt: at }), 409);
    refused(await send('POST', '/appointments', { doctorId: doctor(), patientId: p2, startsAt: at }), 409);
    const slots = await get(`/doctors/${doctor()}/slots?from=${at}&to=${slot(7)}`);
    expect((slots.json.slots as Json[])[0]).toMatchObject({ startsAt: at, status: 'held' });
    // Someone else's hold is not theirs to use; a used hold is gone.
    refused(
      await send('POST', '/appointments', { doctorId: doctor(), patientId: p2, startsAt: at, holdId: hold.id }),
      422,
      'holdId',
    );
    const appointment = await book({ doctorId: doctor(), patientId: p1, startsAt: at, holdId: hold.id });
    expect(appointment).toMatchObject({ startsAt: at, status: 'booked' });
    refused(
      await send('POST', '/appointments', { doctorId: doctor(), patientId: p1, startsAt: at, holdId: hold.id }),
      404,
      'holdId',
    );

    const other = await send('POST', '/slot-holds', { doctorId: doctor(), patientId: p2, startsAt: slot(8) });
    const otherId = (other.json.hold as Json).id as string;
    expect((await send('DELETE', `/slot-holds/${otherId}`)).status).toBe(204);
    expect(
      ((await get(`/doctors/${doctor()}/slots?from=${slot(8)}&to=${slot(9)}`)).json.slots as Json[])[0],
    ).toMatchObject({
      status: 'free',
    });
  });

  it("answers a week's slots from each gateway's memory, and neither gateway is stale right after a hold, release, booking or cancellation", async () => {
    const gateways = (process.env.HMS_GATEWAY_PORTS ?? '').split(' ').filter(Boolean).map(Number);
    const ops = (testEnv().HMS_GATEWAY_OPS_PORTS ?? '').split(' ').filter(Boolean).map(Number);
    expect(gateways.length).toBeGreaterThanOrEqual(2);
    const hits = async () => {
      let sum = 0;
      for (const port of ops) {
        const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        const line = text
          .split('\n')
          .find((l) => /^hms_cache_lookups_total\{.*cache="slot-windows".*result="hit"/.test(l));
        sum += Number(line?.split(' ').at(-1) ?? 0);
      }
      return sum;
    };
    const from = slot(300);
    const to = new Date(Date.parse(from) + 7 * DAY).toISOString();
    const at = slot(304);
    const statusAt = async (port: number) => {
      const r = await fetch(`http://127.0.0.1:${port}/api/v1/doctors/${doctor()}/slots?from=${from}&to=${to}`, {
        headers: { authorization: `Bearer ${tenant.token}` },
      });
      expect(r.status).toBe(200);
      const body = (await r.json()) as { slots: { startsAt: string; status: string }[] };
      expect(body.slots.length).toBeGreaterThanOrEqual(7 * 96 - 1);
      return body.slots.find((x) => x.startsAt === at)?.status;
    };
    const everywhere = async () => Promise.all(gateways.map(statusAt));
    expect(await everywhere()).toEqual(gateways.map(() => 'free'));
    const hitsBefore = await hits();
    expect(await everywhere()).toEqual(gateways.map(() => 'free'));
    expect(await hits()).toBeGreaterThanOrEqual(hitsBefore + gateways.length);

    const p = (await registerPatient({ fullName: 'Window Watcher', phone: '+919812300042' })).id;
    const held = await send('POST', '/slot-holds', { doctorId: doctor(), patientId: p, startsAt: at });
    expect(held.status, JSON.stringify(held.body)).toBe(201);
    expect(await everywhere()).toEqual(gateways.map(() => 'held'));
    expect((await send('DELETE', `/slot-holds/${(held.json.hold as Json).id as string}`)).status).toBe(204);
    expect(await everywhere()).toEqual(gateways.map(() => 'free'));
    const appointment = await book({ doctorId: doctor(), patientId: p, startsAt: at });
    expect(await everywhere()).toEqual(gateways.map(() => 'booked'));
    const cancelled = await send('POST', `/appointments/${appointment.id}/cancel`, {
      cancelledBy: 'staff',
      reason: 'the patient called',
    });
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    expect(await everywhere()).toEqual(gateways.map(() => 'free'));
  });

  it('gives exactly one 201 and 499 409s for 500 concurrent bookings of one slot, and no 5xx', async () => {
    const patients = Array.from({ length: 500 }, () => newId());
    await tenantSql(
      'appointments',
      tenant.tenantId,
      `INSERT INTO patients (id, tenant_id, mrn, full_name, search_name, name_tokens)
       SELECT id, $2, 'RUSH-' || n, 'Rush ' || n, 'rush ' || n, ARRAY['rush', n::text]
       FROM unnest($1::uuid[]) WITH ORDINALITY AS p(id, n)`,
      [patients, tenant.tenantId],
    );
    const at = slot(20);
    const answers = await Promise.all(
      patients.map((patientId) => send('POST', '/appointments', { doctorId: doctor(), patientId, startsAt: at })),
    );
    const byStatus = new Map<number, number>();
    for (const r of answers) byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
    expect(Object.fromEntries(byStatus)).toEqual({ 201: 1, 409: 499 });
    const winner = answers.find((r) => r.status === 201)!.json.appointment as Json;
    const day = at.slice(0, 10);
    const listed = await get(`/appointments?doctorId=${doctor()}&date=${day}&status=booked`);
    expect((listed.json.appointments as Json[]).filter((a) => a.startsAt === at).map((a) => a.id)).toEqual([winner.id]);
  });

  it('walks the lifecycle with a history row each, and answers an illegal step 409 naming the allowed ones', async () => {
    const patient = await registerPatient({ fullName: 'Life Cycle' });
    const a = await book({ patientId: patient.id, doctorId: doctor(), startsAt: slot(2), reason: 'fever' });
    const illegal = refused(await send('POST', `/appointments/${a.id}/complete`), 409, 'status');
    expect(JSON.stringify(illegal.errors)).toMatch(/allowed: check-in, cancel, reschedule, no-show/);
    for (const [step, status] of [
      ['check-in', 'checked_in'],
      ['start', 'in_consultation'],
      ['complete', 'completed'],
    ] as const) {
      const r = await send('POST', `/appointments/${a.id}/${step}`);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.json.appointment).toMatchObject({ id: a.id, status });
    }
    refused(
      await send('POST', `/appointments/${a.id}/cancel`, { reason: 'too late', cancelledBy: 'staff' }),
      409,
      'status',
    );
    const page1 = await get(`/appointments/${a.id}/history?limit=2`);
    const page2 = await get(`/appointments/${a.id}/history?limit=2&cursor=${page1.json.nextCursor}`);
    const entries = [page1, page2].flatMap((r) => r.json.entries as Json[]);
    expect(entries.map((e) => [e.fromStatus, e.toStatus])).toEqual([
      ['unspecified', 'booked'],
      ['booked', 'checked_in'],
      ['checked_in', 'in_consultation'],
      ['in_consultation', 'completed'],
    ]);
    // GET stays small: no history inside.
    expect(Object.keys((await get(`/appointments/${a.id}`)).json.appointment as Json)).not.toContain('history');
  });

  it('reschedules keeping the id, cancels with a reason, and lists the patient’s upcoming appointments', async () => {
    const patient = await registerPatient({ fullName: 'Move Around' });
    const a = await book({ patientId: patient.id, doctorId: doctor(), startsAt: slot(40) });
    const moved = await send('POST', `/appointments/${a.id}/reschedule`, { startsAt: slot(44), reason: 'asked' });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(moved.json.appointment).toMatchObject({ id: a.id, startsAt: slot(44), status: 'booked' });
    refused(await send('POST', `/appointments/${a.id}/cancel`, { cancelledBy: 'patient' }), 400, 'reason');
    const cancelled = await send('POST', `/appointments/${a.id}/cancel`, {
      reason: 'better now',
      cancelledBy: 'patient',
    });
    expect(cancelled.json.appointment).toMatchObject({
      status: 'cancelled',
      cancelledBy: 'patient',
      statusReason: 'better now',
    });
    const b = await book({ patientId: patient.id, doctorId: doctor(), startsAt: slot(48) });
    const upcoming = await get(`/patients/${patient.id}/appointments?timeframe=upcoming`);
    expect(upcoming.status).toBe(200);
    expect((upcoming.json.appointments as Json[]).map((x) => x.id)).toContain(b.id);
    // The freed slot is bookable again.
    await book({ patientId: tenant.patients[2]!.id, doctorId: doctor(), startsAt: slot(44) });
  });

  it('counts the day on the dashboard from the events', async () => {
    const patient = await registerPatient({ fullName: 'Dash Board' });
    const a = await book({ patientId: patient.id, doctorId: doctor(), startsAt: slot(3) });
    await send('POST', `/appointments/${a.id}/check-in`);
    const day = slot(3).slice(0, 10);
    const board = await eventually(
      async () => {
        const r = await get(`/dashboard/daily?date=${day}`);
        const row = (r.json.doctors as (Json & { counts: Json })[] | undefined)?.find((d) => d.doctorId === doctor());
        return row && (row.counts.checkedIn as number) >= 1 ? r.json : undefined;
      },
      { what: 'the dashboard to count the check-in', timeoutMs: 20_000 },
    );
    expect(board).toMatchObject({ serviceDate: day });
    expect(typeof board.updatedAt).toBe('string');
  });

  it('refuses past, off-grid and unknown bookings naming the field, and writes nothing', async () => {
    const p = tenant.patients[3]!.id;
    refused(
      await send('POST', '/appointments', {
        patientId: p,
        doctorId: doctor(),
        startsAt: new Date(Date.now() - DAY).toISOString(),
      }),
      422,
      'startsAt',
    );
    const offGrid = new Date(Date.parse(slot(10)) + 7 * 60_000).toISOString();
    refused(
      await send('POST', '/appointments', { patientId: p, doctorId: doctor(), startsAt: offGrid }),
      422,
      'startsAt',
    );
    refused(
      await send('POST', '/appointments', { patientId: p, doctorId: newId(), startsAt: slot(10) }),
      422,
      'doctorId',
    );
    refused(
      await send('POST', '/appointments', { patientId: newId(), doctorId: doctor(), startsAt: slot(10) }),
      422,
      'patientId',
    );
    refused(await send('POST', `/appointments/${newId()}/start`), 404);
    refused(await get(`/appointments?doctorId=${doctor()}`), 400, 'date');
    const listed = await get(`/patients/${p}/appointments`);
    expect(listed.json.appointments).toEqual([]);
  });
});
