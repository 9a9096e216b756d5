/**
 * Helpers the chart's tests share: rendering helm/hms with a values file, and the
 * policy every rendered workload must meet (resource requests, probes, a non-root
 * and locked-down security context).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';

export const run = promisify(execFile);
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CHART = path.join(ROOT, 'helm/hms');
/** The Kubernetes version the control plane is built at (scripts/k8s/controlplane/go.mod). */
export const KUBE_VERSION = '1.34.3';
export const VALUES_FILES = ['values.yaml', 'values-dev.yaml', 'values-prod.yaml', 'values-minimal.yaml'];

/* eslint-disable @typescript-eslint/no-explicit-any -- a loosely typed Kubernetes
   object: tests read paths in it and assert on what they find */
export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; [k: string]: any };
  [k: string]: any;
};
/* eslint-enable @typescript-eslint/no-explicit-any */

export function helmBin(): string {
  return path.join(process.env.HMS_TOOLS ?? path.join(process.env.HOME ?? '', '.local/share/hms-tools'), 'bin/helm');
}

export async function helm(args: string[], env: Record<string, string> = {}): Promise<string> {
  const { stdout } = await run(helmBin(), args, {
    env: { ...process.env, ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

export function parseObjects(manifest: string): K8sObject[] {
  return parseAllDocuments(manifest)
    .map((doc) => doc.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null && typeof o === 'object' && 'kind' in o);
}

/** `helm template` of a chart directory with one values file (path relative to the chart). */
export async function render(values: string, extra: string[] = [], chart = CHART): Promise<K8sObject[]> {
  const out = await helm([
    'template',
    'hms',
    chart,
    '--namespace',
    'hms',
    '--kube-version',
    KUBE_VERSION,
    '-f',
    path.join(chart, values),
    ...extra,
  ]);
  return parseObjects(out);
}

interface Container {
  name: string;
  resources?: { requests?: { cpu?: unknown; memory?: unknown } };
  readinessProbe?: unknown;
  livenessProbe?: unknown;
  securityContext?: {
    runAsNonRoot?: boolean;
    runAsUser?: number;
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    capabilities?: { drop?: string[] };
  };
}

/**
 * What is wrong with the workloads among `objects`: one line per missing resource
 * request, probe, or security setting. Deployments need readiness and liveness
 * probes; Jobs (run to completion) need none.
 */
export function policyViolations(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const o of objects) {
    if (!['Deployment', 'StatefulSet', 'DaemonSet', 'Job'].includes(o.kind)) continue;
    const spec = o.spec?.template?.spec;
    const where = `${o.kind}/${o.metadata.name}`;
    if (!spec) {
      problems.push(`${where}: no pod template`);
      continue;
    }
    const pod = spec.securityContext ?? {};
    const containers: Container[] = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
    if (containers.length === 0) problems.push(`${where}: no containers`);
    for (const c of containers) {
      const at = `${where} container ${c.name}`;
      if (!c.resources?.requests?.cpu) problems.push(`${at}: no cpu request`);
      if (!c.resources?.requests?.memory) problems.push(`${at}: no memory request`);
      if (o.kind !== 'Job' && (spec.containers as Container[]).includes(c)) {
        if (!c.readinessProbe) problems.push(`${at}: no readiness probe`);
        if (!c.livenessProbe) problems.push(`${at}: no liveness probe`);
      }
      const sc = c.securityContext ?? {};
      const nonRoot = sc.runAsNonRoot ?? pod.runAsNonRoot;
      const uid = sc.runAsUser ?? pod.runAsUser;
      if (nonRoot !== true) problems.push(`${at}: runAsNonRoot is not true`);
      if (uid === 0) problems.push(`${at}: runs as uid 0`);
      if (sc.allowPrivilegeEscalation !== false) problems.push(`${at}: allowPrivilegeEscalation is not false`);
      if (sc.readOnlyRootFilesystem !== true) problems.push(`${at}: root filesystem is writable`);
      if (!sc.capabilities?.drop?.includes('ALL')) problems.push(`${at}: capabilities not dropped`);
    }
  }
  return problems;
}
