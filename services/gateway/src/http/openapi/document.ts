/**
 * The OpenAPI 3.1 document of the REST API, built from the route contracts
 * (index.ts) by zod-openapi: the request schemas the routes validate with, the
 * response schemas of schemas.ts, problem+json for every error, the security
 * schemes and the rate-limit headers. Built once per process, on first use.
 */
import {
  createDocument,
  type ZodOpenApiOperationObject,
  type ZodOpenApiPathsObject,
  type ZodOpenApiResponseObject,
} from 'zod-openapi';
import type { z } from 'zod';
import { API_PREFIX } from '../api-prefix.js';
import { headerName } from '../routes/validation.js';
import type { RouteContract } from './contract.js';
import { ALL_CONTRACTS } from './index.js';
import { ProblemSchema } from './schemas.js';

/** The API's version: a breaking change to /api/v1's document needs a new one (docs/api.md). */
export const API_VERSION = '1.1.0';

const TITLES: Record<number, string> = {
  400: 'The request is not valid: `errors` names each field',
  401: 'No valid token',
  403: 'The token may not do this',
  404: 'No such resource (of this tenant)',
  409: 'Conflicts with the current state (e.g. the slot is taken)',
  413: 'The body is too large',
  414: 'The request line (the path and query) is too long',
  415: 'The body is not JSON',
  422: 'Valid, but refused by a business rule (the detail says which)',
  429: 'Over the rate limit or a stream cap: retry after Retry-After seconds',
  500: 'An internal error (it reveals nothing)',
  503: 'A service is unavailable: retry after Retry-After seconds',
  504: 'A service did not answer in time: retry',
};
/** What any authenticated route can answer. */
const COMMON_ERRORS = [400, 401, 403, 413, 414, 415, 429, 500, 503, 504];
const PUBLIC_ERRORS = [400, 414, 500];

const rateLimitHeaders = {
  'RateLimit-Policy': { $ref: '#/components/headers/RateLimit-Policy' },
  RateLimit: { $ref: '#/components/headers/RateLimit' },
};
const retryAfter = { 'Retry-After': { $ref: '#/components/headers/Retry-After' } };

/** `/api/v1/bills/:id` -> `/bills/{id}` (the server URL carries the prefix). */
export const openApiPath = (expressPath: string) =>
  (expressPath.startsWith(API_PREFIX) ? expressPath.slice(API_PREFIX.length) : expressPath).replace(
    /:([A-Za-z]+)/g,
    '{$1}',
  );

function errorResponse(status: number) {
  const headers = status === 429 || status === 503 || status === 504 ? retryAfter : undefined;
  return {
    description: TITLES[status] ?? 'Error',
    ...(headers ? { headers } : {}),
    content: { 'application/problem+json': { schema: ProblemSchema } },
  };
}

function operation(route: RouteContract): ZodOpenApiOperationObject {
  const req = route.request ?? {};
  const responses: Record<string, ZodOpenApiResponseObject> = {};
  const authenticated = route.auth !== 'public';
  for (const [status, r] of Object.entries(route.responses)) {
    const contentType = r.contentType ?? 'application/json';
    responses[status] = {
      description: r.description,
      headers: { ...(authenticated ? rateLimitHeaders : {}), ...(r.headers ?? {}) },
      ...(r.schema || contentType !== 'application/json'
        ? {
            content: {
              [contentType]: {
                schema: (r.schema ?? ({ type: 'string', format: 'binary' } as unknown as z.ZodType)) as z.ZodType,
              },
            },
          }
        : {}),
      ...(r.links ? { links: r.links } : {}),
    };
  }
  const errors = new Set([...(authenticated ? COMMON_ERRORS : PUBLIC_ERRORS), ...(route.errors ?? [])]);
  for (const status of [...errors].sort()) responses[String(status)] = errorResponse(status);

  const headerParams = req.headers as z.ZodObject | undefined;
  return {
    operationId: route.operationId,
    tags: [route.tag],
    summary: route.summary,
    ...(route.description || route.permission
      ? {
          description: [
            route.description,
            route.permission && `Needs the permission \`${route.permission}\` (a role of the user, or of the API key).`,
          ]
            .filter(Boolean)
            .join('\n\n'),
        }
      : {}),
    ...(route.permission ? { 'x-hms-permission': route.permission } : {}),
    ...(route.auth === 'public' ? { security: [] } : {}),
    ...(route.auth === 'staff-or-display'
      ? { security: [{ bearerAuth: [] }, { apiKey: [] }, { displayToken: [] }] }
      : {}),
    requestParams: {
      ...(req.params ? { path: req.params as z.ZodObject } : {}),
      ...(req.query ? { query: req.query as z.ZodObject } : {}),
      ...(headerParams ? { header: renameHeaders(headerParams) } : {}),
    },
    ...(req.body
      ? {
          requestBody: {
            required: true,
            content: {
              'application/json': { schema: req.body, ...(route.example ? { example: route.example } : {}) },
            },
          },
        }
      : {}),
    responses,
  };
}

/** Request headers as the API documents them (`Idempotency-Key`), not as Node lower-cases them. */
function renameHeaders(schema: z.ZodObject): z.ZodObject {
  const shape = Object.fromEntries(Object.entries(schema.shape).map(([k, v]) => [headerName(k), v]));
  return schema
    .extend(shape)
    .omit(Object.fromEntries(Object.keys(schema.shape).map((k) => [k, true])) as never) as z.ZodObject;
}

export function buildOpenApiDocument(
  routes: readonly RouteContract[] = ALL_CONTRACTS,
): ReturnType<typeof createDocument> {
  const paths: ZodOpenApiPathsObject = {};
  for (const route of routes) {
    const path = openApiPath(route.path);
    // A path outside /api/v1 (the public keys at /.well-known/jwks.json) is served from the host's root.
    const root = route.path.startsWith(API_PREFIX) ? {} : { servers: [{ url: '/', description: 'The host' }] };
    paths[path] = { ...paths[path], ...root, [route.method]: operation(route) };
  }
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'HMS REST API',
      version: API_VERSION,
      description:
        'The REST API of HMS, a multi-tenant outpatient hospital back end: patients, doctors and their calendars, ' +
        'appointments, live queues, billing and ' +
        'the audit trail. The tenant always comes from the token. Money is integer minor units beside its currency; ' +
        'times are ISO-8601 UTC. Callers authenticate with a user’s access token (`POST /auth/login`) or an ' +
        'integration’s API key, and may do what their permissions allow. Every error is ' +
        '`application/problem+json` (RFC 9457). Every authenticated response carries the rate-limit headers of the ' +
        'budgets it spent (the tenant’s and the caller’s, by plan); over one a 429 says when to retry. The events the services ' +
        'publish are described by the AsyncAPI document at `/api/v1/asyncapi.json`.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: API_PREFIX, description: 'This deployment (through nginx)' }],
    security: [{ bearerAuth: [] }, { apiKey: [] }],
    tags: [
      {
        name: 'Appointments',
        description:
          'Booking, the lifecycle (check in, start, complete, cancel, reschedule, no-show), lists, history, the day’s dashboard, scheduling settings',
      },
      { name: 'Patients', description: 'Registration with a medical record number, search, changes, deactivation' },
      { name: 'Directory', description: 'Departments and doctors (fees, languages, modes, time zone), doctor search' },
      { name: 'Calendars', description: 'Weekly schedules, leave and extra sessions, slots, holds on slots' },
      { name: 'Queues', description: "Doctors' live queues: reading, the desk's operations, the event stream" },
      { name: 'Displays', description: 'Tokens for waiting-room screens' },
      {
        name: 'Clinical record',
        description:
          'Vitals, consultations (drafts, signing, addenda) and prescriptions of a visit, a patient’s history and allergies, ICD-10-CM codes, the formulary, dispensing',
      },
      { name: 'Billing', description: 'Bills, payments, refunds, credit notes, the catalogue, reports' },
      { name: 'Audit', description: 'The tamper-evident audit trail' },
      { name: 'Authentication', description: 'Signing in and out, refreshing a session, the public keys of tokens' },
      { name: 'Administration', description: "A tenant's users, roles, API keys, plan and quotas" },
      { name: 'Platform', description: "The platform operators': tenants and figures across them" },
      { name: 'Contracts', description: 'The machine-readable contracts themselves' },
    ],
    paths,
    components: {
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            "A user's access token from `POST /auth/login` or `/auth/refresh` (an EdDSA JWT, short-lived; its " +
            'public keys are at `/.well-known/jwks.json`): it names the tenant, the user and their roles',
        },
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'hmsk_…',
          description:
            "An integration's API key (`Authorization: Bearer hmsk_…`), made at `POST /admin/api-keys` with some " +
            'of its maker’s permissions; revoked keys are refused within a second',
        },
        displayToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'A waiting-room display token (`hmsd_…`), accepted by the queue stream only',
        },
      },
      headers: {
        'RateLimit-Policy': {
          description:
            'The budgets the request spent from (IETF RateLimit headers, a Structured Field list): per tenant and ' +
            'per user or API key by the plan, per endpoint class where one applies; q requests per w seconds',
          schema: { type: 'string', example: '"tenant";q=2000;w=900, "user";q=600;w=900' },
        },
        RateLimit: {
          description: 'What is left of each budget: r requests for t more seconds',
          schema: { type: 'string', example: '"tenant";r=1999;t=840, "user";r=599;t=840' },
        },
        'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer', minimum: 1 } },
      },
    },
  });
}

let cached: string | undefined;
/** The document as JSON text, built on first use. */
export function openApiJson(): string {
  cached ??= JSON.stringify(buildOpenApiDocument());
  return cached;
}
