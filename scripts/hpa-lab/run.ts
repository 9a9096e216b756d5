/**
 * The HPA tuning lab: how would the chart's HorizontalPodAutoscalers, with a given
 * values file, have scaled under a k6 stage? The real HPA controller of the local
 * control plane (scripts/k8s.sh) scales the chart's Deployments on kwok's simulated
 * nodes, reading the metrics the local stack really produces while k6 loads it:
 * Prometheus -> hms-metrics-adapter (--spread-over-pods) -> the metrics APIs.
 *
 *   npm run hpa-lab -- <values file> [k6 stage] [--cooldown 120] [--interval 5]
 *   e.g. npm run hpa-lab -- helm/hms/values.yaml short
 *
 * The model: the local stack runs one process per service (two gateways); the
 * simulated Deployment of a service has N pods. Each pod reports the service's real
 * total divided by N (CPU, memory, requests in flight; Kafka lag is per consumer
 * group and needs no division). So the HPA sees what N replicas sharing today's
 * load evenly would report, and the capacity per pod the targets assume comes from
 * the benchmarks (docs/autoscaling.md).
 *
 * Writes .hms/<profile>/hpa-lab/<time>/hpa.csv (one row per sample, service and
 * metric) and hpa.svg (replicas, desired replicas and the input metric over time).
 * Needs the stack up (`npm start`, or HMS_PROFILE=test with the test stack and its
 * demo tenant). Load goes to the local nginx only.
 */
import { execFile, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { createReleaseFixture } from '../../bench/lib/fixture.js';
import { stackEnv as readStackEnv } from '../../bench/lib/stack.js';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const NAMESPACE = 'hms-lab';

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: { cooldown: { type: 'string', default: '120' }, interval: { type: 'string', default: '5' } },
});
const [valuesFile, stage = 'short'] = positionals;
if (!valuesFile) {
  console.error('usage: npm run hpa-lab -- <values file> [k6 stage] [--cooldown seconds] [--interval seconds]');
  process.exit(2);
}
const cooldownS = Number(flags.cooldown);
const intervalS = Number(flags.interval);

// The stack's ports and folders, from the same place the scripts take them.
const stackEnv = readStackEnv(process.env.HMS_PROFILE ?? 'dev');
const home = stackEnv.HMS_HOME!;
const bin = (name: string) => path.join(stackEnv.HMS_TOOLS!, 'bin', name);
const prometheus = `http://127.0.0.1:${stackEnv.HMS_PROMETHEUS_PORT}`;
const api = `http://127.0.0.1:${stackEnv.HMS_NGINX_PORT}/api/v1`;
const kubeconfig = path.join(home, 'k8s/kubeconfig');

async function kubectl(args: string[], input?: string): Promise<string> {
  const child = run(bin('kubectl'), ['--kubeconfig', kubeconfig, ...args], { maxBuffer: 32 * 1024 * 1024 });
  if (input !== undefined) child.child.stdin!.end(input);
  return (await child).stdout;
}

function step(what: string) {
  console.log(`hpa-lab: ${what}`);
}

// ---------------------------------------------------------------- preconditions
const nginxUp = await fetch(`http://127.0.0.1:${stackEnv.HMS_NGINX_PORT}/nginx-health`).then(
  (r) => r.ok,
  () => false,
);
const promUp = await fetch(`${prometheus}/-/ready`).then(
  (r) => r.ok,
  () => false,
);
if (!nginxUp || !promUp) {
  console.error(
    `hpa-lab: the ${stackEnv.HMS_PROFILE} stack is not up (nginx ${nginxUp}, Prometheus ${promUp}); run npm start first`,
  );
  process.exit(3);
}

// ------------------------------------------------------ control plane, adapter, release
step('control plane (scripts/k8s.sh up)');
await run(path.join(root, 'scripts/k8s.sh'), ['up'], { env: process.env });
step("metrics adapter over this stack's Prometheus, spreading each service's load over its pods");
await run(path.join(root, 'scripts/k8s.sh'), ['down', 'adapter'], { env: process.env });
await run(path.join(root, 'scripts/k8s.sh'), ['up', 'adapter'], {
  env: {
    ...process.env,
    HMS_K8S_ADAPTER_ARGS: `--spread-over-pods --config=${path.join(root, 'scripts/hpa-lab/local-resource-rules.yaml')}`,
  },
});

const ns = parse(await readFile(path.join(root, 'k8s/namespace.yaml'), 'utf8')) as { metadata: { name: string } };
ns.metadata.name = NAMESPACE;
const secrets = (await readFile(path.join(root, 'k8s/secrets.example.yaml'), 'utf8'))
  .split(/^---$/m)
  .map((doc) => parse(doc) as { metadata: Record<string, string> })
  .map((s) => ({ ...s, metadata: { ...s.metadata, namespace: NAMESPACE } }));
await kubectl(['apply', '-f', '-'], [ns, ...secrets].map((o) => stringify(o)).join('---\n'));
step(`helm upgrade --install hms-lab with ${valuesFile}`);
await run(
  bin('helm'),
  [
    'upgrade',
    '--install',
    'hms-lab',
    path.join(root, 'helm/hms'),
    '-n',
    NAMESPACE,
    '-f',
    path.resolve(valuesFile),
    '--wait',
    '--timeout',
    '5m',
    '--kubeconfig',
    kubeconfig,
  ],
  { maxBuffer: 16 * 1024 * 1024 },
);

// Before any load: every HPA has brought its Deployment to minReplicas (a fresh
// release starts each at one pod), so the run starts from the configured floor.
step('waiting for every HPA to reach its minReplicas');
for (const deadline = Date.now() + 180_000; ;) {
  const { items } = JSON.parse(await kubectl(['get', 'hpa', '-n', NAMESPACE, '-o', 'json'])) as {
    items: { spec: { minReplicas: number }; status: { currentReplicas?: number } }[];
  };
  if (items.length > 0 && items.every((h) => (h.status.currentReplicas ?? 0) >= h.spec.minReplicas)) break;
  if (Date.now() > deadline) {
    console.error('hpa-lab: the HPAs did not reach minReplicas within 3 minutes');
    process.exit(1);
  }
  await new Promise((r) => setTimeout(r, 2000));
}

// ------------------------------------------------------------------- sampling
interface Sample {
  t: number;
  time: string;
  service: string;
  replicas: number;
  desired: number;
  metric: string;
  current: number;
  target: number;
}
const outDir = path.join(home, 'hpa-lab', new Date().toISOString().replace(/[:.]/g, '-'));
await mkdir(outDir, { recursive: true });
const csvPath = path.join(outDir, 'hpa.csv');
const csv = createWriteStream(csvPath);
csv.write('t_s,time,service,replicas,desired_replicas,metric,current,target\n');
const samples: Sample[] = [];
const started = Date.now();

type MetricStatus = {
  type: string;
  resource?: { name: string; current: { averageUtilization?: number } };
  pods?: { metric: { name: string }; current: { averageValue: string } };
  external?: { metric: { name: string }; current: { averageValue?: string; value?: string } };
};
type MetricSpec = {
  type: string;
  resource?: { name: string; target: { averageUtilization?: number } };
  pods?: { metric: { name: string }; target: { averageValue: string } };
  external?: { metric: { name: string }; target: { averageValue?: string; value?: string } };
};

function quantity(q: string | undefined): number {
  if (!q) return NaN;
  const m = /^(-?[\d.]+)(m|k|M|G|Ki|Mi|Gi)?$/.exec(q);
  if (!m) return NaN;
  const scale: Record<string, number> = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 };
  return Number(m[1]) * (m[2] ? scale[m[2]]! : 1);
}

const metricName = (m: MetricSpec | MetricStatus) =>
  m.resource ? `${m.resource.name}_utilization_pct` : (m.pods?.metric.name ?? m.external?.metric.name ?? m.type);

async function sample(): Promise<void> {
  const { items } = JSON.parse(await kubectl(['get', 'hpa', '-n', NAMESPACE, '-o', 'json'])) as {
    items: {
      metadata: { name: string };
      spec: { metrics: MetricSpec[] };
      status: { currentReplicas?: number; desiredReplicas?: number; currentMetrics?: MetricStatus[] };
    }[];
  };
  const t = Math.round((Date.now() - started) / 1000);
  const time = new Date().toISOString();
  for (const hpa of items) {
    const service = hpa.metadata.name.replace(/^hms-lab-/, '');
    const current = new Map((hpa.status.currentMetrics ?? []).map((m) => [metricName(m), m]));
    for (const spec of hpa.spec.metrics) {
      const name = metricName(spec);
      const now = current.get(name);
      const value = now?.resource
        ? (now.resource.current.averageUtilization ?? NaN)
        : now?.pods
          ? quantity(now.pods.current.averageValue)
          : quantity(now?.external?.current.averageValue ?? now?.external?.current.value);
      const target = spec.resource
        ? (spec.resource.target.averageUtilization ?? NaN)
        : quantity(spec.pods?.target.averageValue ?? spec.external?.target.averageValue ?? spec.external?.target.value);
      const row: Sample = {
        t,
        time,
        service,
        replicas: hpa.status.currentReplicas ?? 0,
        desired: hpa.status.desiredReplicas ?? 0,
        metric: name,
        current: value,
        target,
      };
      samples.push(row);
      csv.write(
        `${t},${time},${service},${row.replicas},${row.desired},${name},${Number.isNaN(value) ? '' : value},${target}\n`,
      );
    }
  }
}

// -------------------------------------------------------------------------- k6
step(`k6 stage "${stage}" against ${api} (the ${stackEnv.HMS_PROFILE} stack's nginx)`);
const fixtureFile = path.join(outDir, 'fixture.json');
await createReleaseFixture(stackEnv, fixtureFile);
const k6Script = stage.endsWith('.js') ? path.resolve(stage) : path.join(root, 'k6/release.js');
const k6Log = createWriteStream(path.join(outDir, 'k6.log'));
const k6 = spawn(
  bin('k6'),
  [
    'run',
    '--no-color',
    '-e',
    `HMS_FIXTURE=${fixtureFile}`,
    ...(stage.endsWith('.js') ? [] : ['-e', `HMS_STAGE=${stage}`]),
    k6Script,
  ],
  {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', K6_NO_USAGE_REPORT: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  },
);
k6.stdout.pipe(k6Log);
k6.stderr.pipe(k6Log);
let k6Done = false;
let k6EndedAt = 0;
const k6Exit = new Promise<number>((resolve) =>
  k6.on('exit', (code) => {
    k6Done = true;
    k6EndedAt = Math.round((Date.now() - started) / 1000);
    resolve(code ?? 1);
  }),
);

const cooldownDeadline = () => (k6Done ? started + k6EndedAt * 1000 + cooldownS * 1000 : Infinity);
while (Date.now() < cooldownDeadline()) {
  await sample().catch((error: unknown) => console.error(`hpa-lab: sample failed: ${String(error)}`));
  await new Promise((r) => setTimeout(r, intervalS * 1000));
}
const k6Code = await k6Exit;
csv.end();

// -------------------------------------------------------------------- the chart
const services = [...new Set(samples.map((s) => s.service))].sort();
const panelW = 560;
const panelH = 220;
const pad = { l: 48, r: 64, t: 28, b: 30 };
const tMax = Math.max(1, ...samples.map((s) => s.t));
const cols = 2;
const rows = Math.ceil(services.length / cols);
const parts: string[] = [];
/** The metric a panel shows beside replicas: the one that is not CPU or memory, else CPU. */
const inputOf = (service: string) => {
  const names = [...new Set(samples.filter((s) => s.service === service).map((s) => s.metric))];
  return names.find((n) => !n.endsWith('_utilization_pct')) ?? 'cpu_utilization_pct';
};
services.forEach((service, i) => {
  const x0 = (i % cols) * panelW;
  const y0 = Math.floor(i / cols) * panelH;
  const own = samples.filter((s) => s.service === service);
  const byT = new Map<number, Sample>();
  for (const s of own) byT.set(s.t, s);
  const points = [...byT.values()].sort((a, b) => a.t - b.t);
  const input = own.filter((s) => s.metric === inputOf(service) && !Number.isNaN(s.current));
  const rMax = Math.max(1, ...points.map((p) => Math.max(p.replicas, p.desired)));
  const mMax = Math.max(1e-9, ...input.map((s) => Math.max(s.current, s.target)));
  const w = panelW - pad.l - pad.r;
  const h = panelH - pad.t - pad.b;
  const X = (t: number) => x0 + pad.l + (t / tMax) * w;
  const YR = (r: number) => y0 + pad.t + h - (r / rMax) * h;
  const YM = (m: number) => y0 + pad.t + h - (m / mMax) * h;
  const stepPath = (get: (p: Sample) => number) =>
    points
      .map((p, j) =>
        j === 0 ? `M${X(p.t).toFixed(1)} ${YR(get(p)).toFixed(1)}` : `H${X(p.t).toFixed(1)} V${YR(get(p)).toFixed(1)}`,
      )
      .join(' ');
  parts.push(
    `<g><text x="${x0 + pad.l}" y="${y0 + 18}" font-size="13" font-weight="bold">${service}</text>`,
    `<rect x="${x0 + pad.l}" y="${y0 + pad.t}" width="${w}" height="${h}" fill="none" stroke="#ccc"/>`,
    `<text x="${x0 + 4}" y="${y0 + pad.t + 10}" font-size="10">${rMax}</text>`,
    `<text x="${x0 + 4}" y="${y0 + pad.t + h}" font-size="10">0</text>`,
    `<text x="${x0 + pad.l + w + 4}" y="${y0 + pad.t + 10}" font-size="10" fill="#d62728">${input.length ? +mMax.toPrecision(3) : 'no data'}</text>`,
    `<text x="${x0 + pad.l}" y="${y0 + panelH - 8}" font-size="10">0 s</text>`,
    `<text x="${x0 + pad.l + w - 30}" y="${y0 + panelH - 8}" font-size="10">${tMax} s</text>`,
    points.length ? `<path d="${stepPath((p) => p.replicas)}" fill="none" stroke="#1f77b4" stroke-width="2"/>` : '',
    points.length
      ? `<path d="${stepPath((p) => p.desired)}" fill="none" stroke="#ff7f0e" stroke-dasharray="4 3" stroke-width="1.5"/>`
      : '',
    input.length
      ? `<polyline points="${input.map((s) => `${X(s.t).toFixed(1)},${YM(s.current).toFixed(1)}`).join(' ')}" fill="none" stroke="#d62728" stroke-width="1.2"/>`
      : '',
    input.length
      ? `<line x1="${X(0)}" x2="${X(tMax)}" y1="${YM(input[0]!.target)}" y2="${YM(input[0]!.target)}" stroke="#d62728" stroke-dasharray="2 4"/>`
      : '',
    k6EndedAt
      ? `<line x1="${X(k6EndedAt)}" x2="${X(k6EndedAt)}" y1="${y0 + pad.t}" y2="${y0 + pad.t + h}" stroke="#999" stroke-dasharray="3 3"/>`
      : '',
    `<text x="${x0 + pad.l + 140}" y="${y0 + 18}" font-size="10" fill="#d62728">${inputOf(service)} (target dotted)</text></g>`,
  );
});
const width = cols * panelW;
const height = rows * panelH + 30;
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="8" y="${height - 10}" font-size="11">HPA lab: ${path.basename(valuesFile)}, k6 stage ${stage}. Blue: replicas; orange dashed: desired replicas (left axis). Red: input metric per pod (right axis), dotted: its target. Grey: k6 ended.</text>
${parts.join('\n')}
</svg>
`;
await writeFile(path.join(outDir, 'hpa.svg'), svg);

// ------------------------------------------------------------------- summary
console.log(`\nhpa-lab: ${samples.length} samples over ${tMax} s (k6 exited ${k6Code} at ${k6EndedAt} s)`);
for (const service of services) {
  const own = samples.filter((s) => s.service === service);
  const first = own[0]!;
  const peak = Math.max(...own.map((s) => s.replicas));
  const firstUp = own.find((s) => s.desired > first.replicas);
  const last = own.at(-1)!;
  console.log(
    `  ${service.padEnd(13)} replicas ${first.replicas} -> peak ${peak} -> ${last.replicas} at the end; ` +
      `first scale-up decision ${firstUp ? `at ${firstUp.t} s` : 'none'}; input ${inputOf(service)}`,
  );
}
console.log(`  CSV:   ${csvPath}\n  chart: ${path.join(outDir, 'hpa.svg')}\n  k6:    ${path.join(outDir, 'k6.log')}`);
console.log('  the control plane keeps running: scripts/k8s.sh down (add --wipe to forget the release)');
