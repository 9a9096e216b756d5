/**
 * The Helm chart, rendered (no cluster): lint, the workload policy, the values
 * schema, autoscaling, network policies, shutdown timing, the migration hook and
 * the config contract with the services' config.ts. The chart on a real API server
 * is helm/test/cluster.k8s.test.ts.
 */
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configSchema as appointmentsConfig } from '../../services/appointments/src/config.js';
import { configSchema as auditConfig } from '../../services/audit/src/config.js';
import { configSchema as billingConfig } from '../../services/billing/src/config.js';
import { configSchema as gatewayConfig } from '../../services/gateway/src/config.js';
import { configSchema as queueConfig } from '../../services/queue/src/config.js';
import { CHART, helm, KUBE_VERSION, policyViolations, render, ROOT, VALUES_FILES, type K8sObject } from './chart.js';

const rendered = new Map<string, K8sObject[]>();
beforeAll(async () => {
  await Promise.all(VALUES_FILES.map(async (f) => rendered.set(f, await render(f))));
});

const of = (values: string, kind: string) => rendered.get(values)!.filter((o) => o.kind === kind);
const named = (values: string, kind: string, name: string) => of(values, kind).find((o) => o.metadata.name === name);

describe.each(VALUES_FILES)('with %s', (values) => {
  it('passes helm lint --strict', async () => {
    const out = await helm(['lint', '--strict', CHART, '-f', path.join(CHART, values), '--kube-version', KUBE_VERSION]);
    expect(out).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  it('renders every workload with resource requests, probes and a locked-down non-root context', () => {
    const objects = rendered.get(values)!;
    expect(
      of(values, 'Deployment')
        .map((d) => d.metadata.name)
        .sort(),
    ).toEqual(['hms-appointments', 'hms-audit', 'hms-billing', 'hms-gateway', 'hms-nginx', 'hms-queue']);
    expect(policyViolations(objects)).toEqual([]);
  });

  it('gives each pod a grace period longer than its service may take to stop', () => {
    for (const d of of(values, 'Deployment')) {
      const grace = d.spec.template.spec.terminationGracePeriodSeconds as number;
      const data = named(values, 'ConfigMap', d.metadata.name)!.data as Record<string, string>;
      const bound =
        d.metadata.name === 'hms-nginx'
          ? Number(data.HMS_NGINX_DRAIN_SECONDS) * 1000 + 10_000 // drain, then worker_shutdown_timeout
          : Number(data.SHUTDOWN_TIMEOUT_MS) + Number(data.SHUTDOWN_DRAIN_DELAY_MS);
      expect(grace * 1000, d.metadata.name).toBeGreaterThan(bound);
    }
  });
});

describe('values.schema.json', () => {
  const refuses = async (set: string, message: RegExp) => {
    const error = await render('values.yaml', ['--set', set]).catch((e: { stderr: string }) => e);
    expect(error).toHaveProperty('stderr');
    expect((error as { stderr: string }).stderr).toMatch(message);
  };

  it('refuses a secret in plain env (it must be a Secret reference)', () =>
    refuses('services.billing.env.DATABASE_URL=postgres://u:p@h/db', /values don't meet the specifications/));
  it('refuses fewer than one replica for the HPA', () =>
    refuses('defaults.autoscaling.minReplicas=0', /minReplicas.*minimum|minimum.*1/s));
  it('refuses running as root', () => refuses('podSecurity.runAsUser=0', /runAsUser/));
  it('refuses a misspelt key', () => refuses('services.gateway.replica=3', /additional properties 'replica'/));
  it('refuses a CPU target over 100 %', () =>
    refuses('defaults.autoscaling.targetCPUUtilizationPercentage=170', /targetCPUUtilizationPercentage/));
  it('refuses maxReplicas below minReplicas', () =>
    refuses('defaults.autoscaling.maxReplicas=2', /maxReplicas \(2\) is below minReplicas \(3\)/));
});

describe('the workload policy', () => {
  // A copy of the chart with one template broken at a time: the policy must notice.
  let broken: string;
  beforeAll(async () => {
    broken = await mkdtemp(path.join(tmpdir(), 'hms-chart-'));
    await cp(CHART, broken, { recursive: true, dereference: true });
  });
  afterAll(() => rm(broken, { recursive: true, force: true }));

  async function renderBroken(file: string, from: string | RegExp, to: string) {
    const target = path.join(broken, 'templates', file);
    const original = await readFile(path.join(CHART, 'templates', file), 'utf8');
    const changed = original.replace(from, to);
    expect(changed).not.toEqual(original);
    await writeFile(target, changed);
    try {
      return policyViolations(await render('values.yaml', [], broken));
    } finally {
      await writeFile(target, original);
    }
  }

  it('fails a Deployment without resource requests', async () => {
    const problems = await renderBroken(
      'deployment.yaml',
      / {10}resources:\n {12}\{\{- toYaml \$svc.resources \| nindent 12 \}\}\n/,
      '',
    );
    expect(problems).toContain('Deployment/hms-billing container billing: no cpu request');
    expect(problems).toContain('Deployment/hms-gateway container gateway: no memory request');
  });

  it('fails a Deployment without probes', async () => {
    const problems = await renderBroken('deployment.yaml', /readinessProbe:/g, 'startupProbe2:');
    expect(problems).toContain('Deployment/hms-queue container queue: no readiness probe');
  });

  it('fails a container that may run as root or escalate', async () => {
    const problems = await renderBroken('_helpers.tpl', /runAsNonRoot: true/g, 'runAsNonRoot: false');
    expect(problems).toContain('Deployment/hms-audit container audit: runAsNonRoot is not true');
    const escalating = await renderBroken(
      '_helpers.tpl',
      'allowPrivilegeEscalation: false',
      'allowPrivilegeEscalation: true',
    );
    expect(escalating).toContain('Job/hms-migrate container billing: allowPrivilegeEscalation is not false');
  });
});

describe('autoscaling (values.yaml)', () => {
  it('scales every service 3 to 20 on 70 % CPU and 80 % memory, with both behaviours', () => {
    const hpas = of('values.yaml', 'HorizontalPodAutoscaler');
    expect(hpas).toHaveLength(6);
    for (const h of hpas) {
      expect(h.apiVersion).toBe('autoscaling/v2');
      expect(h.spec).toMatchObject({ minReplicas: 3, maxReplicas: 20 });
      expect(h.spec.metrics).toContainEqual({
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
      });
      if (h.metadata.name !== 'hms-nginx') {
        expect(h.spec.metrics).toContainEqual({
          type: 'Resource',
          resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: 80 } },
        });
      }
      expect(h.spec.behavior.scaleUp.policies.length).toBeGreaterThan(0);
      expect(h.spec.behavior.scaleDown.stabilizationWindowSeconds).toBe(300);
    }
  });

  it('scales the gateway on requests in flight per pod and the consumers on their group lag', () => {
    expect(named('values.yaml', 'HorizontalPodAutoscaler', 'hms-gateway')!.spec.metrics).toContainEqual({
      type: 'Pods',
      pods: {
        metric: { name: 'hms_http_server_in_flight_requests' },
        target: { type: 'AverageValue', averageValue: '10' },
      },
    });
    for (const [service, group] of [
      ['billing', 'hms.billing'],
      ['queue', 'hms.queue'],
      ['audit', 'hms.audit'],
    ]) {
      const metrics = named('values.yaml', 'HorizontalPodAutoscaler', `hms-${service}`)!.spec.metrics;
      expect(metrics).toContainEqual(
        expect.objectContaining({
          type: 'External',
          external: expect.objectContaining({
            metric: { name: 'hms_kafka_consumer_lag', selector: { matchLabels: { group } } },
          }),
        }),
      );
    }
  });

  it('leaves replicas to the HPA, and keeps 3+ replicas, PDBs and anti-affinity in production', () => {
    for (const d of of('values.yaml', 'Deployment')) expect(d.spec.replicas).toBeUndefined();
    for (const h of of('values-prod.yaml', 'HorizontalPodAutoscaler'))
      expect(h.spec.minReplicas).toBeGreaterThanOrEqual(3);
    expect(of('values-prod.yaml', 'PodDisruptionBudget')).toHaveLength(6);
    for (const d of of('values-prod.yaml', 'Deployment')) {
      expect(d.spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution).toHaveLength(
        1,
      );
    }
    expect(of('values-dev.yaml', 'PodDisruptionBudget')).toHaveLength(0);
  });
});

describe('network policies (values.yaml)', () => {
  const policy = (name: string) => named('values.yaml', 'NetworkPolicy', `hms-${name}`)!.spec;

  it('lets only the gateways reach the backends, and only nginx reach the gateways', () => {
    for (const backend of ['appointments', 'billing', 'queue', 'audit']) {
      const grpc = policy(backend).ingress.find((r: { ports: { port: string }[] }) => r.ports[0]!.port === 'grpc');
      expect(grpc.from).toEqual([
        { podSelector: { matchLabels: { 'app.kubernetes.io/instance': 'hms', 'hms.dev/role': 'gateway' } } },
      ]);
    }
    const http = policy('gateway').ingress.find((r: { ports: { port: string }[] }) => r.ports[0]!.port === 'http');
    expect(http.from).toEqual([
      { podSelector: { matchLabels: { 'app.kubernetes.io/instance': 'hms', 'hms.dev/role': 'edge' } } },
    ]);
  });

  it('lets the services out only to DNS, their callees, PostgreSQL, Redis and Kafka', () => {
    const ports = (name: string) =>
      policy(name)
        .egress.flatMap((r: { ports: { port: number }[] }) => r.ports.map((p) => p.port))
        .sort((a: number, b: number) => a - b);
    expect(ports('billing')).toEqual([53, 53, 5432, 9092]);
    // The gateway publishes too (sign-ins, identity changes, record reads): Kafka.
    expect(ports('gateway')).toEqual([53, 53, 5432, 6379, 9092, 50051, 50052, 50053, 50054]);
    expect(ports('nginx')).toEqual([53, 53, 8081]);
    for (const name of ['nginx', 'gateway', 'appointments', 'billing', 'queue', 'audit']) {
      expect(policy(name).policyTypes).toEqual(['Ingress', 'Egress']);
    }
  });
});

describe('migrations', () => {
  it('run as a pre-install/pre-upgrade hook Job, one step per service, and not at service start', () => {
    const job = named('values.yaml', 'Job', 'hms-migrate')!;
    expect(job.metadata.annotations['helm.sh/hook']).toBe('pre-install,pre-upgrade');
    const steps = [...job.spec.template.spec.initContainers, ...job.spec.template.spec.containers];
    expect(steps.map((c: { name: string }) => c.name)).toEqual([
      'appointments',
      'audit',
      'billing',
      'gateway',
      'queue',
    ]);
    const gateway = steps.find((c: { name: string }) => c.name === 'gateway');
    expect(gateway.command).toEqual(['node', 'packages/platform/dist/db/migrate-cli.js']);
    expect(gateway.args).toEqual(['--schema=identity', '--migrations=services/gateway/prisma/migrations']);
    // Each migration step logs in as its schema's owner; the service pods never get that Secret.
    for (const step of steps as {
      name: string;
      env: { name: string; valueFrom?: { secretKeyRef?: { name: string } } }[];
    }[]) {
      const url = step.env.find((e) => e.name === 'DATABASE_URL');
      expect(url?.valueFrom?.secretKeyRef?.name).toBe(`hms-${step.name}-db-owner`);
    }
    const deployments = of('values.yaml', 'Deployment');
    expect(JSON.stringify(deployments)).not.toContain('-db-owner');
  });
});

describe('the config contract', () => {
  const schemas = {
    appointments: appointmentsConfig,
    audit: auditConfig,
    billing: billingConfig,
    gateway: gatewayConfig,
    queue: queueConfig,
  };

  it.each(Object.keys(schemas))('sets every key %s requires, and only keys it reads', (service) => {
    const schema = schemas[service as keyof typeof schemas];
    const provided = new Set<string>([
      ...Object.keys(named('values.yaml', 'ConfigMap', `hms-${service}`)!.data),
      ...named('values.yaml', 'Deployment', `hms-${service}`)!.spec.template.spec.containers[0].env.map(
        (e: { name: string }) => e.name,
      ),
    ]);
    const shape = schema.shape as Record<string, { safeParse(v: unknown): { success: boolean } }>;
    const required = Object.keys(shape).filter((key) => !shape[key]!.safeParse(undefined).success);
    expect(required.filter((key) => !provided.has(key))).toEqual([]);
    // NODE_ENV and OTEL_SERVICE_NAME are read by Node and the OpenTelemetry SDK.
    const unknown = [...provided].filter((key) => !(key in shape) && !['NODE_ENV', 'OTEL_SERVICE_NAME'].includes(key));
    expect(unknown).toEqual([]);
  });
});

describe('Prometheus Operator objects', () => {
  it('render the alert rules of monitoring/rules unchanged, where the operator API exists', async () => {
    const objects = await render('values-prod.yaml', ['--api-versions', 'monitoring.coreos.com/v1']);
    // One PrometheusRule per rules file, each exactly the file.
    const files = (await readdir(path.join(ROOT, 'monitoring/rules'))).filter((f) => f.endsWith('.yml')).sort();
    const rules = objects.filter((o) => o.kind === 'PrometheusRule');
    expect(rules).toHaveLength(files.length);
    for (const file of files) {
      const rule = rules.find((o) => o.metadata.name.endsWith(`-${file.replace(/\.yml$/, '')}`));
      expect(rule?.spec).toEqual(parse(await readFile(path.join(ROOT, 'monitoring/rules', file), 'utf8')));
    }
    expect(objects.filter((o) => o.kind === 'ServiceMonitor')).toHaveLength(5);
    // ...and are left out where it does not (the API server would refuse unknown kinds).
    expect(rendered.get('values-prod.yaml')!.some((o) => o.kind === 'PrometheusRule')).toBe(false);
  });

  it("render the Grafana dashboards as ConfigMaps for Grafana's sidecar, each exactly its file", async () => {
    const objects = await render('values-prod.yaml', ['--set', 'monitoring.grafanaDashboards.enabled=true']);
    const dir = path.join(ROOT, 'monitoring/grafana/dashboards');
    const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
    const maps = objects.filter((o) => o.kind === 'ConfigMap' && o.metadata.labels?.grafana_dashboard === '1');
    expect(maps).toHaveLength(files.length);
    for (const file of files) {
      const map = maps.find((o) => o.data?.[file] !== undefined);
      expect(JSON.parse(map!.data[file]), file).toEqual(JSON.parse(await readFile(path.join(dir, file), 'utf8')));
    }
    expect(rendered.get('values-prod.yaml')!.some((o) => o.metadata.labels?.grafana_dashboard)).toBe(false);
  });
});
