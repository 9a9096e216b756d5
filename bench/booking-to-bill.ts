/**
 * End-to-end latency from a booking request to its bill being readable
 * through the public API, against a running stack (default: the dev stack of
 * `npm start`). Baseline measured in the same run: the round trip of reading
 * one appointment through the same path (nginx -> gateway -> gRPC ->
 * PostgreSQL), so the ratio shows what the asynchronous hops (outbox relay,
 * Kafka, billing consumer) add on this machine, whatever its load.
 *
 *   npm run bench:e2e [-- --runs 20]      (HMS_PROFILE=test for the test stack)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createFixture } from './lib/fixture.js';
import { stackEnv } from './lib/stack.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '20' } } });
const runs = Number(values.runs);
const profile = process.env.HMS_PROFILE ?? 'dev';

// A tenant of its own, with an API key and budgets that a polling loop cannot exhaust.
const work = await mkdtemp(path.join(tmpdir(), 'hms-bench-e2e-'));
const fixture = await createFixture(stackEnv(profile), {
  doctors: 1,
  patients: 20,
  rateLimitMultiplier: 100_000,
  file: path.join(work, 'fixture.json'),
}).finally(() => rm(work, { recursive: true, force: true }));
const { api } = fixture;
const seed = { patients: fixture.patients.map((id) => ({ id })) };
const doctor = { id: fixture.doctors[0]! };
const headers = { authorization: `Bearer ${fixture.token}`, 'content-type': 'application/json' };

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

// Slots far enough ahead not to collide with a demo user's bookings of the next hours.
const quarter = 15 * 60_000;
const firstSlot = Math.floor(Date.now() / quarter) + 4 * 24 * 4 + Math.floor(Math.random() * 5_000);

const endToEnd: number[] = [];
const readBaseline: number[] = [];
for (let i = 0; i < runs; i += 1) {
  const started = performance.now();
  const booked = await fetch(`${api}/appointments`, {
    method: 'POST',
    headers: { ...headers, 'idempotency-key': `bench-${Date.now()}-${i}` },
    body: JSON.stringify({
      patientId: seed.patients[i % seed.patients.length]!.id,
      doctorId: doctor.id,
      startsAt: new Date((firstSlot + i) * quarter).toISOString(),
    }),
  });
  if (booked.status !== 201) throw new Error(`booking failed: ${booked.status} ${await booked.text()}`);
  const { appointment } = (await booked.json()) as { appointment: { id: string } };
  for (;;) {
    const bills = (await (await fetch(`${api}/bills?appointmentId=${appointment.id}`, { headers })).json()) as {
      data: unknown[];
    };
    if (bills.data.length > 0) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  endToEnd.push(performance.now() - started);

  const readStarted = performance.now();
  const read = await fetch(`${api}/appointments/${appointment.id}`, { headers });
  await read.arrayBuffer();
  readBaseline.push(performance.now() - readStarted);
}

const e2e = median(endToEnd);
const base = median(readBaseline);
console.log(`runs: ${runs} (profile ${profile})`);
console.log(
  `booking -> bill readable: median ${e2e.toFixed(1)} ms (min ${Math.min(...endToEnd).toFixed(1)}, max ${Math.max(...endToEnd).toFixed(1)})`,
);
console.log(`baseline, one read through the same path: median ${base.toFixed(1)} ms`);
console.log(`ratio: ${(e2e / base).toFixed(1)}x the baseline`);
