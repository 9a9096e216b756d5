/**
 * The dashboards as Grafana loads them: the committed JSON is exactly what
 * dashboards.ts generates, every panel queries the provisioned Prometheus data
 * source with a PromQL expression, ids and positions are sound, and the
 * provisioning files point at what exists. Whether the queries return data is
 * e2e/dashboards.e2e.test.ts's job, against the live stack.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DASHBOARDS } from './dashboards.js';
import { DASHBOARDS_DIR, renderDashboards } from './generate.js';
import { PROMETHEUS } from './panels.js';

interface PanelJson {
  type: string;
  title?: string;
  description?: string;
  datasource?: { uid: string };
  gridPos?: { x: number; y: number; w: number; h: number };
  targets?: { expr?: string; refId?: string; datasource?: { uid: string } }[];
}

describe('Grafana dashboards', () => {
  it('are committed exactly as dashboards.ts generates them (npm run dashboards)', async () => {
    const rendered = await renderDashboards();
    const files = (await readdir(DASHBOARDS_DIR)).filter((f) => f.endsWith('.json')).sort();
    expect(files).toEqual(rendered.map((r) => path.basename(r.file)).sort());
    for (const { file, json } of rendered) expect(await readFile(file, 'utf8'), file).toBe(json);
  });

  it('cover what SREs look at: overview, each service, Kafka, PostgreSQL, Redis, live queues, tenants, autoscaling', () => {
    expect(DASHBOARDS.map((d) => d.uid)).toEqual([
      'hms-overview',
      'hms-gateway',
      'hms-appointments',
      'hms-billing',
      'hms-queue',
      'hms-audit',
      'hms-kafka',
      'hms-postgres',
      'hms-redis',
      'hms-live-queues',
      'hms-tenants',
      'hms-autoscaling',
    ]);
  });

  it('every panel queries the HMS Prometheus with PromQL, with unique refIds and a place on the grid', async () => {
    for (const { file, json } of await renderDashboards()) {
      const dashboard = JSON.parse(json) as { uid: string; title: string; schemaVersion: number; panels: PanelJson[] };
      expect(dashboard.schemaVersion, file).toBeGreaterThanOrEqual(39);
      const panels = dashboard.panels.filter((p) => p.type !== 'row');
      expect(panels.length, file).toBeGreaterThan(3);
      for (const p of panels) {
        const where = `${dashboard.title} / ${p.title}`;
        expect(p.description, where).toBeTruthy();
        expect(p.datasource?.uid, where).toBe(PROMETHEUS.uid);
        expect(p.targets?.length, where).toBeGreaterThan(0);
        const refIds = p.targets!.map((t) => t.refId);
        expect(new Set(refIds).size, where).toBe(refIds.length);
        for (const t of p.targets!) {
          expect(t.expr?.trim(), where).toBeTruthy();
          expect(t.datasource?.uid, where).toBe(PROMETHEUS.uid);
        }
        const g = p.gridPos!;
        expect(g.x + g.w, where).toBeLessThanOrEqual(24);
      }
    }
  });

  it('provisioning files load the data sources the panels use and the dashboards folder', async () => {
    const root = path.join(DASHBOARDS_DIR, '..', 'provisioning');
    const sources = parse(await readFile(path.join(root, 'datasources/hms.yaml'), 'utf8')) as {
      datasources: {
        uid: string;
        type: string;
        jsonData?: { exemplarTraceIdDestinations?: { datasourceUid: string }[] };
      }[];
    };
    const byUid = new Map(sources.datasources.map((d) => [d.uid, d]));
    expect(byUid.get(PROMETHEUS.uid)?.type).toBe('prometheus');
    const traces = byUid.get(PROMETHEUS.uid)?.jsonData?.exemplarTraceIdDestinations?.[0]?.datasourceUid;
    expect(byUid.get(traces ?? '')?.type).toBe('jaeger');
    const providers = parse(await readFile(path.join(root, 'dashboards/hms.yaml'), 'utf8')) as {
      providers: { type: string; options: { path: string } }[];
    };
    expect(providers.providers[0]?.type).toBe('file');
    expect(providers.providers[0]?.options.path).toBe('${HMS_GRAFANA_DASHBOARDS}');
  });
});
