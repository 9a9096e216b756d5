/**
 * The soak of the benchmark suite (issue 14): the fault scenarios' front-desk
 * load (bookings, check-ins and payments through nginx, e2e/chaos/load.ts)
 * held for a long time against the running test stack, while every component
 * is sampled: open file descriptors and resident memory of each process tree,
 * each Node service's V8 heap (from its /metrics), PostgreSQL connections by
 * role, consumer lag over every group and the outbox not yet published. Then
 * the invariant checker, as after every fault.
 *
 *   npm run soak                    30 minutes on a fresh test stack (scripts/hms soak), left down
 *   npm run soak -- --minutes 5     shorter
 *
 * "Flat" compares the second fifth of the run (after the warm-up) with the last
 * fifth: a leak grows between them, a steady service does not. Bounds per
 * figure are in FLAT below. Writes .hms/test-reports/soak.json and soak.svg, and
 * exits 1 when a figure is not flat, the pipeline does not drain, or an
 * invariant breaks.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createKafka, createLogger, type Admin } from '@hms/platform';
import { testEnv } from '@hms/platform/testing';
import pg from 'pg';
import { createChecker, describeReport } from '../e2e/chaos/invariants.js';
import { describeStatuses, startLoad } from '../e2e/chaos/load.js';
import { loadTenants } from '../e2e/chaos/scenarios.js';
import { renderChart } from './lib/report.js';
import { ROOT } from './lib/stack.js';

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '30' } } });
const minutes = Number(values.minutes);
if (!(minutes >= 1)) throw new Error('--minutes must be a number >= 1');
const sampleMs = Math.max(5_000, Math.round((minutes * 60_000) / 120));

/** What may change between the second and the last fifth before a figure counts as growing. */
const FLAT = {
  fds: (early: number) => early * 1.1 + 8,
  heapMb: (early: number) => early * 1.15 + 8,
  nodeRssMb: (early: number) => early * 1.15 + 24,
  connections: (early: number) => early + 3,
  lag: (early: number) => early * 1.5 + 200,
};

const NODE_SERVICES = ['gateway-1', 'gateway-2', 'appointments', 'billing', 'queue', 'audit'];

interface Sample {
  t: number;
  fds: Record<string, number>;
  rssMb: Record<string, number>;
  heapMb: Record<string, number>;
  connections: Record<string, number>;
  lag: number;
  outbox: number;
}

const env = testEnv();
const run = path.join(ROOT, '.hms', 'test', 'run');
const log = (message: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} [soak] ${message}\n`);

/** The stack's components: each pid file names a leader, and its descendants belong to it. */
function leaders(): Map<number, string> {
  const found = new Map<number, string>();
  for (const file of readdirSync(run)) {
    if (!file.endsWith('.pid')) continue;
    const pid = Number(readFileSync(path.join(run, file), 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0) found.set(pid, file.slice(0, -4));
  }
  return found;
}

/** Open descriptors and resident MB per component, summed over its process tree. */
function processFigures(): { fds: Record<string, number>; rssMb: Record<string, number> } {
  const heads = leaders();
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const fds: Record<string, number> = {};
  const rssMb: Record<string, number> = {};
  for (const pid of parents.keys()) {
    let at: number | undefined = pid;
    let name: string | undefined;
    for (let depth = 0; at !== undefined && at > 1 && depth < 64 && !name; depth += 1) {
      name = heads.get(at);
      at = parents.get(at);
    }
    if (!name) continue;
    try {
      fds[name] = (fds[name] ?? 0) + readdirSync(`/proc/${pid}/fd`).length;
      const kb = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
      rssMb[name] = (rssMb[name] ?? 0) + kb / 1024;
    } catch {
      // gone meanwhile
    }
  }
  return { fds, rssMb };
}

function opsPorts(): Record<string, number> {
  const ports: Record<string, number> = {};
  (env.HMS_GATEWAY_OPS_PORTS ?? '')
    .split(' ')
    .filter(Boolean)
    .forEach((p, i) => (ports[`gateway-${i + 1}`] = Number(p)));
  for (const s of NODE_SERVICES.filter((n) => !n.startsWith('gateway'))) {
    // scripts/hms soak runs this with the test profile's environment loaded.
    ports[s] = Number(process.env[`HMS_${s.toUpperCase()}_OPS_PORT`]);
  }
  return ports;
}

async function heaps(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  await Promise.all(
    Object.entries(opsPorts()).map(async ([name, port]) => {
      try {
        const text = await (
          await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5_000) })
        ).text();
        const used = /^nodejs_heap_size_used_bytes(?:\{[^}]*\})? (\S+)$/m.exec(text)?.[1];
        if (used) out[name] = Number(used) / 1024 / 1024;
      } catch {
        // a missing sample shows as a gap
      }
    }),
  );
  return out;
}

async function consumerLag(admin: Admin): Promise<number> {
  const { groups } = await admin.listGroups();
  const ends = new Map<string, Map<number, number>>();
  let total = 0;
  for (const { groupId } of groups.filter((g) => g.groupId.startsWith('hms.'))) {
    for (const { topic, partitions } of await admin.fetchOffsets({ groupId })) {
      if (!ends.has(topic)) {
        ends.set(topic, new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)])));
      }
      for (const p of partitions) {
        const committed = Number(p.offset);
        if (committed >= 0) total += Math.max(0, (ends.get(topic)!.get(p.partition) ?? 0) - committed);
      }
    }
  }
  return total;
}

async function main(): Promise<void> {
  const db = new pg.Pool({ connectionString: env.HMS_PG_ADMIN_URL, max: 1 });
  db.on('error', () => undefined);
  const kafka = createKafka({
    clientId: 'hms-soak',
    brokers: env.HMS_KAFKA_BROKERS!.split(','),
    logger: createLogger({ service: 'soak', level: 'warn' }),
  });
  const admin = kafka.admin();
  await admin.connect();
  const outboxSql = ['appointments', 'billing', 'queue', 'audit', 'identity']
    .map((s) => `(SELECT count(*) FROM ${s}_messaging.outbox WHERE published_at IS NULL)`)
    .join(' + ');

  const sample = async (t: number): Promise<Sample> => {
    const { rows } = await db.query<{ role: string; n: string }>(
      `SELECT usename AS role, count(*) AS n FROM pg_stat_activity WHERE datname = 'hms' AND usename LIKE 'hms_%' GROUP BY 1`,
    );
    const outbox = Number((await db.query<{ n: string }>(`SELECT ${outboxSql} AS n`)).rows[0]!.n);
    return {
      t,
      ...processFigures(),
      heapMb: await heaps(),
      connections: Object.fromEntries(rows.map((r) => [r.role, Number(r.n)])),
      lag: await consumerLag(admin),
      outbox,
    };
  };

  const tenants = await loadTenants(3);
  log(`load: 3 tenants, 2 desks each and a cashier, for ${minutes} min; a sample every ${sampleMs / 1000} s`);
  const started = Date.now();
  const load = startLoad({ tenants, workersPerTenant: 2, thinkMs: 300 });
  const samples: Sample[] = [];
  try {
    while (Date.now() - started < minutes * 60_000) {
      await new Promise((r) => setTimeout(r, sampleMs));
      const s = await sample((Date.now() - started) / 1000);
      samples.push(s);
      const heap = Object.values(s.heapMb).reduce((a, b) => a + b, 0);
      log(`${s.t.toFixed(0)} s: ${load.stats.accepted} accepted, heap ${heap.toFixed(0)} MB, lag ${s.lag}`);
    }
  } finally {
    await load.stop();
  }

  // The pipeline drains once the load stops, and nothing was lost or doubled.
  const stopped = Date.now();
  let drainedMs = Number.NaN;
  while (Date.now() - stopped < 60_000) {
    const { lag, outbox } = await sample(0);
    if (lag === 0 && outbox === 0) {
      drainedMs = Date.now() - stopped;
      break;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  const checker = createChecker();
  const report = await checker.check(load.ledger, { settleTimeoutMs: 120_000 });
  await checker.close();
  await admin.disconnect();
  await db.end();

  // Second fifth against the last fifth.
  const fifth = Math.max(1, Math.floor(samples.length / 5));
  const early = samples.slice(fifth, 2 * fifth);
  const late = samples.slice(-fifth);
  const mean = (xs: number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);
  const rows: { figure: string; early: number; late: number; bound: number; flat: boolean }[] = [];
  const judge = (figure: string, pick: (s: Sample) => number | undefined, bound: (e: number) => number) => {
    const e = mean(early.map(pick).filter((v): v is number => v !== undefined));
    const l = mean(late.map(pick).filter((v): v is number => v !== undefined));
    rows.push({ figure, early: e, late: l, bound: bound(e), flat: l <= bound(e) });
  };
  const components = [...new Set(samples.flatMap((s) => Object.keys(s.fds)))].sort();
  // PostgreSQL's backends open each relation's files when they first touch them and keep them
  // (up to max_files_per_process): its count climbs as tables grow. Its connections are judged.
  for (const c of components.filter((n) => n !== 'postgres')) judge(`open fds ${c}`, (s) => s.fds[c], FLAT.fds);
  for (const c of NODE_SERVICES) {
    judge(`heap MB ${c}`, (s) => s.heapMb[c], FLAT.heapMb);
    judge(`RSS MB ${c}`, (s) => s.rssMb[c], FLAT.nodeRssMb);
  }
  const roles = [...new Set(samples.flatMap((s) => Object.keys(s.connections)))].sort();
  for (const r of roles) judge(`connections ${r}`, (s) => s.connections[r] ?? 0, FLAT.connections);
  judge('consumer lag (all groups)', (s) => s.lag, FLAT.lag);

  const seconds = (Date.now() - started) / 1000;
  const bookings = load.ledger.bookings.length;
  console.log(
    `\nsoak: ${minutes} min, ${bookings} bookings (${(bookings / (minutes * 60)).toFixed(1)}/s), ` +
      `${load.ledger.checkIns.length} check-ins, ${load.ledger.payments.length} payments; answers ${describeStatuses(load.stats)}; ` +
      `max latency ${load.stats.maxLatencyMs} ms; drained ${Number.isNaN(drainedMs) ? 'NOT within 60 s' : `in ${drainedMs} ms`}`,
  );
  console.log('\n| figure | 2nd fifth | last fifth | bound | flat |\n| --- | --- | --- | --- | --- |');
  for (const r of rows) {
    console.log(
      `| ${r.figure} | ${r.early.toFixed(1)} | ${r.late.toFixed(1)} | ${r.bound.toFixed(1)} | ${r.flat ? 'yes' : 'NO'} |`,
    );
  }
  console.log(`\n${describeReport(report)}`);
  // What the judgement leaves out (PostgreSQL's descriptors and shared memory counted per
  // backend, the JVM's RSS growing to its heap limit on purpose) is still in the JSON.
  const reports = path.join(ROOT, '.hms', 'test-reports');
  writeFileSync(
    path.join(reports, 'soak.json'),
    JSON.stringify({ minutes, seconds, stats: load.stats, drainedMs, rows, report, samples }, null, 2),
  );
  const series = (name: string, pick: (s: Sample) => number | undefined) => ({
    name,
    points: samples.flatMap((s): [number, number][] => {
      const v = pick(s);
      return v === undefined ? [] : [[s.t, v]];
    }),
  });
  writeFileSync(
    path.join(reports, 'soak.svg'),
    renderChart(
      NODE_SERVICES.map((c) => series(`${c} heap`, (s) => s.heapMb[c])),
      `Soak: V8 heap of each service over ${minutes} min`,
      { unit: 'MB', legend: '' },
    ),
  );
  log(`wrote ${path.join(reports, 'soak.json')} and soak.svg`);
  const failed = rows.some((r) => !r.flat) || Number.isNaN(drainedMs) || !report.ok || load.stats.violations.length > 0;
  if (load.stats.violations.length > 0) console.log(`violations: ${load.stats.violations.slice(0, 10).join('; ')}`);
  process.exit(failed ? 1 : 0);
}

await main();
