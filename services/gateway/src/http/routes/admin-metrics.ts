/**
 * /admin/metrics: platform-wide figures for platform operators (platform.metrics.read), read from
 * Prometheus (the recording rules of monitoring/rules/tenants.yml and slo.yml):
 *   GET /admin/metrics/summary?top=N  the whole platform now, the SLOs, the top N tenants (10)
 *   GET /admin/metrics/tenants/{id}   one tenant's rate, errors, latency, rejections, breaches
 *   GET /admin/metrics/problems       tenants breaching their SLO over the last hour
 * Values are per second and ratios 0-1; a figure with no data (no traffic) is null.
 */
import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { API_PREFIX } from '../api-prefix.js';
import { methodNotAllowed } from '../method-not-allowed.js';
import { requires } from '../permissions.js';
import type { PrometheusReader, Sample } from '../prometheus.js';
import { parseInput, uuid } from './validation.js';

export const tenantMetricsRequest = { params: z.object({ id: uuid }).strict() };
export const summaryRequest = {
  query: z
    .object({
      top: z.coerce
        .number({ error: 'must be a whole number from 1 to 100' })
        .int({ error: 'must be a whole number from 1 to 100' })
        .min(1, { error: 'must be a whole number from 1 to 100' })
        .max(100, { error: 'must be a whole number from 1 to 100' })
        .optional(),
    })
    .strict(),
};

const SLOS = [
  { name: 'booking_availability', objective: 0.999 },
  { name: 'booking_latency', objective: 0.95 },
  { name: 'event_freshness', objective: 0.99 },
  { name: 'live_queue_push_latency', objective: 0.99 },
] as const;

/** Tenants the summary lists unless asked for more (?top=, at most 100). */
const TOP = 10;

/** A finite number, or null (no data, or NaN from 0/0). */
function figure(samples: Sample[]): number | null {
  const v = samples[0]?.value;
  return v === undefined || !Number.isFinite(v) ? null : v;
}

function byTenant(samples: Sample[]): Map<string, number | null> {
  return new Map(samples.map((s) => [s.labels.tenant ?? '', Number.isFinite(s.value) ? s.value : null]));
}

export function adminMetricsRoutes(prometheus: PrometheusReader, guards: RequestHandler[]): Router {
  const router = Router();
  const base = `${API_PREFIX}/admin/metrics`;

  router
    .route(`${base}/summary`)
    .all(...guards)
    .get(requires('platform.metrics.read'), async (req, res) => {
      const { query } = parseInput(req, summaryRequest);
      const gateway = 'hms_http_server_request_duration_seconds';
      const [rate, errors, p95, p99, top, topErrors, topP95, topP99, topLimited, ...slos] = await Promise.all([
        prometheus.query(`sum(rate(${gateway}_count{job="gateway"}[5m]))`),
        prometheus.query(
          `1 - sum(rate(${gateway}_count{job="gateway", status_code!~"5.."}[5m])) / sum(rate(${gateway}_count{job="gateway"}[5m]))`,
        ),
        prometheus.query(`histogram_quantile(0.95, sum by (le) (rate(${gateway}_bucket{job="gateway"}[5m])))`),
        prometheus.query(`histogram_quantile(0.99, sum by (le) (rate(${gateway}_bucket{job="gateway"}[5m])))`),
        prometheus.query(`topk(${query.top ?? TOP}, tenant:hms_http_requests:rate5m)`),
        prometheus.query('tenant:hms_http_errors:ratio_rate5m'),
        prometheus.query('tenant:hms_http_latency:p95_5m'),
        prometheus.query('tenant:hms_http_latency:p99_5m'),
        prometheus.query('tenant:hms_http_rate_limited:rate5m'),
        ...SLOS.map((s) => prometheus.query(`max(slo:${s.name}:error_ratio_rate1h)`)),
      ]);
      const e = byTenant(topErrors!);
      const q95 = byTenant(topP95!);
      const q99 = byTenant(topP99!);
      const limited = byTenant(topLimited!);
      res.json({
        window: '5m',
        requestsPerSecond: figure(rate!),
        errorRatio: figure(errors!),
        p95Seconds: figure(p95!),
        p99Seconds: figure(p99!),
        slos: SLOS.map((s, i) => {
          const ratio = figure(slos[i]!);
          return {
            name: s.name,
            objective: s.objective,
            errorRatio1h: ratio,
            burnRate1h: ratio === null ? null : ratio / (1 - s.objective),
          };
        }),
        topTenants: [...top!]
          .sort((a, b) => b.value - a.value)
          .map((s) => {
            const tenantId = s.labels.tenant ?? '';
            return {
              tenantId,
              requestsPerSecond: s.value,
              errorRatio: e.get(tenantId) ?? null,
              p95Seconds: q95.get(tenantId) ?? null,
              p99Seconds: q99.get(tenantId) ?? null,
              rateLimitedPerSecond: limited.get(tenantId) ?? null,
            };
          }),
      });
    })
    .all(methodNotAllowed('GET'));

  router
    .route(`${base}/tenants/:id`)
    .all(...guards)
    .get(requires('platform.metrics.read'), async (req, res) => {
      const { params } = parseInput(req, tenantMetricsRequest);
      // Tenant ids are UUIDs (validated above), so they are safe inside the label matcher.
      const t = `{tenant="${params.id.toLowerCase()}"}`;
      const [rate, errors5m, errors1h, p95, p99, limited, breaches] = await Promise.all([
        prometheus.query(`tenant:hms_http_requests:rate5m${t}`),
        prometheus.query(`tenant:hms_http_errors:ratio_rate5m${t}`),
        prometheus.query(`tenant:hms_http_errors:ratio_rate1h${t}`),
        prometheus.query(`tenant:hms_http_latency:p95_5m${t}`),
        prometheus.query(`tenant:hms_http_latency:p99_5m${t}`),
        prometheus.query(`tenant:hms_http_rate_limited:rate5m${t}`),
        prometheus.query(`tenant:hms_slo_breach:1h${t}`),
      ]);
      res.json({
        tenantId: params.id.toLowerCase(),
        window: '5m',
        requestsPerSecond: figure(rate),
        errorRatio: figure(errors5m),
        errorRatio1h: figure(errors1h),
        p95Seconds: figure(p95),
        p99Seconds: figure(p99),
        rateLimitedPerSecond: figure(limited),
        sloBreaches: breaches.map((b) => ({ breach: b.labels.breach ?? '', value: b.value })),
      });
    })
    .all(methodNotAllowed('GET'));

  router
    .route(`${base}/problems`)
    .all(...guards)
    .get(requires('platform.metrics.read'), async (_req, res) => {
      const breaches = await prometheus.query('tenant:hms_slo_breach:1h');
      const tenants = new Map<string, { breach: string; value: number }[]>();
      for (const b of breaches) {
        const list = tenants.get(b.labels.tenant ?? '') ?? [];
        list.push({ breach: b.labels.breach ?? '', value: b.value });
        tenants.set(b.labels.tenant ?? '', list);
      }
      res.json({
        window: '1h',
        objectives: { availability: 0.999, p95Seconds: 0.2 },
        tenants: [...tenants].map(([tenantId, list]) => ({ tenantId, breaches: list })),
      });
    })
    .all(methodNotAllowed('GET'));
  return router;
}
