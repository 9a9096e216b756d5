/**
 * The few shapes every HMS dashboard is made of, over Grafana's foundation SDK:
 * a dashboard is rows of panels, a panel is one or more PromQL queries against
 * the provisioned Prometheus data source. Each panel says what it needs when
 * the local stack cannot feed it (`needs`), so the panel-query test
 * (e2e/dashboards.e2e.test.ts) knows which empty results are expected.
 */
import { DashboardBuilder, RowBuilder, type Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder, PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';

/** The Prometheus data source of monitoring/grafana/provisioning/datasources/hms.yaml. */
export const PROMETHEUS = { type: 'prometheus', uid: 'hms-prometheus' };

/**
 * Why a panel may show nothing on the local stack:
 * - kubernetes: kube-state-metrics and the custom-metrics pipeline exist only in a cluster;
 * - live-streams: the live-queue streams (SSE fan-out) are not built yet; their metric
 *   names are reserved here so the dashboard is ready when they are.
 */
export type Need = 'kubernetes' | 'live-streams';

export interface Query {
  expr: string;
  legend?: string;
  /** A table's one value per series, not a range. */
  instant?: boolean;
}

export interface PanelSpec {
  title: string;
  description: string;
  unit: string;
  queries: Query[];
  kind?: 'timeseries' | 'stat' | 'table';
  /** Show exemplars (trace ids on latency histograms). */
  exemplars?: boolean;
  needs?: Need;
  /** Columns out of 24 (default 12). */
  width?: number;
}

export interface RowSpec {
  title: string;
  panels: PanelSpec[];
}

export interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  rows: RowSpec[];
}

function target(q: Query, i: number, exemplars: boolean): DataqueryBuilder {
  const b = new DataqueryBuilder()
    .expr(q.expr)
    .refId(String.fromCharCode(65 + i))
    .legendFormat(q.legend ?? '__auto')
    .datasource(PROMETHEUS);
  if (q.instant) b.instant().format(PromQueryFormat.Table);
  else b.range();
  if (exemplars) b.exemplar(true);
  return b;
}

function panel(spec: PanelSpec, gridPos: { x: number; y: number; w: number; h: number }) {
  const description = spec.needs ? `${spec.description} (Needs ${spec.needs}.)` : spec.description;
  const targets = spec.queries.map((q, i) => target(q, i, spec.exemplars ?? false));
  switch (spec.kind ?? 'timeseries') {
    case 'stat': {
      const p = new StatPanel().title(spec.title).description(description).unit(spec.unit).datasource(PROMETHEUS);
      for (const t of targets) p.withTarget(t);
      return p.gridPos(gridPos);
    }
    case 'table': {
      const p = new TablePanel().title(spec.title).description(description).unit(spec.unit).datasource(PROMETHEUS);
      for (const t of targets) p.withTarget(t);
      return p.gridPos(gridPos);
    }
    default: {
      const p = new TimeseriesPanel()
        .title(spec.title)
        .description(description)
        .unit(spec.unit)
        .datasource(PROMETHEUS)
        .lineWidth(1)
        .fillOpacity(10);
      for (const t of targets) p.withTarget(t);
      return p.gridPos(gridPos);
    }
  }
}

export function buildDashboard(spec: DashboardSpec): Dashboard {
  const b = new DashboardBuilder(spec.title)
    .uid(spec.uid)
    .description(spec.description)
    .tags(['hms'])
    .editable()
    .refresh('30s')
    .time({ from: 'now-1h', to: 'now' })
    .timezone('utc');
  let y = 0;
  for (const row of spec.rows) {
    b.withRow(new RowBuilder(row.title).gridPos({ x: 0, y, w: 24, h: 1 }));
    y += 1;
    let x = 0;
    for (const p of row.panels) {
      const w = p.width ?? 12;
      if (x + w > 24) {
        x = 0;
        y += 8;
      }
      b.withPanel(panel(p, { x, y, w, h: 8 }));
      x += w;
    }
    y += 8;
  }
  return b.build();
}

/** Every panel of a dashboard spec, with the row it is in. */
export function panelsOf(spec: DashboardSpec): (PanelSpec & { row: string })[] {
  return spec.rows.flatMap((r) => r.panels.map((p) => ({ ...p, row: r.title })));
}
