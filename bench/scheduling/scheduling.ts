/**
 * Scheduling's read targets through nginx (issue 8), each at a fixed rate with
 * k6, run only when named in --only:
 *
 *   patient-search   GET /patients?q= over a tenant of --patients patients (default 1,000,000) in a
 *                    table of five times as many (the other tenants' rows made alongside): p95 <= 20 ms
 *   slots-7d         GET /doctors/{id}/slots for a 7-day window: p95 <= 15 ms
 *   daily-dashboard  GET /dashboard/daily of a day with bookings: p95 <= 20 ms
 *
 * The patients are made in PostgreSQL (generate_series: names from lists of
 * common given names and surnames, phones, MRNs, the search columns and the
 * word list), as the owner role, in batches; the load takes minutes per
 * million rows. They are made once per stack: the tenant is remembered in
 * $HMS_HOME/bench-search-tenant.json and a later run with the same --patients
 * searches it again (keep the stack: --keep, then --target bench).
 *
 * Each read runs 5 s unmeasured first (warm-up), then for the measured time.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { newId } from '@hms/platform';
import pg from 'pg';
import type { Fixture } from '../lib/fixture.js';
import { runK6 } from '../lib/k6.js';
import { cpuSnapshot, cpuUsed, databaseUrl, sampleIdleCpu, sum, type StackEnv } from '../lib/stack.js';

export const SCHEDULING_PARTS = ['patient-search', 'slots-7d', 'daily-dashboard'] as const;
export type SchedulingPart = (typeof SCHEDULING_PARTS)[number];

export interface ReadReport {
  part: SchedulingPart;
  what: string;
  rate: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  failed: number;
  targetP95Ms: number;
  /** Stack CPU (every process: nginx, gateways, services, PostgreSQL, ...) over the run per request. */
  cpuMsPerOp: number;
  /** The same less what the stack burnt idle over as long, sampled just before. */
  netCpuMsPerOp: number;
}

const GIVEN = [
  'Rajesh',
  'Priya',
  'Arjun',
  'Sunita',
  'Imran',
  'Lakshmi',
  'Deepak',
  'Fatima',
  'Harpreet',
  'Ananya',
  'Vikram',
  'Meera',
  'Kabir',
  'Asha',
  'Rahul',
  'Pooja',
  'Sanjay',
  'Neha',
  'Amit',
  'Kavya',
  'Ravi',
  'Sita',
  'Anil',
  'Mary',
  'Farhan',
  'Divya',
  'Suresh',
  'Anita',
  'Manoj',
  'Geeta',
  'Vijay',
  'Rekha',
  'Ajay',
  'Nisha',
  'Karan',
  'Swati',
  'Rohit',
  'Shreya',
  'Nikhil',
  'Aisha',
  'Joseph',
  'Thomas',
  'George',
  'Maria',
  'Ahmed',
  'Zainab',
  'Gurpreet',
  'Manpreet',
  'Arun',
  'Bhavna',
];
const FAMILY = [
  'Kumar',
  'Sharma',
  'Nair',
  'Das',
  'Khan',
  'Pillai',
  'Joshi',
  'Sheikh',
  'Singh',
  'Bose',
  'Mehta',
  'Iyer',
  'Sen',
  'Rao',
  'Gupta',
  'Reddy',
  'Patel',
  'Shah',
  'Verma',
  'Mishra',
  'Chatterjee',
  'Banerjee',
  'Mukherjee',
  'Agarwal',
  'Menon',
  'Thomas',
  'Ali',
  'Hussain',
  'Fernandes',
  'DSouza',
  'Kapoor',
  'Malhotra',
  'Chopra',
  'Bhat',
  'Kulkarni',
  'Desai',
  'Naidu',
  'Yadav',
  'Pandey',
  'Tiwari',
];

/** How long the stack's idle CPU is sampled before each read's run. */
const IDLE_SAMPLE_MS = 3_000;

function log(message: string): void {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} [bench] ${message}\n`);
}

/**
 * `count` patients of `tenantId`: a given name, a middle word and a surname
 * (so a name is one of ~2,000,000 combinations), an Indian mobile number, an MRN.
 */
async function makePatients(db: pg.Client, tenantId: string, count: number, offset: number): Promise<void> {
  const batch = 250_000;
  for (let start = 0; start < count; start += batch) {
    const n = Math.min(batch, count - start);
    await db.query(
      `INSERT INTO appointments.patients (id, tenant_id, mrn, full_name, phone, search_name, name_tokens)
       SELECT gen_random_uuid(), $1::uuid, 'BM-' || lpad(i::text, 8, '0'), full_name, '+9190' || lpad(i::text, 8, '0'),
              lower(full_name), regexp_split_to_array(lower(full_name), ' ')
       FROM generate_series($2::int, $3::int) AS i,
            LATERAL (SELECT ($4::text[])[1 + ((i::bigint * 7919) % cardinality($4::text[]))::int] || ' ' ||
                            ($4::text[])[1 + ((i / 7) % cardinality($4::text[]))::int] || ' ' ||
                            ($5::text[])[1 + ((i::bigint * 104729) % cardinality($5::text[]))::int] AS full_name) AS n`,
      [tenantId, offset + start + 1, offset + start + n, GIVEN, FAMILY],
    );
    log(`patient-search: ${start + n} of ${count} patients of tenant ${tenantId.slice(0, 8)}`);
  }
  await db.query(
    `INSERT INTO appointments.patient_name_words (tenant_id, word)
     SELECT DISTINCT $1::uuid, w FROM unnest($2::text[]) AS w ON CONFLICT DO NOTHING`,
    [tenantId, [...GIVEN, ...FAMILY].map((w) => w.toLowerCase())],
  );
}

/** Queries as a front desk types them: misspelt names in either order, a phone's last digits, an MRN. */
function patientQueries(count: number): string[] {
  const queries: string[] = [];
  for (let i = 1; i <= 200; i += 1) {
    const given = GIVEN[(i * 7919) % GIVEN.length]!;
    const family = FAMILY[(i * 104729) % FAMILY.length]!;
    const typo = family.length > 4 ? family.slice(0, 2) + family.slice(3) : family; // one letter dropped
    queries.push(i % 2 === 0 ? `${typo} ${given}` : `${given} ${typo}`);
    const n = 1 + ((i * 48_271) % count);
    if (i % 4 === 0) queries.push(String(n).padStart(8, '0').slice(-6)); // last six digits of a phone
    if (i % 8 === 0) queries.push(`BM-${String(n).padStart(8, '0')}`);
  }
  return queries;
}

/** Reads made before each measured run and left out of it. */
const WARM_UP = '5s';

async function k6Read(
  env: StackEnv,
  fixture: Fixture & Record<string, unknown>,
  op: string,
  options: { workDir: string; rate: number; duration: string },
) {
  const file = path.join(options.workDir, `${op}.json`);
  await writeFile(file, JSON.stringify(fixture));
  return runK6({
    k6: `${env.HMS_TOOLS}/bin/k6`,
    op,
    executor: 'rate',
    fixture: file,
    workDir: options.workDir,
    env: { HMS_RATE: options.rate, HMS_DURATION: options.duration, HMS_VUS: 16 },
  });
}

export async function schedulingBenchmarks(
  env: StackEnv,
  fixture: Fixture,
  parts: Set<SchedulingPart>,
  options: {
    workDir: string;
    patients: number;
    rate: number;
    duration: string;
    /** Where the generated tenant is remembered, for the next run to reuse. */
    searchTenantFile: string;
  },
): Promise<ReadReport[]> {
  const reports: ReadReport[] = [];
  const read = async (
    part: SchedulingPart,
    op: string,
    what: string,
    target: number,
    extra: Record<string, unknown>,
  ) => {
    // Warm first, unmeasured: the pages of a million patients' indexes a restarted PostgreSQL has
    // not read yet, and the gateways' slot windows, are a start-up's cost, not a request's.
    log(`${part}: warming up at ${options.rate}/s for ${WARM_UP}`);
    await k6Read(env, { ...fixture, ...extra }, op, { ...options, duration: WARM_UP });
    const idlePerSecond = sum((await sampleIdleCpu(env, IDLE_SAMPLE_MS)).values());
    log(`${part}: reading at ${options.rate}/s for ${options.duration}`);
    const before = cpuSnapshot(env);
    const started = Date.now();
    const run = await k6Read(env, { ...fixture, ...extra }, op, options);
    const cpuSeconds = sum(cpuUsed(before, cpuSnapshot(env)).values());
    const requests = Math.max(1, run.ok + run.failed);
    const idleSeconds = (idlePerSecond * (Date.now() - started)) / 1000;
    reports.push({
      part,
      what,
      rate: options.rate,
      ...pick(run),
      targetP95Ms: target,
      cpuMsPerOp: (cpuSeconds * 1000) / requests,
      netCpuMsPerOp: (Math.max(0, cpuSeconds - idleSeconds) * 1000) / requests,
    });
  };

  if (parts.has('patient-search')) {
    const db = new pg.Client({
      connectionString: databaseUrl(env, 'hms_appointments_owner', 'HMS_DB_PASSWORD_APPOINTMENTS_OWNER'),
    });
    await db.connect();
    try {
      const [made] = (
        await db.query<{ n: string }>(
          `SELECT count(*) AS n FROM appointments.patients WHERE tenant_id = $1 AND mrn LIKE 'BM-%'`,
          [fixture.tenantId],
        )
      ).rows;
      if (Number(made?.n ?? 0) === options.patients) {
        log(`patient-search: reusing the ${options.patients} patients of tenant ${fixture.tenantId.slice(0, 8)}`);
      } else {
        const started = Date.now();
        await makePatients(db, fixture.tenantId, options.patients, 0);
        // The rest of the table: four other tenants as large, so the index holds five times the tenant.
        for (let t = 1; t <= 4; t += 1) await makePatients(db, newId(), options.patients, t * options.patients);
        await db.query('ANALYZE appointments.patients');
        await db.query('ANALYZE appointments.patient_name_words');
        log(`patient-search: ${options.patients * 5} patients made in ${Math.round((Date.now() - started) / 1000)} s`);
        await writeFile(
          options.searchTenantFile,
          `${JSON.stringify({ tenantId: fixture.tenantId, patients: options.patients })}\n`,
          { mode: 0o600 },
        );
      }
    } finally {
      await db.end();
    }
    await read(
      'patient-search',
      'search-patients',
      `GET /patients?q= (${options.patients.toLocaleString('en')} patients in the tenant, ${(options.patients * 5).toLocaleString('en')} in the table)`,
      20,
      { patientQueries: patientQueries(options.patients) },
    );
  }
  if (parts.has('slots-7d')) {
    await read('slots-7d', 'list-slots', 'GET /doctors/{id}/slots, 7 days (15-minute slots round the clock)', 15, {});
  }
  if (parts.has('daily-dashboard')) {
    // A day with bookings on it: the fixture books some of its first slot's day.
    const date = fixture.firstSlot.slice(0, 10);
    for (let i = 0; i < 200; i += 1) {
      await fetch(`${fixture.api}/appointments`, {
        method: 'POST',
        headers: { authorization: `Bearer ${fixture.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          doctorId: fixture.doctors[i % fixture.doctors.length],
          patientId: fixture.patients[i % fixture.patients.length],
          startsAt: new Date(
            Date.parse(fixture.firstSlot) + Math.floor(i / fixture.doctors.length) * 900_000,
          ).toISOString(),
        }),
      });
    }
    await read('daily-dashboard', 'daily-dashboard', 'GET /dashboard/daily', 20, { dashboardDate: date });
  }
  return reports;
}

function pick(run: { p50Ms: number; p95Ms: number; p99Ms: number; failed: number }) {
  return { p50Ms: run.p50Ms, p95Ms: run.p95Ms, p99Ms: run.p99Ms, failed: run.failed };
}

export function printScheduling(reports: ReadReport[]): void {
  for (const r of reports) {
    console.log(
      `\n${r.what} through nginx at ${r.rate}/s: p50 ${r.p50Ms.toFixed(1)} ms, p95 ${r.p95Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms, ${r.failed} failed (target p95 <= ${r.targetP95Ms} ms), ${r.cpuMsPerOp.toFixed(2)} CPU-ms per request (${r.netCpuMsPerOp.toFixed(2)} net of idle)`,
    );
  }
}
