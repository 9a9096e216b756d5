/**
 * GET /queues/{doctorId} of a queue of 300 entries, through nginx, at a fixed
 * rate with k6 (npm run bench -- --only get-queue-300). Target (issue 9):
 * p95 <= 10 ms.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Fixture } from '../lib/fixture.js';
import { runK6 } from '../lib/k6.js';
import type { StackEnv } from '../lib/stack.js';

export interface QueueReadReport {
  entries: number;
  rate: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  failed: number;
}

export async function queueReadBenchmark(
  env: StackEnv,
  fixture: Fixture,
  options: { workDir: string; entries: number; rate: number; duration: string },
): Promise<QueueReadReport> {
  const doctorId = fixture.doctors.at(-1)!;
  for (let i = 0; i < options.entries; i += 1) {
    const r = await fetch(`${fixture.api}/queues/${doctorId}/walk-ins`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fixture.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        patientId: fixture.patients[i % fixture.patients.length],
        priority: i % 7 === 0 ? 'senior' : 'normal',
      }),
    });
    if (r.status !== 201) throw new Error(`filling the queue failed: ${r.status} ${await r.text()}`);
  }
  const check = (await (
    await fetch(`${fixture.api}/queues/${doctorId}`, { headers: { authorization: `Bearer ${fixture.token}` } })
  ).json()) as {
    entries: unknown[];
    serviceDate: string;
  };
  if (check.entries.length !== options.entries) throw new Error(`the queue holds ${check.entries.length} entries`);
  const file = path.join(options.workDir, 'queue-read.json');
  await writeFile(file, JSON.stringify({ ...fixture, queueDoctors: [doctorId], queueDate: check.serviceDate }));
  const run = await runK6({
    k6: `${env.HMS_TOOLS}/bin/k6`,
    op: 'get-queue',
    executor: 'rate',
    fixture: file,
    workDir: options.workDir,
    env: { HMS_RATE: options.rate, HMS_DURATION: options.duration, HMS_VUS: 16 },
  });
  return {
    entries: options.entries,
    rate: options.rate,
    p50Ms: run.p50Ms,
    p95Ms: run.p95Ms,
    p99Ms: run.p99Ms,
    failed: run.failed,
  };
}

export function printQueueRead(r: QueueReadReport): void {
  console.log(
    `\nGET /queues/{doctorId} of ${r.entries} entries through nginx at ${r.rate}/s: p50 ${r.p50Ms.toFixed(1)} ms, p95 ${r.p95Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms, ${r.failed} failed (target p95 <= 10 ms)`,
  );
}
