/**
 * The stack under test as the benchmark sees it: the profile's environment
 * (ports, URLs, generated secrets, read from scripts/lib/env.sh like every
 * other tool), and the CPU time of all its processes, read from /proc.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEnv } from 'node:util';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export type StackEnv = Record<string, string>;

/** bench/results/<date>-<commit><suffix> (without extension), the folder made if need be. */
export async function resultsPath(commit: string, suffix: string): Promise<string> {
  const stamp = new Date().toISOString().slice(0, 19).replaceAll(':', '');
  await mkdir(path.join(ROOT, 'bench', 'results'), { recursive: true });
  return path.join(ROOT, 'bench', 'results', `${stamp}-${commit}${suffix}`);
}

/** Every HMS_* variable of the profile, as scripts/lib/env.sh computes it. */
export function stackEnv(profile: string): StackEnv {
  const out = execFileSync('bash', ['-c', 'source scripts/lib/env.sh >/dev/null && env -0'], {
    cwd: ROOT,
    // The caller's HMS_* settings count (HMS_PORT_OFFSET above all), as for every script.
    env: { ...process.env, HMS_PROFILE: profile },
  }).toString();
  const env: StackEnv = {};
  for (const entry of out.split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0 && entry.startsWith('HMS_')) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}

/** A running service's whole environment, as scripts/hms wrote it at its start (e.g. "gateway-1"). */
export function serviceEnv(env: StackEnv, service: string): Record<string, string> {
  return parseEnv(readFileSync(path.join(env.HMS_RUN!, 'env', `${service}.env`), 'utf8')) as Record<string, string>;
}

/** The share of traces the running stack records (its gateways' OTEL_TRACES_SAMPLER and _ARG). */
export function tracesSampler(env: StackEnv): string {
  const gateway = serviceEnv(env, 'gateway-1');
  return `${gateway.OTEL_TRACES_SAMPLER ?? 'parentbased_always_on'} ${gateway.OTEL_TRACES_SAMPLER_ARG ?? ''}`.trim();
}

/** A service's database URL, as the stack scripts build it. */
export function databaseUrl(env: StackEnv, role: string, passwordKey: string): string {
  const url = new URL(env.HMS_PG_ADMIN_URL!);
  url.username = role;
  url.password = env[passwordKey] ?? '';
  return url.toString();
}

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** CPU seconds used so far by each stack component (its whole process group: workers, backends, children). */
export type CpuSnapshot = Map<string, number>;

/**
 * Reads the CPU time of every process of the stack: each component the
 * scripts started has its pid in $HMS_RUN/<name>.pid, and everything it forked
 * (PostgreSQL backends, nginx workers) descends from it. Descent is followed
 * by parent pid, not session: PostgreSQL's backends make sessions of their
 * own. A process's own time plus what its reaped children used counts.
 */
export function cpuSnapshot(env: StackEnv): CpuSnapshot {
  const leaders = new Map<number, string>();
  const run = env.HMS_RUN!;
  for (const file of readdirSync(run)) {
    if (!file.endsWith('.pid')) continue;
    const pid = Number(readFileSync(path.join(run, file), 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0) leaders.set(pid, file.slice(0, -'.pid'.length));
  }
  const processes = new Map<number, { parent: number; seconds: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // Fields after "(comm)": state ppid pgrp session ... utime(14) stime(15) cutime(16) cstime(17)
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    processes.set(Number(entry), { parent: Number(fields[1]), seconds: ticks / TICKS_PER_SECOND });
  }
  const totals: CpuSnapshot = new Map([...leaders.values()].map((name) => [name, 0]));
  for (const [pid, { seconds }] of processes) {
    // The component a process belongs to: its nearest ancestor (or itself) that is a leader.
    let at: number | undefined = pid;
    for (let depth = 0; at !== undefined && at > 1 && depth < 64; depth += 1) {
      const name = leaders.get(at);
      if (name) {
        totals.set(name, (totals.get(name) ?? 0) + seconds);
        break;
      }
      at = processes.get(at)?.parent;
    }
  }
  return totals;
}

/**
 * What each component burns with no load, in CPU seconds per second, sampled
 * over `ms`: the idle part of every gross CPU figure.
 */
export async function sampleIdleCpu(env: StackEnv, ms: number): Promise<Map<string, number>> {
  const before = cpuSnapshot(env);
  await new Promise((resolve) => setTimeout(resolve, ms));
  const used = cpuUsed(before, cpuSnapshot(env));
  return new Map([...used].map(([name, seconds]) => [name, seconds / (ms / 1000)]));
}

/** CPU seconds each component used between two snapshots. */
export function cpuUsed(before: CpuSnapshot, after: CpuSnapshot): Map<string, number> {
  const used = new Map<string, number>();
  for (const [name, seconds] of after) used.set(name, Math.max(0, seconds - (before.get(name) ?? 0)));
  return used;
}

export function sum(values: Iterable<number>): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}
