/** Runs one k6 scenario of k6/bench.js and reads back what the benchmark needs. */
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { ROOT } from './stack.js';

const run = promisify(execFile);

export interface K6Run {
  /** Requests that passed their check. */
  ok: number;
  failed: number;
  seconds: number;
  /** Requests per second over the run, as k6 counted them. */
  rate: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  /** Latency over the run: [seconds since start, ms] of every request. */
  points: [number, number][];
}

export async function runK6(options: {
  /** The k6 binary scripts/install.sh built ($HMS_TOOLS/bin/k6). */
  k6: string;
  op: string;
  executor: 'saturate' | 'rate';
  fixture: string;
  workDir: string;
  env?: Record<string, string | number>;
}): Promise<K6Run> {
  const summary = path.join(options.workDir, `${options.op}-${options.executor}-summary.json`);
  const points = path.join(options.workDir, `${options.op}-${options.executor}-points.json`);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    K6_NO_USAGE_REPORT: 'true',
  };
  const args = [
    'run',
    '--quiet',
    '--no-color',
    '--summary-export',
    summary,
    '--out',
    `json=${points}`,
    '-e',
    `HMS_OP=${options.op}`,
    '-e',
    `HMS_EXECUTOR=${options.executor}`,
    '-e',
    `HMS_FIXTURE=${options.fixture}`,
    ...Object.entries(options.env ?? {}).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
    path.join(ROOT, 'k6', 'bench.js'),
  ];
  const started = Date.now();
  await run(options.k6, args, { env, maxBuffer: 64 * 1024 * 1024 });
  const seconds = (Date.now() - started) / 1000;
  const s = JSON.parse(await readFile(summary, 'utf8')) as {
    metrics: Record<string, Record<string, number>>;
  };
  const checks = s.metrics.checks ?? { passes: 0, fails: 0 };
  const duration = s.metrics.http_req_duration ?? {};
  const series: [number, number][] = [];
  let t0: number | undefined;
  // Read line by line: a ceiling run at 10,000+ requests/s writes more than a string can hold.
  for await (const line of createInterface({ input: createReadStream(points), crlfDelay: Infinity })) {
    if (!line.includes('"http_req_duration"') || !line.includes('"Point"')) continue;
    const point = JSON.parse(line) as { data: { time: string; value: number } };
    const t = Date.parse(point.data.time);
    t0 ??= t;
    series.push([(t - t0) / 1000, point.data.value]);
  }
  await rm(points, { force: true });
  return {
    ok: checks.passes ?? 0,
    failed: checks.fails ?? 0,
    seconds,
    rate: s.metrics.http_reqs?.rate ?? 0,
    p50Ms: duration.med ?? Number.NaN,
    p95Ms: duration['p(95)'] ?? Number.NaN,
    p99Ms: duration['p(99)'] ?? Number.NaN,
    points: series,
  };
}
