/**
 * The chart on a real control plane (scripts/k8s.sh: etcd, kube-apiserver,
 * kube-controller-manager, kube-scheduler, kwok's simulated nodes): every values file
 * installed as a release (the API server's own validation and admission, Pod
 * Security "restricted" included), Deployments Available, the migration hook first,
 * upgrade rolling the pods, rollback restoring them, and the HPAs evaluated by the
 * real HPA controller, first without and then with a metrics source (the metrics
 * adapter over the test stack's Prometheus).
 *
 * Needs the control plane up (`scripts/k8s.sh up`, done by scripts/run-tests.sh) and,
 * for the last test, the test stack's services and Prometheus.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { CHART, ROOT, VALUES_FILES, type K8sObject } from './chart.js';
import { condition, helmIn, kubectl, kubectlJson, releaseObjects, until } from './cluster.js';

const run = promisify(execFile);
const NAMESPACE_OF: Record<string, string> = {
  'values.yaml': 'hms',
  'values-dev.yaml': 'hms-dev',
  'values-prod.yaml': 'hms-prod',
  'values-minimal.yaml': 'hms-minimal',
};
type List = { items: K8sObject[] };

/** k8s/'s namespace and example Secrets, under another namespace name. */
async function prerequisites(namespace: string): Promise<string> {
  const ns = parse(await readFile(path.join(ROOT, 'k8s/namespace.yaml'), 'utf8')) as K8sObject;
  ns.metadata.name = namespace;
  const secrets = (await readFile(path.join(ROOT, 'k8s/secrets.example.yaml'), 'utf8'))
    .split(/^---$/m)
    .map((doc) => parse(doc) as K8sObject)
    .map((s) => ({ ...s, metadata: { ...s.metadata, namespace } }));
  return [ns, ...secrets].map((o) => stringify(o)).join('---\n');
}

async function deploymentsAvailable(namespace: string): Promise<K8sObject[] | undefined> {
  const { items } = await kubectlJson<List>(['get', 'deployments', '-n', namespace]);
  const ready = items.every(
    (d) => condition(d, 'Available')?.status === 'True' && d.status.updatedReplicas === d.status.replicas,
  );
  return items.length > 0 && ready ? items : undefined;
}

async function replicaSetsOf(namespace: string, app: string): Promise<K8sObject[]> {
  const { items } = await kubectlJson<List>([
    'get',
    'replicasets',
    '-n',
    namespace,
    '-l',
    `app.kubernetes.io/name=${app}`,
  ]);
  return items;
}

const migrateJob = (namespace: string) => kubectlJson(['get', 'job', 'hms-migrate', '-n', namespace]);

beforeAll(async () => {
  await kubectl(['apply', '-k', path.join(ROOT, 'k8s')]).catch(async () => {
    // kustomization.yaml's ConfigMap lives in `monitoring`, which a cluster already has.
    await kubectl(['create', 'namespace', 'monitoring']);
    await kubectl(['apply', '-k', path.join(ROOT, 'k8s')]);
  });
  for (const namespace of Object.values(NAMESPACE_OF)) {
    await kubectl(['apply', '-f', '-'], await prerequisites(namespace));
  }
  // All four releases at once: each waits on its own migration Job and rollout.
  await Promise.all(
    VALUES_FILES.map((values) =>
      helmIn([
        'upgrade',
        '--install',
        'hms',
        CHART,
        '-n',
        NAMESPACE_OF[values]!,
        '-f',
        path.join(CHART, values),
        '--wait',
        '--timeout',
        '5m',
      ]),
    ),
  );
}, 420_000);

afterAll(async () => {
  await run(path.join(ROOT, 'scripts/k8s.sh'), ['down', 'adapter']).catch(() => undefined);
});

describe.each(VALUES_FILES)('the release of %s', (values) => {
  const namespace = NAMESPACE_OF[values]!;

  it('exists on the API server object for object, and every Deployment is Available on simulated nodes', async () => {
    const objects = await releaseObjects('hms', namespace);
    expect(objects.length).toBeGreaterThan(30);
    // kubectl get -f: each object of the manifest, read back from the API server.
    const manifest = await helmIn(['get', 'manifest', 'hms', '-n', namespace]);
    const onServer = JSON.parse(await kubectl(['get', '-n', namespace, '-f', '-', '-o', 'json'], manifest)) as List;
    const key = (o: K8sObject) => `${o.kind}/${o.metadata.name}`;
    expect(onServer.items.map(key).sort()).toEqual(expect.arrayContaining(objects.map(key).sort()));

    const deployments = await until(`Deployments of ${namespace} Available`, 60_000, () =>
      deploymentsAvailable(namespace),
    );
    expect(deployments).toHaveLength(6);
    // Every pod placed on a simulated node. A pod created a moment ago (a rollout's, a scale-up's)
    // has no node until the scheduler binds it: waited for, not taken as a failure.
    const pods = await until(`pods of ${namespace} on nodes`, 60_000, async () => {
      const { items } = await kubectlJson<List>(['get', 'pods', '-n', namespace, '-l', 'hms.dev/role']);
      const live = items.filter((p) => !p.metadata.deletionTimestamp);
      return live.every((p) => p.spec.nodeName) ? live : undefined;
    });
    expect(pods.length).toBeGreaterThanOrEqual(6);
    for (const pod of pods) expect(pod.spec.nodeName).toMatch(/^kwok-node-\d+$/);
  });

  it('migrated in its hook Job before any Deployment rolled out', async () => {
    const job = await migrateJob(namespace);
    expect(condition(job, 'Complete')?.status).toBe('True');
    const { items: sets } = await kubectlJson<List>(['get', 'replicasets', '-n', namespace, '-l', 'hms.dev/role']);
    const firstSet = Math.min(...sets.map((s) => Date.parse(s.metadata.creationTimestamp)));
    expect(Date.parse(job.status.completionTime)).toBeLessThanOrEqual(firstSet);
  });
});

describe('Pod Security admission of the namespace', () => {
  it('refuses a pod that would run as root', async () => {
    const bad = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'root-probe', namespace: 'hms' },
      spec: { containers: [{ name: 'c', image: 'busybox', securityContext: { runAsUser: 0 } }] },
    };
    const error = await kubectl(['apply', '-f', '-'], JSON.stringify(bad)).catch((e: { stderr: string }) => e);
    expect((error as { stderr: string }).stderr).toMatch(/violates PodSecurity "restricted/);
  });
});

describe('upgrade and rollback (values.yaml)', () => {
  let before: { hash: string; job: string };

  it('helm upgrade with a changed value migrates first, then rolls the pods', async () => {
    const sets = await replicaSetsOf('hms', 'billing');
    const current = sets.find((s) => s.status.replicas > 0)!;
    before = {
      hash: current.metadata.labels['pod-template-hash'],
      job: (await migrateJob('hms')).metadata.uid,
    };
    await helmIn([
      'upgrade',
      'hms',
      CHART,
      '-n',
      'hms',
      '--reuse-values',
      '--set',
      'logLevel=debug',
      '--wait',
      '--timeout',
      '4m',
    ]);

    const config = await kubectlJson(['get', 'configmap', 'hms-billing', '-n', 'hms']);
    expect(config.data.LOG_LEVEL).toBe('debug');
    const rolled = await until('billing to run on a new ReplicaSet', 60_000, async () => {
      const now = await replicaSetsOf('hms', 'billing');
      const live = now.filter((s) => s.status.replicas > 0);
      return live.length === 1 && live[0]!.metadata.labels['pod-template-hash'] !== before.hash ? live[0] : undefined;
    });
    const job = await migrateJob('hms');
    expect(job.metadata.uid).not.toBe(before.job);
    expect(condition(job, 'Complete')?.status).toBe('True');
    expect(Date.parse(job.status.completionTime)).toBeLessThanOrEqual(Date.parse(rolled.metadata.creationTimestamp));
    const { items: pods } = await kubectlJson<List>([
      'get',
      'pods',
      '-n',
      'hms',
      '-l',
      'app.kubernetes.io/name=billing',
    ]);
    const running = pods.filter((p) => !p.metadata.deletionTimestamp && p.status.phase === 'Running');
    expect(running.length).toBeGreaterThan(0);
    expect(
      running.every((p) => p.metadata.labels['pod-template-hash'] === rolled.metadata.labels['pod-template-hash']),
    ).toBe(true);
  });

  it('helm rollback restores the first revision and its pods', async () => {
    await helmIn(['rollback', 'hms', '1', '-n', 'hms', '--wait', '--timeout', '4m']);
    const config = await kubectlJson(['get', 'configmap', 'hms-billing', '-n', 'hms']);
    expect(config.data.LOG_LEVEL).toBe('info');
    await until('billing back on its first ReplicaSet', 60_000, async () => {
      const live = (await replicaSetsOf('hms', 'billing')).filter((s) => s.status.replicas > 0);
      return live.length === 1 && live[0]!.metadata.labels['pod-template-hash'] === before.hash ? true : undefined;
    });
    const history = JSON.parse(await helmIn(['history', 'hms', '-n', 'hms', '-o', 'json'])) as {
      revision: number;
      status: string;
      description: string;
    }[];
    expect(history.map((h) => h.status)).toEqual(['superseded', 'superseded', 'deployed']);
    expect(history.at(-1)!.description).toBe('Rollback to 1');
  });
});

describe('the HPAs on the real HPA controller', () => {
  it('are evaluated: AbleToScale, scaled to minReplicas, ScalingActive=False until a metrics API is served', async () => {
    const hpa = await until('the billing HPA to report its conditions', 90_000, async () => {
      const h = await kubectlJson(['get', 'hpa', 'hms-billing', '-n', 'hms']);
      return condition(h, 'ScalingActive') && h.status.desiredReplicas === 3 ? h : undefined;
    });
    expect(condition(hpa, 'AbleToScale')?.status).toBe('True');
    expect(condition(hpa, 'ScalingActive')).toMatchObject({ status: 'False', reason: 'FailedGetResourceMetric' });
    await until('billing scaled to 3 replicas', 60_000, async () => {
      const d = await kubectlJson(['get', 'deployment', 'hms-billing', '-n', 'hms']);
      return d.status.readyReplicas === 3 ? true : undefined;
    });
  });

  it('act on the metrics the adapter serves from the test stack Prometheus: ScalingActive=True', async () => {
    await run(path.join(ROOT, 'scripts/k8s.sh'), ['up', 'adapter'], {
      env: {
        ...process.env,
        HMS_K8S_ADAPTER_ARGS: `--spread-over-pods --config=${path.join(ROOT, 'scripts/hpa-lab/local-resource-rules.yaml')}`,
      },
    });
    const gateway = await until('the gateway HPA to read its metrics', 120_000, async () => {
      const h = await kubectlJson(['get', 'hpa', 'hms-gateway', '-n', 'hms']);
      return condition(h, 'ScalingActive')?.status === 'True' ? h : undefined;
    });
    const names = (
      gateway.status.currentMetrics as {
        type: string;
        pods?: { metric: { name: string } };
        resource?: { name: string };
      }[]
    ).map((m) => m.pods?.metric.name ?? m.resource?.name);
    expect(names).toEqual(expect.arrayContaining(['cpu', 'memory', 'hms_http_server_in_flight_requests']));

    const billing = await until('the billing HPA to read the consumer lag', 120_000, async () => {
      const h = await kubectlJson(['get', 'hpa', 'hms-billing', '-n', 'hms']);
      return condition(h, 'ScalingActive')?.status === 'True' ? h : undefined;
    });
    const external = (
      billing.status.currentMetrics as {
        type: string;
        external?: { metric: { name: string }; current: { averageValue: string } };
      }[]
    ).find((m) => m.type === 'External');
    expect(external?.external?.metric.name).toBe('hms_kafka_consumer_lag');
    expect(external?.external?.current.averageValue).toMatch(/^\d+(m|k)?$/);
  });
});
