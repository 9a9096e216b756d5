/**
 * The gateway's reader of Prometheus' HTTP API (instant queries), for the
 * platform admins' metrics endpoints. Prometheus is part of the deployment, not
 * of the request path: when it is unset, away or slow, those endpoints answer
 * 503 with Retry-After and everything else is unaffected.
 */
import { HttpProblem } from './problem.js';

export interface Sample {
  labels: Record<string, string>;
  value: number;
}

export interface PrometheusReader {
  /** An instant query; each series' labels and value (NaN as null becomes NaN). */
  query(expr: string): Promise<Sample[]>;
}

function unavailable(detail: string): HttpProblem {
  return new HttpProblem(503, 'metrics-unavailable', detail, [], { 'retry-after': '10' });
}

export function createPrometheusReader(options: { url: string | undefined; timeoutMs: number }): PrometheusReader {
  return {
    async query(expr) {
      if (!options.url) throw unavailable('no metrics backend is configured (PROMETHEUS_URL)');
      let response: Response;
      try {
        response = await fetch(new URL('/api/v1/query', options.url), {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ query: expr }),
          signal: AbortSignal.timeout(options.timeoutMs),
        });
      } catch {
        throw unavailable('the metrics backend did not answer');
      }
      const body = (await response.json().catch(() => ({}))) as {
        status?: string;
        data?: { resultType?: string; result?: { metric: Record<string, string>; value: [number, string] }[] };
      };
      if (!response.ok || body.status !== 'success' || body.data?.resultType !== 'vector') {
        throw unavailable('the metrics backend refused the query');
      }
      return (body.data.result ?? []).map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));
    },
  };
}
