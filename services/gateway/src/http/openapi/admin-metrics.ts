/** The contracts of /admin/metrics, the platform admins' figures (routes/admin-metrics.ts). */
import { z } from 'zod';
import { summaryRequest, tenantMetricsRequest } from '../routes/admin-metrics.js';
import { contracts } from './contract.js';

const tag = 'Platform';
const figure = z.number().nullable();
const breach = z.strictObject({ breach: z.string(), value: z.number() });

export const adminMetricsContracts = contracts(
  {
    method: 'get',
    path: '/api/v1/admin/metrics/summary',
    operationId: 'getPlatformSummary',
    permission: 'platform.metrics.read',
    tag,
    summary: 'The whole platform now: rate, errors, latency, the SLOs, the busiest tenants',
    request: summaryRequest,
    responses: {
      200: {
        description: 'Figures per second and ratios 0-1; null where there is no data',
        schema: z.strictObject({
          window: z.string(),
          requestsPerSecond: figure,
          errorRatio: figure,
          p95Seconds: figure,
          p99Seconds: figure,
          slos: z.array(
            z.strictObject({ name: z.string(), objective: z.number(), errorRatio1h: figure, burnRate1h: figure }),
          ),
          topTenants: z.array(
            z.strictObject({
              tenantId: z.string(),
              requestsPerSecond: z.number(),
              errorRatio: figure,
              p95Seconds: figure,
              p99Seconds: figure,
              rateLimitedPerSecond: figure,
            }),
          ),
        }),
      },
    },
  },
  {
    method: 'get',
    path: '/api/v1/admin/metrics/tenants/:id',
    operationId: 'getTenantFigures',
    permission: 'platform.metrics.read',
    tag,
    summary: "One tenant's rate, errors, latency, rejections and SLO breaches",
    request: tenantMetricsRequest,
    responses: {
      200: {
        description: 'The figures',
        schema: z.strictObject({
          tenantId: z.string(),
          window: z.string(),
          requestsPerSecond: figure,
          errorRatio: figure,
          errorRatio1h: figure,
          p95Seconds: figure,
          p99Seconds: figure,
          rateLimitedPerSecond: figure,
          sloBreaches: z.array(breach),
        }),
      },
    },
  },
  {
    method: 'get',
    path: '/api/v1/admin/metrics/problems',
    operationId: 'getTenantProblems',
    permission: 'platform.metrics.read',
    tag,
    summary: 'Tenants breaching their SLO over the last hour',
    responses: {
      200: {
        description: 'Tenants with their breaches',
        schema: z.strictObject({
          window: z.string(),
          objectives: z.strictObject({ availability: z.number(), p95Seconds: z.number() }),
          tenants: z.array(z.strictObject({ tenantId: z.string(), breaches: z.array(breach) })),
        }),
      },
    },
  },
);
