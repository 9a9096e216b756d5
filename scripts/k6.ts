/**
 * Runs a release load stage (k6/release.js) against a running local stack:
 *
 *   npm run k6 -- <smoke|load|stress|spike|soak|breakpoint> [--profile dev|test|bench]
 *   npm run k6 -- doctor-day [--profile ...]   a doctor's day of visits (k6/doctor-day.js)
 *
 * Makes the run's own tenant (a request budget that allows the load, never a
 * higher limit for everyone), with doctors, patients and a few checked-in
 * appointments, then runs k6 and writes its HTML report and summary JSON to
 * k6/reports/. Exits non-zero when a threshold broke (k6's exit code).
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createReleaseFixture } from '../bench/lib/fixture.js';
import { ROOT, stackEnv } from '../bench/lib/stack.js';

const STAGES = ['smoke', 'short', 'load', 'stress', 'spike', 'soak', 'breakpoint', 'doctor-day'];
const { values, positionals } = parseArgs({
  options: { profile: { type: 'string', default: process.env.HMS_PROFILE ?? 'dev' } },
  allowPositionals: true,
});
const stage = positionals[0] ?? 'smoke';
if (!STAGES.includes(stage)) {
  console.error(`usage: npm run k6 -- <${STAGES.join('|')}> [--profile dev|test|bench]`);
  process.exit(64);
}

const env = stackEnv(values.profile!);
const work = await mkdtemp(path.join(tmpdir(), 'hms-k6-'));
let code = 1;
try {
  const fixtureFile = path.join(work, 'fixture.json');
  await createReleaseFixture(env, fixtureFile);

  const reports = path.join(ROOT, 'k6', 'reports');
  await mkdir(reports, { recursive: true });
  const stamp = `${stage}-${new Date().toISOString().slice(0, 19).replaceAll(':', '')}`;
  code = await new Promise<number>((resolve) => {
    const child = spawn(
      `${env.HMS_TOOLS}/bin/k6`,
      [
        'run',
        '--no-color',
        '--summary-export',
        path.join(reports, `${stamp}-summary.json`),
        '-e',
        `HMS_STAGE=${stage}`,
        '-e',
        `HMS_FIXTURE=${fixtureFile}`,
        path.join(ROOT, 'k6', stage === 'doctor-day' ? 'doctor-day.js' : 'release.js'),
      ],
      {
        stdio: 'inherit',
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '',
          K6_NO_USAGE_REPORT: 'true',
          K6_WEB_DASHBOARD: 'true',
          K6_WEB_DASHBOARD_PORT: '-1',
          K6_WEB_DASHBOARD_EXPORT: path.join(reports, `${stamp}-report.html`),
        },
      },
    );
    child.on('exit', (exitCode) => resolve(exitCode ?? 1));
  });
  console.log(`k6 ${stage}: exit ${code}; report k6/reports/${stamp}-report.html, summary ${stamp}-summary.json`);
} finally {
  await rm(work, { recursive: true, force: true });
}
process.exit(code);
