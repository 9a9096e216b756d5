/**
 * What the end-to-end suites need of the running test stack: the API through
 * nginx, fresh tenants with demo data and a development token, W3C trace
 * headers, and control of the processes for fault tests. Everything goes
 * through the same scripts and CLIs an operator would use.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { newId } from '@hms/platform';
import { serviceDatabaseUrl, testEnv } from '@hms/platform/testing';

const run = promisify(execFile);
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export function apiBase(): string {
  const port = testEnv().HMS_NGINX_PORT;
  if (!port) throw new Error('HMS_NGINX_PORT is not set: run the e2e suite through scripts/hms test');
  return `http://127.0.0.1:${port}/api/v1`;
}

export interface DemoTenant {
  tenantId: string;
  token: string;
  doctors: { id: string; fullName: string; timeZone: string; slotMinutes: number }[];
  patients: { id: string; mrn: string; fullName: string }[];
  /** The round-the-clock doctor, bookable at any hour. */
  nightDoctor: { id: string };
}

async function node(script: string, args: string[], env: Record<string, string>): Promise<string> {
  const { stdout } = await run('node', [path.join(ROOT, script), ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
  });
  return stdout.trim();
}

/**
 * A new tenant with the demo departments, doctors and patients, and a
 * development token (role ADMIN) for it. Its contract multiplies the plan's
 * request budgets, so that a test's polling never meets them; tests of the
 * limits themselves make tenants of their own (identity.e2e.test.ts).
 */
export async function newTenant(name = `E2E ${newId()}`): Promise<DemoTenant> {
  const tenantId = newId();
  const jwt = { JWT_SECRET: testEnv().HMS_JWT_SECRET ?? '' };
  await node(
    'services/gateway/dist/db/seed-demo.js',
    ['--tenant', tenantId, '--name', name, '--plan', 'ENTERPRISE', '--rate-limit-multiplier', '100'],
    { DATABASE_URL: serviceDatabaseUrl('gateway') },
  );
  const seed = JSON.parse(
    await node('services/appointments/dist/db/seed-demo.js', ['--tenant', tenantId], {
      DATABASE_URL: serviceDatabaseUrl('appointments'),
    }),
  ) as Omit<DemoTenant, 'token' | 'nightDoctor'>;
  const token = await node('services/gateway/dist/dev-token.js', ['--tenant', tenantId, '--user', 'e2e-reception'], {
    ...jwt,
  });
  const nightDoctor = seed.doctors.find((d) => d.fullName === 'Dr. Night Desk');
  if (!nightDoctor) throw new Error('demo seed has no round-the-clock doctor');
  return { ...seed, tenantId, token, nightDoctor };
}

/** The n-th free 15-minute slot from now (n >= 1) of the round-the-clock doctor. */
export function slot(n: number): string {
  const quarter = 15 * 60_000;
  return new Date((Math.floor(Date.now() / quarter) + n) * quarter).toISOString();
}

export interface Trace {
  traceId: string;
  /** A traceparent with this trace id and a fresh parent span id. */
  header(): string;
}

export function newTrace(): Trace {
  const traceId = randomBytes(16).toString('hex');
  return { traceId, header: () => `00-${traceId}-${randomBytes(8).toString('hex')}-01` };
}

export interface Reply {
  status: number;
  headers: Headers;
  body: unknown;
  /** The body as a record, for property access in assertions. */
  json: Record<string, unknown>;
}

export async function call(
  method: string,
  pathAndQuery: string,
  options: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${apiBase()}${pathAndQuery}`, { method, headers, body });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON; keep the text
  }
  return {
    status: response.status,
    headers: response.headers,
    body: parsed,
    json: (parsed && typeof parsed === 'object' ? parsed : {}) as Record<string, unknown>,
  };
}

/** Runs scripts/hms or scripts/infra.sh on the test profile (for fault tests). */
export async function stack(script: 'hms' | 'infra.sh', ...args: string[]): Promise<void> {
  await run(path.join(ROOT, 'scripts', script), [...args, ...(script === 'hms' ? ['--profile', 'test'] : [])], {
    env: { ...process.env, HMS_PROFILE: 'test' },
    timeout: 120_000,
  });
}
