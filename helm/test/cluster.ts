/**
 * The local control plane (scripts/k8s.sh) as the chart's tests and the HPA lab
 * use it: kubectl with the profile's admin kubeconfig, and waiting for conditions.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { helmBin, parseObjects, ROOT, type K8sObject } from './chart.js';

const run = promisify(execFile);

export function kubeconfig(): string {
  const home = process.env.HMS_HOME ?? path.join(ROOT, '.hms', process.env.HMS_PROFILE ?? 'test');
  return path.join(home, 'k8s/kubeconfig');
}

function kubectlBin(): string {
  return path.join(path.dirname(helmBin()), 'kubectl');
}

export async function kubectl(args: string[], input?: string): Promise<string> {
  const child = run(kubectlBin(), ['--kubeconfig', kubeconfig(), ...args], { maxBuffer: 64 * 1024 * 1024 });
  if (input !== undefined) {
    child.child.stdin!.end(input);
  }
  return (await child).stdout;
}

export async function kubectlJson<T = K8sObject>(args: string[]): Promise<T> {
  return JSON.parse(await kubectl([...args, '-o', 'json'])) as T;
}

export async function helmIn(args: string[]): Promise<string> {
  const { stdout } = await run(helmBin(), [...args, '--kubeconfig', kubeconfig()], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

/** The objects a release's manifest holds (not its hooks). */
export async function releaseObjects(release: string, namespace: string): Promise<K8sObject[]> {
  return parseObjects(await helmIn(['get', 'manifest', release, '-n', namespace]));
}

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export function condition(obj: K8sObject, type: string): Condition | undefined {
  return (obj.status?.conditions as Condition[] | undefined)?.find((c) => c.type === type);
}

/** Polls `probe` until it returns a value (not undefined), or fails after `timeoutMs`. */
export async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}
