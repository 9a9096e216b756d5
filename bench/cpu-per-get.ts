/**
 * CPU the whole stack spends on one GET of an appointment (nginx -> gateway ->
 * gRPC -> appointments -> PostgreSQL), from the services' own
 * process_cpu_seconds_total before and after a bounded burst of reads, against
 * a running stack (default: the dev stack of `npm start`; loopback only).
 * nginx, PostgreSQL and Redis are not counted: only our processes. Mind the
 * tenant rate limit (RATE_LIMIT_PER_TENANT_PER_MINUTE, 6000 by default): one
 * run reads 1500 + 200 times, so run it at most three times a minute.
 *
 *   npm run bench:cpu [-- --requests 1500 --concurrency 8]   (HMS_PROFILE=test for the test stack)
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const { values } = parseArgs({
  options: { requests: { type: 'string', default: '1500' }, concurrency: { type: 'string', default: '8' } },
});
const requests = Math.min(20_000, Number(values.requests));
const concurrency = Math.min(64, Number(values.concurrency));
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const profile = process.env.HMS_PROFILE ?? 'dev';
const home = path.join(root, '.hms', profile);

const ports = execFileSync(
  'bash',
  ['-c', 'source scripts/lib/env.sh && echo "$HMS_NGINX_PORT|$HMS_GATEWAY_OPS_PORTS|$HMS_APPOINTMENTS_OPS_PORT"'],
  { cwd: root, env: { ...process.env, HMS_PROFILE: profile } },
)
  .toString()
  .trim()
  .split('|');
const api = `http://127.0.0.1:${ports[0]}/api/v1`;
const opsPorts = [...ports[1]!.split(' '), ports[2]!].map(Number);
const token = readFileSync(path.join(home, 'demo-token'), 'utf8').trim();
const seed = JSON.parse(readFileSync(path.join(home, 'demo-seed.json'), 'utf8')) as {
  doctors: { id: string; fullName: string }[];
  patients: { id: string }[];
};
const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

async function cpuSeconds(): Promise<number> {
  let total = 0;
  for (const port of opsPorts) {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const line = /^process_cpu_seconds_total(?:\{[^}]*\})? (\S+)$/m.exec(text);
    if (!line) throw new Error(`no process_cpu_seconds_total on :${port}`);
    total += Number(line[1]);
  }
  return total;
}

// One appointment to read, far from the demo's own bookings.
const quarter = 15 * 60_000;
const booked = await fetch(`${api}/appointments`, {
  method: 'POST',
  headers: { ...headers, 'idempotency-key': `bench-cpu-${Date.now()}` },
  body: JSON.stringify({
    patientId: seed.patients[0]!.id,
    doctorId: seed.doctors.find((d) => d.fullName === 'Dr. Night Desk')!.id,
    startsAt: new Date((Math.floor(Date.now() / quarter) + 5 * 96 + Math.floor(Math.random() * 5_000)) * quarter),
  }),
});
if (booked.status !== 201) throw new Error(`booking failed: ${booked.status} ${await booked.text()}`);
const { appointment } = (await booked.json()) as { appointment: { id: string } };
const url = `${api}/appointments/${appointment.id}`;

async function burst(n: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        next += 1;
        const r = await fetch(url, { headers });
        if (r.status !== 200) throw new Error(`GET answered ${r.status}`);
        await r.arrayBuffer();
      }
    }),
  );
}

await burst(Math.min(200, requests)); // warm-up: JIT, pools, caches
const before = await cpuSeconds();
const started = performance.now();
await burst(requests);
const seconds = (performance.now() - started) / 1000;
const cpuMs = ((await cpuSeconds()) - before) * 1000;
console.log(
  `${requests} GETs at concurrency ${concurrency}: ${(requests / seconds).toFixed(0)}/s, ` +
    `${(cpuMs / requests).toFixed(3)} CPU-ms per GET (gateways + appointments)`,
);
