/**
 * The leak check at full size (npm run bench -- --only sse-leak): a gateway
 * started inside this process against the running stack's services, 50,000
 * stream connect/disconnect cycles on one queue, then: no stream open, no
 * upstream watch and no queue-service watcher left, and the heap (after a full
 * GC) within 10 % of where it started.
 */
import http from 'node:http';
import v8 from 'node:v8';
import vm from 'node:vm';
import { startGateway } from '../../services/gateway/src/main.js';
import { issueDisplayTokens, type Fixture } from '../lib/fixture.js';
import { serviceEnv, type StackEnv } from '../lib/stack.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

export interface LeakReport {
  cycles: number;
  seconds: number;
  heapBeforeMb: number;
  heapAfterMb: number;
  growth: number;
  openStreamsAfter: number;
  subscriptionsAfter: number;
  queueWatchersAfter: number;
}

async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(name) && !l.startsWith('#'))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
}

export async function leakBenchmark(
  env: StackEnv,
  fixture: Fixture,
  options: { cycles: number; log: (m: string) => void },
): Promise<LeakReport> {
  // The running stack's first gateway's environment (scripts/hms writes it at every start), so this
  // gateway is configured exactly as the stack's are; only its ports, log level and linger differ.
  const stackEnv = serviceEnv(env, 'gateway-1');
  const gateway = await startGateway(
    {
      ...stackEnv,
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: '0',
      OPS_PORT: '0',
      LOG_LEVEL: 'warn',
      SSE_UPSTREAM_LINGER_MS: '1000',
    },
    { inProcess: true },
  );
  const doctorId = fixture.doctors[0]!;
  // A display token per concurrent client: the per-token cap (5) holds as configured.
  const concurrency = 40;
  const tokens = await issueDisplayTokens(
    fixture,
    Array.from({ length: concurrency }, () => [doctorId]),
  );
  const cycle = (token: string) =>
    new Promise<void>((resolve, reject) => {
      const req = http.get(
        {
          host: '127.0.0.1',
          port: gateway.httpPort,
          path: `/api/v1/queues/${doctorId}/stream`,
          headers: { authorization: `Bearer ${token}` },
          agent: false,
        },
        (res) => {
          if (res.statusCode !== 200) return reject(new Error(`stream refused: ${res.statusCode}`));
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            if (!chunk.includes('event: snapshot')) return;
            req.destroy();
            resolve();
          });
        },
      );
      req.on('error', (error) => (req.destroyed ? resolve() : reject(error)));
    });
  const run = async (n: number) => {
    let done = 0;
    await Promise.all(
      tokens.map(async (token) => {
        while (done < n) {
          done += 1;
          await cycle(token);
        }
      }),
    );
  };
  const settledHeap = async () => {
    for (let i = 0; i < 100 && gateway.hub.openStreams > 0; i += 1) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 200));
    gc();
    gc();
    return process.memoryUsage().heapUsed;
  };
  try {
    await run(2_000);
    const before = await settledHeap();
    const started = Date.now();
    for (let done = 0; done < options.cycles; done += 10_000) {
      await run(Math.min(10_000, options.cycles - done));
      options.log(`sse-leak: ${Math.min(done + 10_000, options.cycles)} cycles`);
    }
    const seconds = (Date.now() - started) / 1000;
    const after = await settledHeap();
    await new Promise((r) => setTimeout(r, 2_000));
    return {
      cycles: options.cycles,
      seconds,
      heapBeforeMb: before / 1e6,
      heapAfterMb: after / 1e6,
      growth: after / before - 1,
      openStreamsAfter: gateway.hub.openStreams,
      subscriptionsAfter: gateway.hub.subscriptions,
      queueWatchersAfter: await metric(Number(env.HMS_QUEUE_OPS_PORT), 'hms_queue_watch_streams'),
    };
  } finally {
    await gateway.runtime.close('leak benchmark done');
  }
}

export function printLeak(r: LeakReport): void {
  console.log(
    `\nleak check: ${r.cycles} stream connect/disconnect cycles in ${r.seconds.toFixed(0)} s: open streams ${r.openStreamsAfter}, upstream watches ${r.subscriptionsAfter}, queue watchers ${r.queueWatchersAfter}; heap ${r.heapBeforeMb.toFixed(1)} MB -> ${r.heapAfterMb.toFixed(1)} MB (${(r.growth * 100).toFixed(1)} %, target within 10 %)`,
  );
}
