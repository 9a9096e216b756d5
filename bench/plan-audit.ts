/**
 * How PostgreSQL ran the services' statements under load: auto_explain samples
 * plans of the service roles (as they run, under row-level security, with the
 * plan cache's choices) while a quick benchmark runs, and this prints the
 * statements that read rows only to throw them away (a condition the index did
 * not serve), the ones with the most buffers per call, and whether each was
 * planned for its values (custom) or generically.
 *
 *   npm run bench:plans [-- --target bench] [--only book,list-bills] [--sample 0.05]
 *
 * On a running stack (default the bench profile; `scripts/hms up --profile
 * bench`): sets auto_explain for the service roles (ALTER ROLE, new sessions),
 * restarts the services so their connections take it, runs `npm run bench --
 * --quick` with the parts given, then resets the roles and restarts the
 * services again. Writes bench/results/<date>-<commit>-plans.json. What it
 * found first: the booking's slot check and availability read walked every
 * claim of a doctor (a range `&&` is not leakproof, so row-level security
 * kept it off the index), and statements planned for a new tenant's values
 * walked the tenant's rows through tenant_id-only indexes (docs/performance.md).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { resultsPath, ROOT, stackEnv } from './lib/stack.js';

const { values } = parseArgs({
  options: {
    target: { type: 'string', default: 'bench' },
    only: { type: 'string' },
    sample: { type: 'string', default: '0.03' },
    rate: { type: 'string', default: '30' },
  },
});
const ROLES = ['hms_appointments', 'hms_billing', 'hms_queue', 'hms_audit', 'hms_gateway'];
const env = stackEnv(values.target);
const sample = Number(values.sample);
if (!(sample > 0 && sample <= 1)) throw new Error('--sample is a fraction in (0, 1]');

const admin = new pg.Client({ connectionString: env.HMS_PG_ADMIN_URL });
await admin.connect();
const setRoles = async (settings: Record<string, string> | undefined) => {
  for (const role of ROLES) {
    if (!settings) {
      await admin.query(`ALTER ROLE ${role} RESET ALL`);
      continue;
    }
    for (const [name, value] of Object.entries(settings))
      await admin.query(`ALTER ROLE ${role} SET ${name} = ${value}`);
  }
};
const restart = () => {
  const r = spawnSync('scripts/hms', ['services', 'restart', '--profile', values.target], {
    cwd: ROOT,
    stdio: 'ignore',
  });
  if (r.status !== 0) throw new Error(`scripts/hms services restart --profile ${values.target} failed`);
};

const log = path.join(env.HMS_LOGS!, 'postgres.log');
let from = 0;
try {
  await setRoles({
    'auto_explain.log_min_duration': '0',
    'auto_explain.log_analyze': 'on',
    'auto_explain.log_buffers': 'on',
    'auto_explain.log_timing': 'off',
    'auto_explain.sample_rate': String(sample),
  });
  restart();
  from = statSync(log).size;
  const args = ['run', 'bench', '--', '--target', values.target, '--quick', '--rate', values.rate];
  if (values.only) args.push('--only', values.only);
  const bench = spawnSync('npm', args, { cwd: ROOT, stdio: 'inherit' });
  if (bench.status !== 0) throw new Error('the benchmark failed');
} finally {
  await setRoles(undefined);
  await admin.end();
  restart();
}

interface Statement {
  text: string;
  roles: Set<string>;
  sampled: number;
  custom: number;
  rowsRemoved: number;
  buffers: number;
  worst?: { rowsRemoved: number; plan: string };
}
const statements = new Map<string, Statement>();
const entries = readFileSync(log)
  .subarray(from)
  .toString('utf8')
  .split(/\n(?=\S.*LOG: {2}duration: )/);
for (const entry of entries) {
  const query = /Query Text: (.*)/.exec(entry);
  const role = /\] (\w+)@/.exec(entry)?.[1];
  if (!query || !role || !ROLES.includes(role)) continue;
  const plan = entry.slice(entry.indexOf('\n', query.index));
  const text = query[1]!.trim().replace(/\s+/g, ' ').slice(0, 120);
  const s = statements.get(text) ?? {
    text,
    roles: new Set<string>(),
    sampled: 0,
    custom: 0,
    rowsRemoved: 0,
    buffers: 0,
  };
  const removed = [...plan.matchAll(/Rows Removed by Filter: (\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
  const buffers = /Buffers: shared hit=(\d+)(?: read=(\d+))?/.exec(plan);
  s.roles.add(role);
  s.sampled += 1;
  // A plan made for the values compares with them (the tenant's id, say); a generic one with $n.
  if (/(Index Cond|One-Time Filter): [^\n]*= '[^']*'::uuid/.test(plan)) s.custom += 1;
  s.rowsRemoved += removed;
  s.buffers += buffers ? Number(buffers[1]) + Number(buffers[2] ?? 0) : 0;
  if (removed > (s.worst?.rowsRemoved ?? 0)) s.worst = { rowsRemoved: removed, plan };
  statements.set(text, s);
}

const list = [...statements.values()];
const perCall = (s: Statement, n: number) => n / s.sampled;
const print = (title: string, rows: Statement[]) => {
  console.log(`\n${title}`);
  console.log('sampled  custom  rows removed/call  buffers/call  role(s)  statement');
  for (const s of rows) {
    console.log(
      `${String(s.sampled).padStart(7)}  ${String(s.custom).padStart(6)}  ${perCall(s, s.rowsRemoved).toFixed(1).padStart(17)}  ${perCall(s, s.buffers).toFixed(1).padStart(12)}  ${[...s.roles].join(',')}  ${s.text}`,
    );
  }
};
print(
  'Statements that read rows to throw them away (rows removed by a filter, per sampled call):',
  list
    .filter((s) => s.rowsRemoved > 0)
    .sort((a, b) => perCall(b, b.rowsRemoved) - perCall(a, a.rowsRemoved))
    .slice(0, 15),
);
print('Most buffers per call:', [...list].sort((a, b) => perCall(b, b.buffers) - perCall(a, a.buffers)).slice(0, 15));

const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).toString().trim();
const out = `${await resultsPath(commit, '-plans')}.json`;
await writeFile(
  out,
  `${JSON.stringify(
    {
      target: values.target,
      sampleRate: sample,
      only: values.only ?? 'all',
      statements: list
        .sort((a, b) => perCall(b, b.rowsRemoved) - perCall(a, a.rowsRemoved))
        .map((s) => ({ ...s, roles: [...s.roles].join(',') })),
    },
    null,
    2,
  )}\n`,
);
console.log(`\nwrote ${path.relative(ROOT, out)}`);
