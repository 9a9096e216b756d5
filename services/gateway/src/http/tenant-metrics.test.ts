import { createMetrics } from '@hms/platform';
import { describe, expect, it } from 'vitest';
import { createTenantMetrics, OTHER_TENANTS, statusClass } from './tenant-metrics.js';

async function samples(text: Promise<string>, name: string): Promise<string[]> {
  return (await text).split('\n').filter((line) => line.startsWith(`${name}{`));
}

describe('per-tenant metrics', () => {
  it('labels at most maxTenants tenants and counts the rest as _other', async () => {
    const { registry } = createMetrics('gateway', { defaultMetrics: false });
    const tenants = createTenantMetrics(registry, { maxTenants: 2 });
    tenants.observe('a', 201, 0.03);
    tenants.observe('b', 429, 0.001);
    tenants.observe('c', 500, 0.3);
    tenants.observe('d', 404, 0.3);
    tenants.observe('a', 200, 0.01);

    const requests = await samples(registry.metrics(), 'hms_tenant_http_requests_total');
    expect(requests).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^hms_tenant_http_requests_total\{tenant="a",status_class="2xx",service="gateway"\} 2$/),
        expect.stringMatching(/tenant="b",status_class="429".* 1$/),
        expect.stringMatching(new RegExp(`tenant="${OTHER_TENANTS}",status_class="5xx".* 1$`)),
        expect.stringMatching(new RegExp(`tenant="${OTHER_TENANTS}",status_class="4xx".* 1$`)),
      ]),
    );
    expect(requests.some((l) => l.includes('tenant="c"') || l.includes('tenant="d"'))).toBe(false);
    const text = await registry.metrics();
    expect(text).toMatch(/^hms_tenant_metrics_overflow_total\{service="gateway"\} 2$/m);
    expect(text).toMatch(/^hms_tenant_metrics_tenants\{service="gateway"\} 2$/m);
    expect(text).toMatch(
      /^hms_tenant_http_request_duration_seconds_bucket\{le="0.2",service="gateway",tenant="_other"\} 0$/m,
    );
  });

  it('sorts statuses into classes, rate-limit rejections apart', () => {
    expect([200, 204, 302, 400, 404, 429, 499, 500, 503].map(statusClass)).toEqual([
      '2xx',
      '2xx',
      '3xx',
      '4xx',
      '4xx',
      '429',
      '4xx',
      '5xx',
      '5xx',
    ]);
  });
});
