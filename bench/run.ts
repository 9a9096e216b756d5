/**
 * The benchmark suite: for each operation, throughput at saturation, latency
 * at a fixed moderate rate, and CPU-ms per operation across the whole stack
 * (every stack process, consumers included until the event pipeline has
 * drained), each beside a ceiling measured in the same run on the same
 * machine; then event latency from commit to applied, and whether the
 * pipeline drained within 5 s without dead letters. Prints a table and writes
 * bench/results/<date>-<commit>.json and a chart of latency over time.
 *
 *   npm run bench                    its own stack (profile "bench"), brought up and down
 *   npm run bench -- --target dev    a running stack of that profile instead
 *   npm run bench -- --quick         shorter runs (a smoke of the benchmark itself)
 *   npm run bench -- --only book,get-appointment
 *   npm run bench -- --only visit-vitals,visit-consultation,visit-prescriptions,patient-history
 *                                    the clinical record's split reads, of a patient with 200 past visits
 *   npm run bench -- --only daily-report --bills 1000000 --rate 20   the report over a tenant with that
 *                                    many bills, its latency at 20 requests/s
 *                                    (bench/lib/billing-data.ts loads them first; takes a few minutes)
 *   npm run bench -- --only predictions,get-queue-300,sse,sse-leak   the live queue's parts
 *   npm run bench -- --only patient-search --patients 1000000   search over a tenant of a million patients
 *   npm run bench -- --only slots-7d,daily-dashboard [--rate 100]   scheduling's other read targets
 *       (opt-in: predicted waits replayed over synthetic days, GET of a 300-entry queue,
 *       10,000 SSE clients on one gateway, 50,000 stream connect/disconnect cycles)
 *   npm run bench -- --only idle [--seconds 30]   the stack's CPU with no request at all, by component
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { createKafka, createLogger } from '@hms/platform';
import pg from 'pg';
import { loadBills } from './lib/billing-data.js';
import { makeClinicalHistory } from './lib/clinical-data.js';
import { billsToPay, bookNearTerm, createFixture, type Fixture } from './lib/fixture.js';
import { leakBenchmark, printLeak, type LeakReport } from './queue/leak.js';
import { idleBenchmark, printIdle } from './stack/idle.js';
import { predictionBenchmark, printPredictions, type PredictionReport } from './queue/predictions.js';
import { printQueueRead, queueReadBenchmark, type QueueReadReport } from './queue/queue-read.js';
import {
  printScheduling,
  SCHEDULING_PARTS,
  schedulingBenchmarks,
  type SchedulingPart,
} from './scheduling/scheduling.js';
import { printSse, sseBenchmark, type SseReport } from './queue/sse.js';
import { runK6, type K6Run } from './lib/k6.js';
import { eventLatencies, openPipeline, type EventLatency } from './lib/pipeline.js';
import { renderChart } from './lib/report.js';
import {
  cpuSnapshot,
  cpuUsed,
  databaseUrl,
  resultsPath,
  ROOT,
  sampleIdleCpu,
  stackEnv,
  sum,
  tracesSampler,
  type StackEnv,
} from './lib/stack.js';

const run = promisify(execFile);
const { values } = parseArgs({
  options: {
    target: { type: 'string' },
    only: { type: 'string' },
    quick: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    bills: { type: 'string' },
    patients: { type: 'string' },
    rate: { type: 'string' },
    seconds: { type: 'string' },
  },
});
const profile = values.target ?? 'bench';
const quick = values.quick;
const OPS = [
  'book',
  'check-in',
  'get-appointment',
  // Cached reference data: a doctor (with fees), read again and again.
  'get-doctor',
  'get-queue',
  'list-bills',
  'audit-query',
  'pay',
  'daily-report',
  // The clinical record's split reads (issue 15), of a patient with 200 past visits.
  'visit-vitals',
  'visit-consultation',
  'visit-prescriptions',
  'patient-history',
] as const;
type Op = (typeof OPS)[number];
/** Parts of the live queue's benchmark, run only when named in --only. */
const QUEUE_PARTS = ['predictions', 'get-queue-300', 'sse', 'sse-leak'] as const;
type QueuePart = (typeof QUEUE_PARTS)[number];
/** The idle stack's CPU by component, run only when named in --only. */
const IDLE = 'idle';
const named = values.only?.split(',') ?? [...OPS];
const unknown = named.filter(
  (n) =>
    n !== IDLE &&
    !(OPS as readonly string[]).includes(n) &&
    !(QUEUE_PARTS as readonly string[]).includes(n) &&
    !(SCHEDULING_PARTS as readonly string[]).includes(n),
);
if (unknown.length > 0) throw new Error(`unknown --only part(s): ${unknown.join(', ')}`);
const only = new Set(named as (Op | QueuePart | SchedulingPart | typeof IDLE)[]);

/** Work per operation: fixed counts for writes (each needs its own slot or appointment), durations for reads. */
const WORK = {
  saturateWrites: quick ? 300 : 3_000,
  checkIns: quick ? 200 : 1_000,
  readSeconds: quick ? '5s' : '15s',
  rateSeconds: quick ? '5s' : '15s',
  /** The fixed rate latency is measured at (--rate; keep it below saturation, or p95 measures the queue). */
  rate: Number(values.rate ?? 200),
  vus: 16,
};

/** How long the stack's idle CPU is sampled before each operation's run. */
const IDLE_SAMPLE_MS = 3_000;

/** The issue's targets (issue 6). */
const TARGETS: Partial<Record<Op, { cpuMs?: number; opsPerSecond?: number; p95Ms?: number; p99Ms?: number }>> = {
  book: { cpuMs: 4, opsPerSecond: 500, p99Ms: 50 },
  'get-appointment': { cpuMs: 1 },
  'get-doctor': { cpuMs: 0.3, opsPerSecond: 5000, p99Ms: 20 },
  // Issue 10: the daily collections report, p95 <= 20 ms (with --bills 1000000).
  'daily-report': { p95Ms: 20 },
};

interface OpResult {
  op: Op;
  saturation: {
    ops: number;
    failed: number;
    opsPerSecond: number;
    cpuSeconds: number;
    /** Seconds of the measured window (run and drain). */
    windowSeconds: number;
    /** CPU the stack burns while idle (heartbeats, polls, scrapes), per second, measured just before. */
    idleCpuPerSecond: number;
    byComponent: Record<string, number>;
    drainMs: number;
  };
  atRate: { rate: number; p50Ms: number; p95Ms: number; p99Ms: number; failed: number };
  cpuMsPerOp: number;
  /** CPU-ms per operation less what the stack would have burnt idle over the window. */
  netCpuMsPerOp: number;
  ceiling?: { name: string; opsPerSecond: number; ratio: number };
  points: [number, number][];
}

function log(message: string): void {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} [bench] ${message}\n`);
}

async function hms(...args: string[]): Promise<void> {
  await run(path.join(ROOT, 'scripts', 'hms'), [...args, '--profile', profile], {
    env: { ...process.env, HMS_PROFILE: profile },
    maxBuffer: 64 * 1024 * 1024,
  });
}

async function main(): Promise<void> {
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).toString().trim();
  if (!values.target) {
    log('bringing the bench stack up (scripts/hms up --profile bench)');
    await hms('up');
  }
  const env = stackEnv(profile);
  const work = await mkdtemp(path.join(tmpdir(), 'hms-bench-'));
  if (!OPS.some((op) => only.has(op))) {
    try {
      if (only.has(IDLE)) await runIdle(env, commit);
      if (QUEUE_PARTS.some((p) => only.has(p))) await runQueueParts(env, work, commit);
      if (SCHEDULING_PARTS.some((p) => only.has(p))) await runSchedulingParts(env, work, commit);
    } finally {
      await rm(work, { recursive: true, force: true });
      if (!values.target && !values.keep) {
        log('bringing the bench stack down');
        await hms('down');
      }
    }
    return;
  }
  const pipeline = await openPipeline(env);
  const results: OpResult[] = [];
  let latencies: EventLatency[] = [];
  const ceilings: Record<string, number> = {};
  try {
    const fixtureFile = path.join(work, 'fixture.json');
    const fixture = await createFixture(env, {
      // Enough doctors for every prepared check-in to fall in the check-in window of the next hours.
      doctors: 200,
      patients: 2_000,
      rateLimitMultiplier: 100_000,
      file: fixtureFile,
    });
    // Bookings go to slots days ahead; check-ins need slots within the next hours.
    fixture.firstSlot = new Date(Date.parse(fixture.firstSlot) + 2 * 86_400_000).toISOString();
    log(`fixture: tenant ${fixture.tenantId}, ${fixture.doctors.length} doctors, ${fixture.patients.length} patients`);
    const windows: { book?: [Date, Date]; checkIn?: [Date, Date] } = {};
    const prepared = await bookNearTerm(fixture, WORK.checkIns * 2);
    const readable = prepared.slice(0, 500);
    const extra = {
      appointments: readable.map((a) => a.id),
      checkIns: prepared.map((a) => a.id),
      queueDoctors: [...new Set(readable.map((a) => a.doctorId))],
      queueDate: readable[0]!.serviceDate,
      billedPatients: [...new Set(readable.map((a) => a.patientId))],
    };
    await pipeline.drain(120_000);
    const billing = await billsToPay(env, fixture.tenantId, extra.appointments);
    if (values.bills && only.has('daily-report')) {
      log(`daily-report: loading ${values.bills} bills into the fixture tenant`);
      const loaded = await loadBills(env, fixture.tenantId, Number(values.bills));
      log(
        `daily-report: ${loaded.bills} bills, ${loaded.payments} payments loaded in ${(loaded.ms / 1000).toFixed(0)} s`,
      );
    }
    const clinical = OPS.some((op) => only.has(op) && (op.startsWith('visit-') || op === 'patient-history'))
      ? await makeClinicalHistory(env, fixture, 200)
      : {};
    await writeFile(fixtureFile, JSON.stringify({ ...fixture, ...extra, ...billing, ...clinical }));
    const deadBefore = await pipeline.deadLetters();

    let offset = 0;
    for (const op of OPS) {
      if (!only.has(op)) continue;
      log(`${op}: saturation`);
      const isWrite = op === 'book' || op === 'check-in' || op === 'pay';
      const saturate = isWrite
        ? { HMS_ITERATIONS: op === 'book' ? WORK.saturateWrites : WORK.checkIns, HMS_VUS: WORK.vus, HMS_OFFSET: offset }
        : { HMS_VUS: WORK.vus, HMS_ITERATIONS: 1_000_000, HMS_OFFSET: offset };
      const idleCpuPerSecond = sum((await sampleIdleCpu(env, IDLE_SAMPLE_MS)).values());
      const before = cpuSnapshot(env);
      const windowFrom = Date.now();
      const sat = await runK6({
        k6: `${env.HMS_TOOLS}/bin/k6`,
        op,
        executor: isWrite ? 'saturate' : 'rate',
        fixture: fixtureFile,
        workDir: work,
        env: isWrite ? saturate : { ...saturate, HMS_RATE: 100_000, HMS_DURATION: WORK.readSeconds },
      });
      const drainMs = await pipeline.drain(60_000);
      const used = cpuUsed(before, cpuSnapshot(env));
      const windowSeconds = (Date.now() - windowFrom) / 1000;
      offset += WORK.saturateWrites;

      log(`${op}: ${WORK.rate}/s for ${WORK.rateSeconds}`);
      const rateStarted = new Date();
      const rated = await runK6({
        k6: `${env.HMS_TOOLS}/bin/k6`,
        op,
        executor: 'rate',
        fixture: fixtureFile,
        workDir: work,
        env: {
          HMS_RATE: WORK.rate,
          HMS_DURATION: WORK.rateSeconds,
          HMS_VUS: 64,
          // Check-ins go on after the saturation run's share of the prepared appointments.
          HMS_OFFSET: op === 'check-in' ? WORK.checkIns : offset,
        },
      });
      offset += WORK.rate * parseInt(WORK.rateSeconds, 10);
      if (op === 'book') windows.book = [rateStarted, new Date()];
      if (op === 'check-in') windows.checkIn = [rateStarted, new Date()];
      await pipeline.drain(60_000);
      const cpuSeconds = sum(used.values());
      results.push({
        op,
        saturation: {
          ops: sat.ok,
          failed: sat.failed,
          opsPerSecond: sat.rate,
          cpuSeconds,
          windowSeconds,
          idleCpuPerSecond,
          byComponent: Object.fromEntries(
            [...used].map(([k, v]) => [k, Math.round((v / Math.max(1, sat.ok)) * 1e6) / 1e3]),
          ),
          drainMs,
        },
        atRate: { rate: WORK.rate, p50Ms: rated.p50Ms, p95Ms: rated.p95Ms, p99Ms: rated.p99Ms, failed: rated.failed },
        cpuMsPerOp: (cpuSeconds * 1000) / Math.max(1, sat.ok),
        netCpuMsPerOp: (Math.max(0, cpuSeconds - idleCpuPerSecond * windowSeconds) * 1000) / Math.max(1, sat.ok),
        points: rated.points,
      });
      log(
        `${op}: ${sat.ok} ok, ${sat.rate.toFixed(0)}/s, ${((cpuSeconds * 1000) / Math.max(1, sat.ok)).toFixed(2)} CPU-ms/op; at ${WORK.rate}/s p50 ${rated.p50Ms.toFixed(1)} ms, p95 ${rated.p95Ms.toFixed(1)} ms, ${rated.failed} failed`,
      );
    }
    latencies = await eventLatencies(pipeline.admin, fixture.tenantId, windows);
    const deadLetters = (await pipeline.deadLetters()) - deadBefore;

    log('ceilings');
    // A ceiling that cannot be measured is left out of the table, not the run's figures.
    const ceiling = async (name: string, measure: () => Promise<number>) => {
      try {
        ceilings[name] = await measure();
      } catch (error) {
        log(`ceiling ${name} not measured: ${String(error).split('\n')[0]}`);
      }
    };
    if (only.has('book')) await ceiling('pgbenchBooking', () => pgbenchCeiling(env, fixture, work));
    await ceiling('bareRead', () => bareReadCeiling(env, work, fixture));
    await ceiling('kafkaProducer', () => kafkaCeiling(env));
    for (const r of results) {
      if (r.op === 'book' && ceilings.pgbenchBooking)
        r.ceiling = {
          name: 'pgbench of the booking SQL',
          opsPerSecond: ceilings.pgbenchBooking,
          ratio: r.saturation.opsPerSecond / ceilings.pgbenchBooking,
        };
      else if (r.op !== 'check-in' && r.op !== 'book' && ceilings.bareRead)
        r.ceiling = {
          name: 'nginx -> bare node:http',
          opsPerSecond: ceilings.bareRead,
          ratio: r.saturation.opsPerSecond / ceilings.bareRead,
        };
    }

    const report = {
      commit,
      date: new Date().toISOString(),
      profile,
      quick,
      // The share of traces the stack records (scripts/hms passes the variables on; the Helm chart samples 0.1).
      tracesSampler: tracesSampler(env),
      work: WORK,
      results: results.map(({ points: _p, ...r }) => r),
      eventLatency: latencies,
      deadLetters,
      ceilings,
      targets: TARGETS,
    };
    const base = await resultsPath(commit, quick ? '-quick' : '');
    await writeFile(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
    await writeFile(
      `${base}.svg`,
      renderChart(
        results.map((r) => ({ name: r.op, points: r.points })),
        `HMS latency at ${WORK.rate}/s (${commit})`,
      ),
    );
    printTable(results, latencies, deadLetters, ceilings, report.tracesSampler);
    log(`wrote ${path.relative(ROOT, base)}.json and .svg`);
  } finally {
    await pipeline.close();
    await rm(work, { recursive: true, force: true });
    if (!values.target && !values.keep) {
      log('bringing the bench stack down');
      await hms('down');
    }
  }
}

/** The idle stack's CPU by component (bench/stack/idle.ts), reported and written to bench/results. */
async function runIdle(env: StackEnv, commit: string): Promise<void> {
  const seconds = Number(values.seconds ?? (quick ? 10 : 30));
  log(`idle: sampling the stack's CPU for ${seconds} s`);
  const report = await idleBenchmark(env, seconds);
  printIdle(report);
  const file = `${await resultsPath(commit, '-idle')}.json`;
  await writeFile(file, `${JSON.stringify({ commit, date: new Date().toISOString(), profile, report }, null, 2)}\n`);
  log(`wrote ${path.relative(ROOT, file)}`);
}

/** Scheduling's parts named in --only (bench/scheduling), reported and written to bench/results. */
async function runSchedulingParts(env: StackEnv, work: string, commit: string): Promise<void> {
  const patients = Number(values.patients ?? 1_000_000);
  // Patient search's generated tenant, when an earlier run on this stack made one of this size.
  const searchTenantFile = path.join(env.HMS_HOME!, 'bench-search-tenant.json');
  let tenantId: string | undefined;
  if (only.has('patient-search')) {
    const saved = await readFile(searchTenantFile, 'utf8').then(
      (text) => JSON.parse(text) as { tenantId: string; patients: number },
      () => undefined,
    );
    if (saved?.patients === patients) tenantId = saved.tenantId;
  }
  const fixture = await createFixture(env, {
    doctors: 20,
    patients: 400,
    rateLimitMultiplier: 100_000,
    file: path.join(work, 'fixture.json'),
    ...(tenantId ? { tenantId } : {}),
  });
  log(`fixture: tenant ${fixture.tenantId}, ${fixture.doctors.length} doctors`);
  const parts = new Set(SCHEDULING_PARTS.filter((p) => only.has(p)));
  const reports = await schedulingBenchmarks(env, fixture, parts, {
    workDir: work,
    patients,
    rate: Number(values.rate ?? 100),
    duration: quick ? '5s' : '15s',
    searchTenantFile,
  });
  printScheduling(reports);
  const file = `${await resultsPath(commit, `-scheduling${quick ? '-quick' : ''}`)}.json`;
  await writeFile(
    file,
    `${JSON.stringify({ commit, date: new Date().toISOString(), profile, quick, patients: Number(values.patients ?? 1_000_000), reports }, null, 2)}\n`,
  );
  log(`wrote ${path.relative(ROOT, file)}`);
}

/** The live queue's parts named in --only, each reported and written to bench/results. */
async function runQueueParts(env: StackEnv, work: string, commit: string): Promise<void> {
  const report: {
    predictions?: PredictionReport[];
    queueRead?: QueueReadReport;
    sse?: SseReport;
    leak?: LeakReport;
  } = {};
  if (only.has('predictions')) report.predictions = await predictionBenchmark(quick ? 2 : 5);
  if (only.has('get-queue-300') || only.has('sse') || only.has('sse-leak')) {
    const fixture = await createFixture(env, {
      doctors: 101,
      patients: 300,
      rateLimitMultiplier: 100_000,
      file: path.join(work, 'fixture.json'),
    });
    log(`fixture: tenant ${fixture.tenantId}, ${fixture.doctors.length} doctors`);
    if (only.has('get-queue-300')) {
      log('get-queue-300: filling a queue with 300 entries, then reading it at 100/s');
      report.queueRead = await queueReadBenchmark(env, fixture, {
        workDir: work,
        entries: 300,
        rate: 100,
        duration: quick ? '5s' : '15s',
      });
    }
    if (only.has('sse')) {
      log('sse: connecting the clients');
      report.sse = await sseBenchmark(env, fixture, { clients: quick ? 2_000 : 10_000, queues: 100, log });
    }
    if (only.has('sse-leak')) {
      report.leak = await leakBenchmark(env, fixture, { cycles: quick ? 5_000 : 50_000, log });
    }
  }
  if (report.predictions) printPredictions(report.predictions);
  if (report.queueRead) printQueueRead(report.queueRead);
  if (report.sse) printSse(report.sse);
  if (report.leak) printLeak(report.leak);
  const file = `${await resultsPath(commit, `-queue${quick ? '-quick' : ''}`)}.json`;
  await writeFile(
    file,
    `${JSON.stringify({ commit, date: new Date().toISOString(), profile, quick, ...report }, null, 2)}
`,
  );
  log(`wrote ${path.relative(ROOT, file)}`);
}

function printTable(
  results: OpResult[],
  latencies: EventLatency[],
  deadLetters: number,
  ceilings: Record<string, number>,
  sampler: string,
): void {
  const rows = results.map((r) => {
    const t = TARGETS[r.op];
    const met = t
      ? [
          t.cpuMs === undefined || r.cpuMsPerOp <= t.cpuMs,
          t.opsPerSecond === undefined || r.saturation.opsPerSecond >= t.opsPerSecond,
          t.p95Ms === undefined || r.atRate.p95Ms <= t.p95Ms,
          t.p99Ms === undefined || r.atRate.p99Ms <= t.p99Ms,
        ].every(Boolean)
        ? 'met'
        : 'MISSED'
      : '';
    return [
      r.op,
      r.saturation.opsPerSecond.toFixed(0),
      r.cpuMsPerOp.toFixed(2),
      r.netCpuMsPerOp.toFixed(2),
      r.atRate.p50Ms.toFixed(1),
      r.atRate.p95Ms.toFixed(1),
      r.atRate.p99Ms.toFixed(1),
      r.ceiling ? `${r.ceiling.ratio.toFixed(2)} of ${r.ceiling.opsPerSecond.toFixed(0)}/s` : '-',
      String(r.saturation.failed + r.atRate.failed),
      (r.saturation.drainMs / 1000).toFixed(1),
      t
        ? `${[
            t.cpuMs !== undefined ? `<=${t.cpuMs} CPU-ms` : '',
            t.opsPerSecond ? `>=${t.opsPerSecond}/s` : '',
            t.p95Ms ? `p95<=${t.p95Ms}` : '',
            t.p99Ms ? `p99<=${t.p99Ms}` : '',
          ]
            .filter(Boolean)
            .join(', ')}: ${met}`
        : '',
    ];
  });
  const header = [
    'operation',
    'ops/s sat.',
    'CPU-ms/op',
    'net of idle',
    `p50@${WORK.rate}/s`,
    'p95',
    'p99',
    'ratio to ceiling',
    'errors',
    'drain s',
    'target',
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(`traces recorded: ${sampler}\n`);
  console.log(line(header));
  for (const row of rows) console.log(line(row));
  console.log(`\nevent latency, commit -> applied, at ${WORK.rate}/s (ms):`);
  for (const l of latencies)
    console.log(
      `  ${l.stage.padEnd(48)} n=${l.events}  p50 ${l.p50Ms.toFixed(1)}  p99 ${l.p99Ms.toFixed(1)}  (target p99 <= 100)`,
    );
  console.log(`\ndead letters during the run: ${deadLetters}`);
  console.log(
    `ceilings: pgbench booking SQL ${ceilings.pgbenchBooking?.toFixed(0)} tx/s, nginx->bare node ${ceilings.bareRead?.toFixed(0)} req/s, Kafka producer ${ceilings.kafkaProducer?.toFixed(0)} records/s`,
  );
  console.log('\nCPU-ms per operation by component (saturation run):');
  for (const r of results) {
    const parts = Object.entries(r.saturation.byComponent)
      .sort((a, b) => b[1] - a[1])
      .filter(([, v]) => v >= 0.01);
    console.log(`  ${r.op.padEnd(16)} ${parts.map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')}`);
  }
}

/** Clients of the ceiling: each books its own doctor and patient, as the load spreads its bookings. */
const CEILING_CLIENTS = 8;

/**
 * Transactions per second of the booking's own SQL: pgbench, 8 clients for 10 s (3 s when quick),
 * each in a process of its own with its own doctor and patient (pgbench's variables are the same
 * for all clients of one process). All on one doctor and one patient, the clients queued behind
 * one another's locks on both rows and the doctor's claim lock, which the load (k6/lib/hms.js,
 * bookings spread over the fixture's doctors and patients) never does.
 */
async function pgbenchCeiling(env: StackEnv, fixture: Fixture, work: string): Promise<number> {
  const url = new URL(databaseUrl(env, 'hms_appointments', 'HMS_DB_PASSWORD_APPOINTMENTS'));
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  const doctorIds = fixture.doctors.slice(0, CEILING_CLIENTS);
  const patientIds = fixture.patients.slice(0, CEILING_CLIENTS);
  if (doctorIds.length < CEILING_CLIENTS || patientIds.length < CEILING_CLIENTS) {
    throw new Error(`the ceiling needs ${CEILING_CLIENTS} doctors and patients in the fixture`);
  }
  // As the tenant: row-level security shows the runtime role nothing otherwise.
  await admin.query('BEGIN READ ONLY');
  await admin.query(`SELECT set_config('app.tenant_id', $1, true)`, [fixture.tenantId]);
  const doctors = (
    await admin.query<{ id: string; department_id: string; version: number }>(
      'SELECT id, department_id, version FROM appointments.doctors WHERE id = ANY($1::uuid[])',
      [doctorIds],
    )
  ).rows;
  await admin.query('COMMIT');
  if (doctors.length !== doctorIds.length)
    throw new Error(`doctors of the fixture not found in tenant ${fixture.tenantId}`);
  // Settled, not raced: what the processes that did run wrote is deleted even when one fails.
  const settled = await Promise.allSettled(
    doctors.map((doctor, i) =>
      run(
        `${env.HMS_PG_BIN}/pgbench`,
        [
          '-h',
          '127.0.0.1',
          '-p',
          env.HMS_PG_PORT!,
          '-U',
          'hms_appointments',
          '-n',
          '-M',
          'prepared',
          '-c',
          '1',
          '-T',
          quick ? '3' : '10',
          '-D',
          `tenant=${fixture.tenantId}`,
          '-D',
          `doctor=${doctor.id}`,
          '-D',
          `patient=${patientIds[i]}`,
          '-D',
          `department=${doctor.department_id}`,
          '-D',
          `version=${doctor.version}`,
          '-D',
          'k=0',
          '-f',
          path.join(ROOT, 'bench', 'ceilings', 'booking.pgbench.sql'),
          'hms',
        ],
        { env: { ...process.env, PGPASSWORD: url.password }, cwd: work },
      ),
    ),
  );
  for (const statement of [
    `DELETE FROM appointments.appointment_history WHERE tenant_id = $1 AND actor_id = 'ceiling'`,
    // The ceiling's reminders fall a day or two before its slots, all after 2199-12-30; a join to the
    // appointments by service date took seconds (a nested loop over the tenant's rows).
    `DELETE FROM appointments.appointment_reminders WHERE tenant_id = $1 AND due_at >= '2199-12-30'`,
    `DELETE FROM appointments.slot_claims WHERE tenant_id = $1 AND starts_at >= '2200-01-01'`,
    `DELETE FROM appointments.appointments WHERE tenant_id = $1 AND service_date = '2200-01-01'`,
  ]) {
    await admin.query('BEGIN');
    await admin.query(`SELECT set_config('app.tenant_id', $1, true)`, [fixture.tenantId]);
    await admin.query(statement, [fixture.tenantId]);
    await admin.query('COMMIT');
  }
  await admin.end();
  const outputs = settled.map((r) => {
    if (r.status === 'rejected') throw r.reason;
    return r.value;
  });
  let total = 0;
  for (const { stdout } of outputs) {
    const tps = /tps = ([\d.]+)/.exec(stdout);
    if (!tps) throw new Error(`pgbench printed no tps:\n${stdout}`);
    total += Number(tps[1]);
  }
  return total;
}

/** Requests per second of nginx in front of a bare node:http handler, at saturation. */
async function bareReadCeiling(env: StackEnv, work: string, fixture: Fixture): Promise<number> {
  const nodePort = Number(env.HMS_NGINX_PORT) + 900;
  const nginxPort = Number(env.HMS_NGINX_PORT) + 901;
  const children: ChildProcess[] = [];
  try {
    children.push(
      spawn('node', ['--import', 'tsx', path.join(ROOT, 'bench', 'ceilings', 'bare-http.ts'), String(nodePort)], {
        stdio: 'ignore',
        cwd: ROOT,
      }),
    );
    const conf = path.join(work, 'nginx.conf');
    await writeFile(
      conf,
      `worker_processes 2; pid ${work}/nginx.pid; error_log ${work}/nginx-error.log warn; ${process.getuid?.() === 0 ? 'user nobody nogroup;' : ''}
events { worker_connections 4096; }
http { access_log off; client_body_temp_path ${work}/body; proxy_temp_path ${work}/proxy;
  upstream bare { least_conn; server 127.0.0.1:${nodePort}; keepalive 64; }
  server { listen 127.0.0.1:${nginxPort};
    location / { proxy_pass http://bare; proxy_http_version 1.1; proxy_set_header Connection ""; } } }
`,
    );
    children.push(
      spawn('nginx', ['-p', `${work}/`, '-c', conf, '-g', 'daemon off;', '-e', `${work}/nginx-error.log`], {
        stdio: 'ignore',
      }),
    );
    for (let i = 0; i < 100; i += 1) {
      try {
        if ((await fetch(`http://127.0.0.1:${nginxPort}/`)).ok) break;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const fixtureFile = path.join(work, 'bare.json');
    await writeFile(fixtureFile, JSON.stringify({ ...fixture, bareUrl: `http://127.0.0.1:${nginxPort}/` }));
    const result: K6Run = await runK6({
      k6: `${env.HMS_TOOLS}/bin/k6`,
      op: 'bare',
      executor: 'rate',
      fixture: fixtureFile,
      workDir: work,
      env: { HMS_RATE: 100_000, HMS_DURATION: WORK.readSeconds, HMS_VUS: WORK.vus },
    });
    return result.rate;
  } finally {
    for (const child of children) child.kill('SIGTERM');
  }
}

/** Records per second Kafka's own producer perf tool gets through the broker (acks=all, 400-byte records). */
async function kafkaCeiling(env: StackEnv): Promise<number> {
  const topic = 'hms.bench.ceiling';
  const kafka = createKafka({
    clientId: 'hms-bench',
    brokers: env.HMS_KAFKA_BROKERS!.split(','),
    logger: createLogger({ service: 'bench', level: 'warn' }),
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) {
      await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 6, replicationFactor: 1 }] });
    }
  } finally {
    await admin.disconnect();
  }
  const { stdout } = await run(
    'java',
    [
      '-Xms64m',
      '-Xmx256m',
      `-Dlog4j.configuration=file:${path.join(ROOT, 'scripts', 'kafka', 'tools-log4j.properties')}`,
      '-cp',
      `${env.HMS_KAFKA_HOME}/libs/*`,
      'org.apache.kafka.tools.ProducerPerformance',
      '--topic',
      topic,
      '--num-records',
      quick ? '20000' : '200000',
      '--record-size',
      '400',
      '--throughput',
      '-1',
      '--producer-props',
      `bootstrap.servers=${env.HMS_KAFKA_BROKERS}`,
      'acks=all',
      'enable.idempotence=true',
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  const last = stdout.trim().split('\n').at(-1) ?? '';
  const rate = /([\d.]+) records\/sec/.exec(last);
  if (!rate) throw new Error(`ProducerPerformance printed no rate:\n${stdout}`);
  return Number(rate[1]);
}

await main();
