/**
 * A tenant of its own for a load run: created through the same seed tools as
 * the demo tenant, with a request budget that allows the load (never by
 * raising the limit for everyone), round-the-clock doctors so any slot of the
 * next months can be booked, patients, and a token to act with.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { newId } from '@hms/platform';
import pg from 'pg';
import { makeClinicalHistory } from './clinical-data.js';
import { openPipeline } from './pipeline.js';
import { databaseUrl, ROOT, type StackEnv } from './stack.js';
import { createHmsClient } from '@hms/client';

const run = promisify(execFile);

export interface Fixture {
  api: string;
  tenantId: string;
  token: string;
  doctors: string[];
  patients: string[];
  /** Slot length of every fixture doctor, minutes. */
  slotMinutes: number;
  /** The first bookable slot (ISO): fixtures book forward from it. */
  firstSlot: string;
  /** Passwords of the tenant's users, one per built-in role (username: the role, e.g. "doctor"). */
  passwords: Record<string, string>;
}

async function node(script: string, args: string[], env: Record<string, string>): Promise<string> {
  const { stdout } = await run('node', [path.join(ROOT, script), ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
  });
  return stdout.trim();
}

export async function createFixture(
  env: StackEnv,
  options: {
    doctors: number;
    patients: number;
    rateLimitMultiplier: number;
    file: string;
    /** An existing tenant to act in (seeding is an upsert); a new one when absent. */
    tenantId?: string;
  },
): Promise<Fixture> {
  const tenantId = options.tenantId ?? newId();
  // An integration's API key: no expiry within a run, and no development token (refused outside dev and test).
  const seeded = await node(
    'services/gateway/dist/db/seed-demo.js',
    [
      '--tenant',
      tenantId,
      '--name',
      `Load ${tenantId}`,
      '--plan',
      'ENTERPRISE',
      '--rate-limit-multiplier',
      String(options.rateLimitMultiplier),
      '--api-key',
      'load-test',
      '--users',
    ],
    {
      DATABASE_URL: databaseUrl(env, 'hms_gateway', 'HMS_DB_PASSWORD_GATEWAY'),
      API_KEY_SECRET: env.HMS_API_KEY_SECRET ?? '',
    },
  );
  const made = JSON.parse(seeded) as { apiKey: { key: string }; users: { username: string; password: string }[] };
  const token = made.apiKey.key;

  const db = new pg.Client({ connectionString: databaseUrl(env, 'hms_appointments', 'HMS_DB_PASSWORD_APPOINTMENTS') });
  await db.connect();
  const departmentId = newId();
  const doctors = Array.from({ length: options.doctors }, () => newId());
  const patients = Array.from({ length: options.patients }, () => newId());
  try {
    await db.query('BEGIN');
    // Row-level security: the fixture's rows are written scoped to its tenant, as the service writes its own.
    await db.query(`SELECT set_config('app.tenant_id', $1, true)`, [tenantId]);
    await db.query('INSERT INTO departments (id, tenant_id, name) VALUES ($1, $2, $3)', [
      departmentId,
      tenantId,
      `Load ${departmentId}`,
    ]);
    await db.query(
      `INSERT INTO doctors (id, tenant_id, department_id, full_name, consultation_fee_minor, hospital_fee_minor,
         currency, time_zone)
       SELECT id, $2, $3, 'Dr. Load ' || n, 50000, 10000, 'INR', 'UTC'
       FROM unnest($1::uuid[]) WITH ORDINALITY AS d(id, n)`,
      [doctors, tenantId, departmentId],
    );
    // Round the clock, every day, 15-minute slots: one weekly template each (docs/scheduling.md).
    await db.query(
      `INSERT INTO doctor_schedules (id, tenant_id, doctor_id, valid_from, valid_to, slot_minutes, sessions)
       SELECT gen_random_uuid(), $2, id, DATE '2000-01-01', NULL, 15,
              (SELECT jsonb_agg(jsonb_build_object('weekday', w, 'startMinute', 0, 'endMinute', 1440) ORDER BY w)
               FROM generate_series(1, 7) AS w)
       FROM unnest($1::uuid[]) AS d(id)`,
      [doctors, tenantId],
    );
    // The MRN carries the patient's id: a reused tenant (tenantId given) already has the earlier runs' patients.
    await db.query(
      `INSERT INTO patients (id, tenant_id, mrn, full_name, search_name, name_tokens)
       SELECT id, $2, 'LOAD-' || lpad(n::text, 7, '0') || '-' || right(id::text, 12), 'Load Patient ' || n, 'load patient ' || n,
              ARRAY['load', 'patient', n::text]
       FROM unnest($1::uuid[]) WITH ORDINALITY AS p(id, n)`,
      [patients, tenantId],
    );
    await db.query('COMMIT');
  } finally {
    await db.end();
  }
  const quarter = 15 * 60_000;
  const fixture: Fixture = {
    api: `http://127.0.0.1:${env.HMS_NGINX_PORT}/api/v1`,
    tenantId,
    token,
    doctors,
    patients,
    slotMinutes: 15,
    firstSlot: new Date((Math.floor(Date.now() / quarter) + 2) * quarter).toISOString(),
    passwords: Object.fromEntries(made.users.map((u) => [u.username, u.password])),
  };
  await writeFile(options.file, JSON.stringify(fixture), { mode: 0o600 });
  return fixture;
}

/**
 * The fixture of a release load run (k6/release.js): a fixture tenant, a few
 * patients checked in on the next slot of 40 doctors (for the queue, bill and
 * audit reads), bookings days ahead, arrivals in the check-in window after the
 * prepared slot, and the clinical record's (bench/lib/clinical-data.ts) with
 * doctors, patients and slots of the clinic's own. Waits until the check-ins
 * have reached the queue.
 */
export async function createReleaseFixture(env: StackEnv, file: string): Promise<Fixture> {
  const fixture = await createFixture(env, { doctors: 400, patients: 5_000, rateLimitMultiplier: 100_000, file });
  const prepared = await bookNearTerm({ ...fixture, doctors: fixture.doctors.slice(0, 40) }, 40, 1);
  // Through the typed client generated from the OpenAPI document: the setup exercises the contract too.
  const api = createHmsClient({ baseUrl: fixture.api, token: fixture.token });
  for (const a of prepared) {
    const { response, error } = await api.POST('/appointments/{id}/check-in', { params: { path: { id: a.id } } });
    if (!response.ok) throw new Error(`check-in while preparing failed: ${response.status} ${JSON.stringify(error)}`);
  }
  const quarter = 15 * 60_000;
  const release = {
    ...fixture,
    firstSlot: new Date(Date.parse(fixture.firstSlot) + 2 * 86_400_000).toISOString(),
    nearSlot: new Date((Math.floor(Date.now() / quarter) + 2) * quarter).toISOString(),
    appointments: prepared.map((a) => a.id),
    queueDoctors: [...new Set(prepared.map((a) => a.doctorId))],
    queueDate: prepared[0]!.serviceDate,
    billedPatients: [...new Set(prepared.map((a) => a.patientId))],
  };
  const pipeline = await openPipeline(env);
  await pipeline.drain(60_000).finally(() => pipeline.close());
  // The clinic's visits (k6's doctor-visit flow): doctors, patients and near slots no other flow books.
  const clinic = {
    ...(await makeClinicalHistory(env, fixture, 200)),
    clinicDoctors: fixture.doctors.slice(300, 340),
    clinicPatients: fixture.patients.slice(4_000, 4_500),
    clinicSlot: new Date(Date.parse(release.nearSlot) + 2 * 3_600_000).toISOString(),
  };
  const withBills = { ...release, ...clinic, ...(await billsToPay(env, fixture.tenantId, release.appointments)) };
  await writeFile(file, JSON.stringify(withBills));
  return withBills;
}

/**
 * What the billing operations need: the bills of prepared appointments (each
 * has far more due than a load run's small payments take) and the day of the
 * daily report (today in the tenant's zone, the default Asia/Kolkata).
 */
export async function billsToPay(
  env: StackEnv,
  tenantId: string,
  appointmentIds: string[],
): Promise<{ bills: string[]; reportDate: string }> {
  const db = new pg.Client({ connectionString: databaseUrl(env, 'hms_billing', 'HMS_DB_PASSWORD_BILLING') });
  await db.connect();
  try {
    // Row-level security: billing's role reads the tenant's bills in a transaction scoped to it.
    await db.query('BEGIN');
    await db.query(`SELECT set_config('app.tenant_id', $1, true)`, [tenantId]);
    const { rows } = await db.query<{ id: string }>(
      'SELECT id FROM billing.bills WHERE tenant_id = $1 AND appointment_id = ANY($2::uuid[]) ORDER BY id',
      [tenantId, appointmentIds],
    );
    await db.query('COMMIT');
    if (rows.length === 0) throw new Error('the prepared appointments have no bills yet');
    const reportDate = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Kolkata' }).format(new Date());
    return { bills: rows.map((r) => r.id), reportDate };
  } finally {
    await db.end();
  }
}

const SLOT_MS = 15 * 60_000;

async function inParallel<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/**
 * Books `count` appointments in the next hours (the check-in window), spread
 * over the fixture's doctors, and returns their ids in booking order.
 */
export async function bookNearTerm(
  fixture: Fixture,
  count: number,
  firstSlotFromNow = 2,
): Promise<{ id: string; doctorId: string; patientId: string; serviceDate: string }[]> {
  const first = (Math.floor(Date.now() / SLOT_MS) + firstSlotFromNow) * SLOT_MS;
  const doctors = fixture.doctors.length;
  const wanted = Array.from({ length: count }, (_, n) => ({
    doctorId: fixture.doctors[n % doctors]!,
    // A patient per booking: never two appointments of one patient at one time.
    patientId: fixture.patients[n % fixture.patients.length]!,
    startsAt: new Date(first + Math.floor(n / doctors) * SLOT_MS).toISOString(),
  }));
  const booked: { id: string; doctorId: string; patientId: string; serviceDate: string }[] = [];
  await inParallel(wanted, 8, async (body) => {
    const res = await fetch(`${fixture.api}/appointments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fixture.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (res.status !== 201) throw new Error(`preparing a booking failed: ${res.status} ${await res.text()}`);
    const { appointment } = (await res.json()) as { appointment: { id: string; serviceDate: string } };
    booked.push({
      id: appointment.id,
      doctorId: body.doctorId,
      patientId: body.patientId,
      serviceDate: appointment.serviceDate,
    });
  });
  return booked;
}

/**
 * Display tokens of the fixture's tenant, as waiting-room screens hold them: one per group of at
 * most five doctors, issued through the API (each token may keep five streams open, like any other).
 */
export async function issueDisplayTokens(fixture: Fixture, groups: string[][]): Promise<string[]> {
  const api = createHmsClient({ baseUrl: fixture.api, token: fixture.token });
  const tokens: string[] = [];
  let next = 0;
  const issuer = async () => {
    for (let i = next++; i < groups.length; i = next++) {
      const { data, response, error } = await api.POST('/display-tokens', {
        body: { name: `bench screen ${i}`, doctorIds: groups[i]! },
      });
      if (!data) throw new Error(`issuing a display token failed: ${response.status} ${JSON.stringify(error)}`);
      tokens[i] = data.token;
    }
  };
  await Promise.all(Array.from({ length: 8 }, issuer));
  return tokens;
}
