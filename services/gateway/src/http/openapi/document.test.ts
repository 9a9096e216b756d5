/**
 * The OpenAPI document against the Express app: every route the app serves is
 * in the document and every operation of the document is served (the HTML
 * pages aside), and the document says what the API promises everywhere.
 */
import { createMetrics } from '@hms/platform';
import type express from 'express';
import { describe, expect, it } from 'vitest';
import { createApp, type AppDeps } from '../app.js';
import { buildOpenApiDocument, openApiPath } from './document.js';
import { ALL_CONTRACTS } from './index.js';

/** Pages for people, not API operations: the waiting-room display and the docs page itself. */
const PAGES = /^\/(display\/|api\/docs)/;

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/** Every `METHOD path` the app routes (the `.all()` of a 405 is not a method it serves). */
function servedRoutes(app: express.Express): string[] {
  const out: string[] = [];
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const [method, on] of Object.entries(layer.route.methods)) {
          if (on && method !== '_all') out.push(`${method.toUpperCase()} ${layer.route.path}`);
        }
      } else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
  return out;
}

function appWithEveryRoute(): express.Express {
  // Building the app wires routers only: nothing here is called.
  const unused = {} as never;
  const deps: AppDeps = {
    logger: unused,
    metrics: createMetrics('gateway', { defaultMetrics: false }),
    backends: {
      appointments: { call: {} },
      patients: { call: {} },
      directory: { call: {} },
      calendar: { call: {} },
      billing: { call: {} },
      queue: { call: {} },
      audit: { call: {} },
    } as never,
    tenants: unused,
    redis: unused,
    jwt: { secret: 'x'.repeat(32), issuer: 'hms-dev' },
    rateLimitPerMinute: 1,
    tenantCacheTtlMs: 1,
    trustProxy: 'loopback',
    auditVerifyDeadlineMs: 1,
    platformMetrics: { prometheus: unused, admins: [] },
    hub: { onHeartbeat: () => undefined } as never,
    displayTokens: unused,
    displayTokenCacheTtlMs: 1,
    streamCapsOf: unused,
    maxStreamsPerProcess: 1,
  };
  return createApp(deps);
}

describe('the OpenAPI document', () => {
  const document = buildOpenApiDocument();

  it('has every route the app serves, and serves every operation it has', () => {
    const served = servedRoutes(appWithEveryRoute()).filter((r) => !PAGES.test(r.split(' ')[1]!));
    const documented = ALL_CONTRACTS.map((c) => `${c.method.toUpperCase()} ${c.path}`);
    expect(served.length).toBeGreaterThan(30);
    expect(
      served.filter((r) => !documented.includes(r)),
      'routes the document lacks',
    ).toEqual([]);
    expect(
      documented.filter((r) => !served.includes(r)),
      'operations no route serves',
    ).toEqual([]);
    // ... and the document has them all under the OpenAPI path of each.
    for (const c of ALL_CONTRACTS) expect(document.paths?.[openApiPath(c.path)]?.[c.method]).toBeDefined();
  });

  it('is OpenAPI 3.1 with unique operation ids, path parameters declared, problem+json errors', () => {
    expect(document.openapi).toBe('3.1.0');
    const ids = ALL_CONTRACTS.map((c) => c.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const [path, item] of Object.entries(document.paths ?? {})) {
      for (const [method, op] of Object.entries(item ?? {})) {
        const operation = op as {
          parameters?: { in: string; name: string; required?: boolean }[];
          responses: Record<string, { content?: Record<string, unknown>; headers?: Record<string, unknown> }>;
          security?: unknown[];
        };
        const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
        const declared = (operation.parameters ?? []).filter((p) => p.in === 'path');
        expect(declared.map((p) => p.name).sort(), `${method} ${path}`).toEqual(inPath.sort());
        expect(declared.every((p) => p.required)).toBe(true);
        const statuses = Object.keys(operation.responses);
        expect(statuses).toContain('500');
        for (const status of statuses.filter((s) => Number(s) >= 400)) {
          expect(Object.keys(operation.responses[status]!.content ?? {}), `${method} ${path} ${status}`).toEqual([
            'application/problem+json',
          ]);
        }
        if (operation.security?.length !== 0) {
          expect(statuses).toEqual(expect.arrayContaining(['401', '429']));
          const ok = operation.responses[statuses.find((s) => s.startsWith('2'))!]!;
          expect(Object.keys(ok.headers ?? {})).toEqual(
            expect.arrayContaining(['RateLimit-Limit', 'RateLimit-Remaining']),
          );
        }
      }
    }
    expect(Object.keys(document.components?.securitySchemes ?? {})).toEqual(['bearerAuth', 'displayToken']);
  });

  it('publishes the request rules the routes enforce (one set of schemas)', () => {
    const book = document.paths?.['/appointments']?.post as {
      requestBody: {
        content: {
          'application/json': { schema: { required: string[]; additionalProperties: boolean }; example: unknown };
        };
      };
      parameters: { name: string; in: string }[];
    };
    const body = book.requestBody.content['application/json'];
    expect(body.schema.required).toEqual(['patientId', 'doctorId', 'startsAt']);
    expect(body.schema.additionalProperties).toBe(false);
    expect(body.example).toBeDefined();
    expect(book.parameters).toContainEqual(expect.objectContaining({ in: 'header', name: 'Idempotency-Key' }));
    const pay = document.paths?.['/bills/{id}/payments']?.post as {
      parameters: { name: string; required?: boolean }[];
    };
    expect(pay.parameters.find((p) => p.name === 'Idempotency-Key')?.required).toBe(true);
  });
});
