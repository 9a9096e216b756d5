/**
 * What the stack burns with no request at all (heartbeats, polls, scrapes,
 * timers): each component's CPU over a quiet window, in CPU-ms per second.
 * It is part of every gross CPU-ms figure, so it is measured on its own:
 *
 *   npm run bench -- --only idle [--seconds 30]
 */
import { sampleIdleCpu, sum, type StackEnv } from '../lib/stack.js';

export interface IdleReport {
  seconds: number;
  /** CPU-ms per second, the whole stack. */
  totalMsPerSecond: number;
  /** CPU-ms per second by component, highest first. */
  byComponent: Record<string, number>;
}

export async function idleBenchmark(env: StackEnv, seconds: number): Promise<IdleReport> {
  const idle = await sampleIdleCpu(env, seconds * 1_000);
  const msPerSecond = (cpuSecondsPerSecond: number) => Math.round(cpuSecondsPerSecond * 10_000) / 10;
  return {
    seconds,
    totalMsPerSecond: msPerSecond(sum(idle.values())),
    byComponent: Object.fromEntries(
      [...idle].sort(([, a], [, b]) => b - a).map(([name, perSecond]) => [name, msPerSecond(perSecond)]),
    ),
  };
}

export function printIdle(report: IdleReport): void {
  const parts = Object.entries(report.byComponent)
    .filter(([, ms]) => ms > 0)
    .map(([name, ms]) => `${name} ${ms}`)
    .join(', ');
  process.stdout.write(
    `\nidle stack over ${report.seconds} s: ${report.totalMsPerSecond} CPU-ms a second\n  by component (CPU-ms/s): ${parts}\n`,
  );
}
