import { describe, expect, it } from 'vitest';
import { createMetrics, observeWithTrace, openMetricsText } from './metrics.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

describe('metrics', () => {
  it('serves exemplars in OpenMetrics and leaves the classic format as it was', async () => {
    const metrics = createMetrics('billing', { defaultMetrics: false });
    observeWithTrace(metrics.grpcServerDuration, { grpc_service: 's', grpc_method: 'm', grpc_code: 'OK' }, 0.15, TRACE);
    observeWithTrace(metrics.httpServerDuration, { method: 'GET', route: '/x', status_code: '200' }, 0.01, '');
    metrics.cacheLookups.inc({ cache: 'tenants', result: 'hit' });

    const open = await openMetricsText(metrics.registry);
    expect(open).toMatch(
      new RegExp(
        `^hms_grpc_server_handling_seconds_bucket\\{le="0.2",service="billing",grpc_service="s",grpc_method="m",grpc_code="OK"\\} 1 # \\{trace_id="${TRACE}"\\} 0.15 \\d+`,
        'm',
      ),
    );
    // No trace, no exemplar.
    expect(open).not.toMatch(/route="\/x"[^\n]*# \{/);
    expect(open).toMatch(/^# TYPE hms_cache_lookups counter$/m);
    expect(open).toMatch(/^hms_cache_lookups_total\{cache="tenants",result="hit",service="billing"\} 1$/m);
    expect(open.endsWith('# EOF\n')).toBe(true);

    // Rendering OpenMetrics must not rename the counters of the classic format.
    const classic = await metrics.registry.metrics();
    expect(classic).toMatch(/^# TYPE hms_cache_lookups_total counter$/m);
    expect(classic).toMatch(/^hms_cache_lookups_total\{cache="tenants",result="hit",service="billing"\} 1$/m);
    expect(classic).not.toContain('trace_id');
  });
});
