/**
 * The OpenAPI document against the Express app: every route the app serves is
 * in the document and every operation of the document is served (the HTML
 * pages aside), and the document says what the API promises everywhere.
 */
import { describe, expect, it } from 'vitest';
import { inertApp, routesOf } from '../../testing/inert-app.js';
import { buildOpenApiDocument, openApiPath } from './document.js';
import { ALL_CONTRACTS } from './index.js';

/** Pages for people, not API operations: the waiting-room display and the docs page itself. */
const PAGES = /^\/(display\/|api\/docs)/;

describe('the OpenAPI document', () => {
  const document = buildOpenApiDocument();

  it('has every route the app serves, and serves every operation it has', () => {
    const routes = routesOf(inertApp()).filter((r) => !PAGES.test(r.path));
    const served = routes.map((r) => `${r.method} ${r.path}`);
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
    // Each contract names the permission its route requires, and only public routes are public.
    for (const r of routes) {
      const c = ALL_CONTRACTS.find((x) => x.method.toUpperCase() === r.method && x.path === r.path)!;
      const where = `${r.method} ${r.path}`;
      if (r.needs === 'public') expect({ auth: c.auth, permission: c.permission }, where).toEqual({ auth: 'public' });
      else
        expect({ auth: c.auth === 'public', permission: c.permission }, where).toEqual({
          auth: false,
          permission: r.needs,
        });
    }
    // ... and the document has them all under the OpenAPI path of each.
    for (const c of ALL_CONTRACTS) expect(document.paths?.[openApiPath(c.path)]?.[c.method]).toBeDefined();
  });

  it('is OpenAPI 3.1 with unique operation ids, path parameters declared, problem+json errors', () => {
    expect(document.openapi).toBe('3.1.0');
    const ids = ALL_CONTRACTS.map((c) => c.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const [path, item] of Object.entries(document.paths ?? {})) {
      for (const [method, op] of Object.entries(item ?? {})) {
        if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue; // e.g. a path's own servers
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
          expect(Object.keys(ok.headers ?? {})).toEqual(expect.arrayContaining(['RateLimit-Policy', 'RateLimit']));
        }
      }
    }
    expect(Object.keys(document.components?.securitySchemes ?? {})).toEqual(['bearerAuth', 'apiKey', 'displayToken']);
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
