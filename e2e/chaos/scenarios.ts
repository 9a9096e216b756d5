/**
 * The fault scenarios of `npm run chaos` and of the e2e chaos suite: each one
 * drives bookings, check-ins and payments through nginx (load.ts), injects
 * its fault into the running test stack with the operator's own scripts,
 * removes it, measures how long the system took to recover, and ends with the
 * invariant checker. `full` durations are the (60 s outages); `short`
 * ones keep `npm test` fast.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { newId } from '@hms/platform';
import { testEnv } from '@hms/platform/testing';
import { openSse, type SseStream } from '../support/sse.js';
import { apiBase, newTenant, ROOT, slot, stack, tokenFor } from '../support/stack.js';
import { createChecker, type Checker, type InvariantReport } from './invariants.js';
import { describeStatuses, startLoad, type LoadStats, type LoadTenant } from './load.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export type Scale = 'short' | 'full';

export interface ScenarioResult {
  fault: string;
  stats: LoadStats;
  report: InvariantReport;
  /** From the fault's removal until the stack is healthy again (readiness and a successful request). */
  recoveryMs: number;
  /** Scenario-specific figures (e.g. lag back to 0 after the broker returned). */
  figures: Record<string, number | string>;
  /** Expectations of the scenario that did not hold (besides the invariants and the edge's contract). */
  problems: string[];
}

export interface Scenario {
  name: string;
  run(scale: Scale, checker: Checker): Promise<ScenarioResult>;
}

const BACKENDS = ['appointments', 'billing', 'queue', 'audit'] as const;

function opsPorts(): Record<string, number> {
  const env = process.env;
  const gateways = (testEnv().HMS_GATEWAY_OPS_PORTS ?? '').split(' ').filter(Boolean);
  const ports: Record<string, number> = {};
  gateways.forEach((p, i) => (ports[`gateway-${i + 1}`] = Number(p)));
  for (const b of BACKENDS) ports[b] = Number(env[`HMS_${b.toUpperCase()}_OPS_PORT`]);
  return ports;
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

async function ready(port: number): Promise<boolean> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2_000) });
    return r.status === 200;
  } catch {
    return false;
  }
}

/** Every service ready and a read through nginx answered 200. */
async function healthy(tenant: LoadTenant): Promise<boolean> {
  const ports = Object.values(opsPorts());
  if (!(await Promise.all(ports.map(ready))).every(Boolean)) return false;
  try {
    const r = await fetch(`${apiBase()}/bills?limit=1`, {
      headers: { authorization: `Bearer ${tenant.clerkToken}` },
      signal: AbortSignal.timeout(3_000),
    });
    return r.status === 200;
  } catch {
    return false;
  }
}

/** Milliseconds from `since` until `probe` holds (polled), at most `timeoutMs`. */
async function timeUntil(since: number, probe: () => Promise<boolean>, timeoutMs = 120_000): Promise<number> {
  for (;;) {
    if (await probe().catch(() => false)) return Date.now() - since;
    if (Date.now() - since > timeoutMs) return Number.NaN;
    await sleep(250);
  }
}

export async function loadTenants(n: number): Promise<LoadTenant[]> {
  const tenants: LoadTenant[] = [];
  for (let i = 0; i < n; i += 1) {
    const t = await newTenant(`Chaos ${newId()}`);
    tenants.push({ ...t, clerkToken: await tokenFor(t.tenantId, 'chaos-cashier', ['BILLING_CLERK']) });
  }
  return tenants;
}

function pidOf(name: string): number {
  const home = path.join(ROOT, '.hms', process.env.HMS_PROFILE ?? 'test');
  return Number(readFileSync(path.join(home, 'run', `${name}.pid`), 'utf8').trim());
}

interface FaultContext {
  tenants: LoadTenant[];
  stats: LoadStats;
  problems: string[];
  figures: ScenarioResult['figures'];
  /** Call when the fault is removed (the part is starting again): recovery is timed from here. */
  removed(): void;
}

/**
 * The common frame: tenants, load, `inject` while it runs (returns when the
 * fault is removed, with when that was), then the load stops and the checker runs.
 */
async function underLoad(
  fault: string,
  scale: Scale,
  checker: Checker,
  inject: (ctx: FaultContext) => Promise<void>,
): Promise<ScenarioResult> {
  const tenants = await loadTenants(scale === 'full' ? 3 : 1);
  // About 10 bookings a second with their check-ins and payments: a busy hospital, not a benchmark.
  const load = startLoad({ tenants, workersPerTenant: scale === 'full' ? 2 : 3, thinkMs: 300 });
  const problems: string[] = [];
  const figures: ScenarioResult['figures'] = {};
  let recoveryMs = Number.NaN;
  try {
    await sleep(scale === 'full' ? 5_000 : 2_000);
    let recovery: Promise<number> | undefined;
    // Recovery is timed from the fault's removal, while the scenario goes on measuring.
    const removed = () => {
      const at = Date.now();
      recovery ??= timeUntil(at, () => healthy(tenants[0]!));
    };
    await inject({ tenants, stats: load.stats, problems, figures, removed });
    removed();
    recoveryMs = await recovery!;
    await sleep(scale === 'full' ? 10_000 : 2_000); // load goes on after recovery
  } finally {
    const stopping = Date.now();
    await load.stop();
    figures.stopMs = Date.now() - stopping;
  }
  const checking = Date.now();
  const report = await checker.check(load.ledger, { settleTimeoutMs: 120_000 });
  figures.settleMs = report.settledMs;
  figures.checkMs = Date.now() - checking;
  if (load.stats.violations.length > 0) problems.push(...load.stats.violations.slice(0, 10));
  if (load.stats.gaveUp > 0) problems.push(`${load.stats.gaveUp} operations given up after retries`);
  if (Number.isNaN(recoveryMs)) problems.push('the stack did not become healthy again within 120 s');
  return { fault, stats: load.stats, report, recoveryMs, figures, problems };
}

export const kafkaDown: Scenario = {
  name: 'kafka-down',
  run: (scale, checker) =>
    underLoad(
      `Kafka broker down ${scale === 'full' ? 60 : 10} s`,
      scale,
      checker,
      async ({ figures, problems, removed }) => {
        await stack('infra.sh', 'down', 'kafka');
        await sleep(scale === 'full' ? 60_000 : 10_000);
        const starting = Date.now();
        removed();
        // The broker is back when it accepts connections (clients reconnect from then on);
        // infra.sh returns later, once it has also created a topic.
        const up = stack('infra.sh', 'up', 'kafka');
        await timeUntil(starting, () => listening(Number(process.env.HMS_KAFKA_PORT)), 180_000);
        const back = Date.now();
        await up;
        figures.brokerStartMs = back - starting;
        // The backlog of the outage consumed (lag back to 0 for what was waiting), timed from the
        // broker's return, while the load goes on.
        const lagZero = await checker.catchUp(back, 120_000);
        figures.lagZeroMs = lagZero;
        if (!(lagZero <= 30_000)) problems.push(`the backlog took ${lagZero} ms to be consumed (limit 30 s)`);
      },
    ),
};

export const redisDown: Scenario = {
  name: 'redis-down',
  run: (scale, checker) =>
    underLoad(
      `Redis down ${scale === 'full' ? 60 : 10} s`,
      scale,
      checker,
      async ({ stats, problems, figures, removed }) => {
        // The stream's own tenant, apart from the load's ledger.
        const [t] = await loadTenants(1);
        const streamUrl = `${apiBase()}/queues/${t!.nightDoctor.id}/stream`;
        const auth = { authorization: `Bearer ${t!.token}` };
        let stream: SseStream = await openSse(streamUrl, { headers: auth });
        if (stream.status !== 200) problems.push(`queue stream refused before the fault: ${stream.status}`);
        const failuresBefore = failures(stats);
        await stack('infra.sh', 'down', 'redis');
        await sleep(scale === 'full' ? 60_000 : 10_000);
        const during = failures(stats) - failuresBefore;
        figures.failuresWhileDown = during;
        if (during > 0)
          problems.push(`${during} requests failed while Redis was down (bookings and reads should go on)`);
        const starting = Date.now();
        removed();
        await stack('infra.sh', 'up', 'redis');
        // The live stream: a check-in after Redis returned must reach a watcher (reconnecting with
        // Last-Event-ID if the stream was dropped, as a browser's EventSource does).
        const seen = stream.events.length;
        const booked = await fetch(`${apiBase()}/appointments`, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json', 'idempotency-key': `chaos-stream-${starting}` },
          body: JSON.stringify({ patientId: t!.patients[0]!.id, doctorId: t!.nightDoctor.id, startsAt: slot(1) }),
        });
        const appointment = ((await booked.json()) as { appointment?: { id: string } }).appointment;
        if (appointment) {
          await fetch(`${apiBase()}/appointments/${appointment.id}/check-in`, { method: 'POST', headers: auth });
        }
        const streamBack = await timeUntil(
          starting,
          async () => {
            if (stream.events.slice(seen).some((e) => e.data.includes(appointment?.id ?? '?'))) return true;
            const closed = await Promise.race([stream.ended.then(() => true), sleep(10).then(() => false)]);
            if (closed) {
              const last = stream.events.at(-1)?.id;
              stream = await openSse(streamUrl, { headers: { ...auth, ...(last ? { 'last-event-id': last } : {}) } });
            }
            return false;
          },
          30_000,
        );
        stream.close();
        figures.streamRecoveredMs = streamBack;
        if (Number.isNaN(streamBack))
          problems.push('the live queue stream did not deliver a check-in after Redis returned');
      },
    ),
};

function failures(stats: LoadStats): number {
  return Object.entries(stats.byStatus)
    .filter(([s]) => s === '0' || Number(s) >= 500)
    .reduce((n, [, c]) => n + c, 0);
}

export const postgresRestart: Scenario = {
  name: 'postgres-restart',
  run: (scale, checker) =>
    underLoad(
      'PostgreSQL restarted (fast shutdown, start)',
      scale,
      checker,
      async ({ problems, figures, stats, removed }) => {
        const ports = opsPorts();
        const sawNotReady = new Set<string>();
        let watching = true;
        const watcher = (async () => {
          while (watching) {
            for (const [name, port] of Object.entries(ports)) if (!(await ready(port))) sawNotReady.add(name);
            await sleep(100);
          }
        })();
        const failuresBefore = failures(stats);
        // Down for a while (fast shutdown: open transactions rolled back, clients cut), then started again.
        await stack('infra.sh', 'down', 'postgres');
        await sleep(scale === 'full' ? 20_000 : 5_000);
        const starting = Date.now();
        removed();
        await stack('infra.sh', 'up', 'postgres');
        figures.postgresStartMs = Date.now() - starting;
        const readyAgain = await timeUntil(starting, async () =>
          (await Promise.all(Object.values(ports).map(ready))).every(Boolean),
        );
        watching = false;
        await watcher;
        figures.readyAgainMs = readyAgain;
        figures.notReadyDuringOutage = [...sawNotReady].sort().join(' ') || 'none';
        figures['503s'] = stats.byStatus['503'] ?? 0;
        if (failures(stats) === failuresBefore)
          problems.push('no request failed while PostgreSQL was down: did the fault happen?');
        for (const name of ['appointments', 'billing']) {
          if (!sawNotReady.has(name)) problems.push(`${name} never reported not-ready while PostgreSQL was down`);
        }
      },
    ),
};

/** kill -9 of each service (and of the broker) at a random moment under load, then a restart. */
export const killNine: Scenario = {
  name: 'kill-9',
  run: (scale, checker) =>
    underLoad('kill -9 of each service and the broker', scale, checker, async ({ figures }) => {
      const victims = [...BACKENDS, 'gateway-1', 'kafka'];
      for (const name of victims) {
        await sleep(500 + Math.floor(Math.random() * (scale === 'full' ? 4_000 : 1_500)));
        process.kill(pidOf(name), 'SIGKILL');
        const restarting = Date.now();
        if (name === 'kafka') await stack('infra.sh', 'up', 'kafka');
        else await stack('hms', 'services', 'up', name);
        figures[`${name}RestartMs`] = Date.now() - restarting;
      }
    }),
};

/** toxiproxy's HTTP API on loopback (the server is started by the scenario). */
async function toxi(method: string, path: string, body?: unknown): Promise<void> {
  const r = await fetch(`http://127.0.0.1:${process.env.HMS_TOXIPROXY_PORT}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(5_000),
  });
  if (!r.ok) throw new Error(`toxiproxy ${method} ${path}: ${r.status} ${await r.text()}`);
}

/** The services that reach their dependencies through the proxies (HMS_VIA_TOXIPROXY=1). */
const PROXIED_SERVICES = ['appointments', 'gateway-1', 'gateway-2'];

async function startToxiproxy(): Promise<ChildProcess> {
  const env = process.env;
  const bin = path.join(
    env.HMS_TOOLS ?? path.join(env.HOME ?? '', '.local/share/hms-tools'),
    'bin',
    'toxiproxy-server',
  );
  const server = spawn(bin, ['-host', '127.0.0.1', '-port', String(env.HMS_TOXIPROXY_PORT)], { stdio: 'ignore' });
  await timeUntil(
    Date.now(),
    async () => {
      await toxi('GET', '/version');
      return true;
    },
    15_000,
  );
  const proxies = [
    ['postgres', env.HMS_TOXI_PG_PORT, env.HMS_PG_PORT],
    ['redis', env.HMS_TOXI_REDIS_PORT, env.HMS_REDIS_PORT],
    ['billing-grpc', env.HMS_TOXI_BILLING_GRPC_PORT, env.HMS_BILLING_GRPC_PORT],
    // In front of the broker's PROXIED listener, which advertises this proxy's port.
    ['kafka', env.HMS_TOXI_KAFKA_PORT, env.HMS_KAFKA_PROXIED_PORT],
  ];
  for (const [name, listen, upstream] of proxies) {
    await toxi('POST', '/proxies', {
      name,
      listen: `127.0.0.1:${listen}`,
      upstream: `127.0.0.1:${upstream}`,
      enabled: true,
    });
  }
  return server;
}

/**
 * Network faults through toxiproxy, in front of PostgreSQL (appointments), Redis, billing's
 * gRPC port (the gateways) and Kafka (appointments' relay and consumers): 500 ms latency, a
 * timeout (data held, never answered), connection resets and a bandwidth limit, one after the
 * other under load. Latency stays
 * bounded by the deadlines (no answer later than 5 s), failures are 503/504 problems, and
 * once a toxic is removed the stack is healthy within 10 s.
 */
export const networkFaults: Scenario = {
  name: 'network',
  run: async (scale, checker) => {
    const server = await startToxiproxy();
    try {
      await stack('hms', 'services', 'restart', ...PROXIED_SERVICES, { HMS_VIA_TOXIPROXY: '1' });
      return await underLoad(
        'network faults through toxiproxy',
        scale,
        checker,
        async ({ tenants, figures, problems, removed }) => {
          const hold = scale === 'full' ? 20_000 : 6_000;
          const toxics: [string, string, Record<string, unknown>, string][] = [
            ['postgres', 'latency', { latency: 500, jitter: 50 }, 'pgLatency500ms'],
            ['billing-grpc', 'timeout', { timeout: 0 }, 'billingTimeout'],
            ['redis', 'reset_peer', { timeout: 0 }, 'redisReset'],
            ['postgres', 'bandwidth', { rate: 16 }, 'pgBandwidth16KBs'],
            ['postgres', 'reset_peer', { timeout: 100 }, 'pgReset'],
            // The outbox relay and appointments' consumers: bookings go on, events arrive late.
            ['kafka', 'latency', { latency: 500, jitter: 50 }, 'kafkaLatency500ms'],
            ['kafka', 'reset_peer', { timeout: 100 }, 'kafkaReset'],
          ];
          for (const [proxy, type, attributes, label] of toxics) {
            await toxi('POST', `/proxies/${proxy}/toxics`, {
              name: label,
              type,
              stream: 'downstream',
              toxicity: 1,
              attributes,
            });
            await sleep(hold);
            await toxi('DELETE', `/proxies/${proxy}/toxics/${label}`);
            const healthyIn = await timeUntil(Date.now(), () => healthy(tenants[0]!), 60_000);
            figures[`${label}RecoveredMs`] = healthyIn;
            if (!(healthyIn <= 10_000))
              problems.push(`${label}: healthy ${healthyIn} ms after the toxic was removed (limit 10 s)`);
          }
          removed();
        },
      );
    } finally {
      await stack('hms', 'services', 'restart', ...PROXIED_SERVICES, { HMS_VIA_TOXIPROXY: '0' }).catch(() => undefined);
      server.kill('SIGTERM');
    }
  },
};

export const SCENARIOS: Scenario[] = [kafkaDown, redisDown, postgresRestart, killNine, networkFaults];

export async function runScenario(scenario: Scenario, scale: Scale): Promise<ScenarioResult> {
  const checker = createChecker();
  try {
    return await scenario.run(scale, checker);
  } catch (error) {
    // A scenario that failed half-way may have left a part stopped: the next one starts on a whole stack.
    await restoreStack().catch((e: unknown) => console.error('restoring the stack after a failed scenario:', e));
    throw error;
  } finally {
    await checker.close();
  }
}

/** One line per scenario: fault, requests sent, accepted, errors by status, invariant result, recovery time. */
export function table(results: ScenarioResult[]): string {
  const rows = [
    ['fault', 'sent', 'accepted', 'answers by status', 'invariants', 'recovery', 'figures'],
    ...results.map((r) => [
      r.fault,
      String(r.stats.sent),
      String(r.stats.accepted),
      describeStatuses(r.stats),
      r.report.ok && r.problems.length === 0 ? 'hold' : 'BROKEN',
      Number.isNaN(r.recoveryMs) ? 'never' : `${(r.recoveryMs / 1000).toFixed(1)} s`,
      Object.entries(r.figures)
        .map(([k, v]) => `${k}=${v}`)
        .join(' '),
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => `| ${row.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`).join('\n');
}

/** Brings a stopped part back, whatever a failed scenario left behind. */
export async function restoreStack(): Promise<void> {
  await stack('infra.sh', 'up', 'postgres', 'redis', 'kafka');
  await stack('hms', 'services', 'up');
}
