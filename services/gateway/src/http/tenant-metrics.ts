/**
 * Per-tenant request figures: rate, errors (by status class, rate-limit
 * rejections apart) and latency. The gateway is the only process that labels
 * anything by tenant, so the cost of the tenant label is paid once, here, and
 * stays bounded: one process labels at most `maxTenants` tenants (the first
 * it serves after starting); requests of any further tenant count under
 * tenant="_other", and hms_tenant_metrics_overflow_total says how many did.
 * Recording rules (monitoring/rules/tenants.yml) add the gateways up per
 * tenant and the dashboards show the top N; docs/operations.md explains the
 * limit and when to raise it.
 */
import { Counter, Gauge, Histogram, type Registry } from '@hms/platform';

/** Few buckets: each costs one series per tenant. 0.2 s is the booking latency objective. */
const TENANT_BUCKETS = [0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5];
export const OTHER_TENANTS = '_other';

export interface TenantMetrics {
  observe(tenantId: string, status: number, seconds: number): void;
}

export function createTenantMetrics(registry: Registry, options: { maxTenants: number }): TenantMetrics {
  const registers = [registry];
  const requests = new Counter({
    name: 'hms_tenant_http_requests_total',
    help: 'REST requests per tenant and status class (2xx, 3xx, 4xx, 429 = rate-limited, 5xx)',
    labelNames: ['tenant', 'status_class'],
    registers,
  });
  const duration = new Histogram({
    name: 'hms_tenant_http_request_duration_seconds',
    help: 'REST request latency per tenant',
    labelNames: ['tenant'],
    buckets: TENANT_BUCKETS,
    registers,
  });
  const overflow = new Counter({
    name: 'hms_tenant_metrics_overflow_total',
    help: 'Requests counted under tenant="_other" because this process already labels as many tenants as it may',
    registers,
  });
  const labelled = new Set<string>();
  new Gauge({
    name: 'hms_tenant_metrics_tenants',
    help: 'Tenants this process labels separately (at most TENANT_METRICS_MAX_TENANTS)',
    registers,
    collect() {
      this.set(labelled.size);
    },
  });

  return {
    observe(tenantId, status, seconds) {
      let tenant = tenantId;
      if (!labelled.has(tenantId)) {
        if (labelled.size < options.maxTenants) labelled.add(tenantId);
        else {
          tenant = OTHER_TENANTS;
          overflow.inc();
        }
      }
      requests.inc({ tenant, status_class: statusClass(status) });
      duration.observe({ tenant }, seconds);
    },
  };
}

export function statusClass(status: number): string {
  if (status === 429) return '429';
  if (status >= 500) return '5xx';
  if (status >= 400) return '4xx';
  if (status >= 300) return '3xx';
  return '2xx';
}
