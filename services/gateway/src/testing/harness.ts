/**
 * Gateways started in-process against the test stack's real PostgreSQL, Redis
 * and Kafka, for the gateway's integration tests: their environment, tenants
 * and users made as the schema's owner would (around the gateway), signing in,
 * and requests. Backends are unreachable unless a test says otherwise.
 */
import { randomBytes } from 'node:crypto';
import {
  ANY_CALLER,
  newId,
  createPrismaClient,
  type GrpcServer,
  type MethodPermissions,
  type UnaryImplementation,
} from '@hms/platform';
import type { ServiceDefinition } from '@grpc/grpc-js';
import { newTestKeys, ownerDatabaseUrl, serviceDatabaseUrl, testEnv, testKeys } from '@hms/platform/testing';
import { createPasswordHasher } from '../auth/passwords.js';
import { PrismaClient } from '../db/generated/client.js';
import { signDevelopmentToken } from '../http/auth.js';
import { startGateway } from '../main.js';

export const DEV_SECRET = 'integration-test-secret-of-enough-length-42';
/** One access-token keypair and API key secret for all gateways of a test process (as a stack shares them). */
const accessKeys = newTestKeys();
const apiKeySecret = randomBytes(32).toString('hex');

export function gatewayEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: serviceDatabaseUrl('gateway'),
    REDIS_URL: testEnv().HMS_REDIS_URL,
    KAFKA_BROKERS: testEnv().HMS_KAFKA_BROKERS,
    OUTBOX_POLL_INTERVAL_MS: '200',
    DEPLOYMENT_PROFILE: 'test',
    JWT_SECRET: DEV_SECRET,
    INTERNAL_TOKEN_PRIVATE_KEY: testKeys().privateKeyText,
    ACCESS_TOKEN_PRIVATE_KEY: accessKeys.privateKeyText,
    API_KEY_SECRET: apiKeySecret,
    HTTP_PORT: '0',
    HTTP_HOST: '127.0.0.1',
    OPS_PORT: '0',
    LOG_LEVEL: process.env.GATEWAY_TEST_LOG_LEVEL ?? 'silent',
    // Nothing listens there: every backend call fails as in an outage.
    APPOINTMENTS_GRPC_ADDRESS: '127.0.0.1:1',
    BILLING_GRPC_ADDRESS: '127.0.0.1:1',
    QUEUE_GRPC_ADDRESS: '127.0.0.1:1',
    AUDIT_GRPC_ADDRESS: '127.0.0.1:1',
    GRPC_DEADLINE_MS: '1000',
    ACCESS_LOG_FLUSH_INTERVAL_MS: '200',
    ...overrides,
  };
}

export type Gateway = Awaited<ReturnType<typeof startGateway>>;

export const startTestGateway = (overrides: Record<string, string> = {}) =>
  startGateway(gatewayEnv(overrides), { inProcess: true });

/** Writes rows as the schema's owner, around the gateway. */
export const ownerPrisma = () => createPrismaClient(PrismaClient, ownerDatabaseUrl('gateway'));

const passwords = createPasswordHasher();

export interface TestTenant {
  id: string;
  slug: string;
  /** A development token (ADMIN) of the tenant. */
  devToken: string;
}

export async function makeTenant(
  prisma: PrismaClient,
  options: {
    plan?: 'FREE' | 'BASIC' | 'PRO' | 'ENTERPRISE';
    status?: 'ACTIVE' | 'SUSPENDED';
    rateLimitMultiplier?: number;
  } = {},
): Promise<TestTenant> {
  const id = newId();
  const slug = `t${id.replaceAll('-', '').slice(-20)}`;
  await prisma.tenant.create({
    data: {
      id,
      name: `int ${id}`,
      slug,
      plan: options.plan ?? 'BASIC',
      status: options.status ?? 'ACTIVE',
      rateLimitMultiplier: options.rateLimitMultiplier ?? 1,
    },
  });
  return {
    id,
    slug,
    devToken: await signDevelopmentToken(
      { tenantId: id, userId: 'int-user' },
      { secret: DEV_SECRET, issuer: 'hms-dev', ttl: '10m' },
    ),
  };
}

export async function makeUser(
  prisma: PrismaClient,
  tenantId: string,
  roles: string[],
  options: { username?: string; password?: string; email?: string } = {},
): Promise<{ id: string; username: string; password: string }> {
  const id = newId();
  const username = options.username ?? `u${id.replaceAll('-', '').slice(-16)}`;
  const password = options.password ?? randomBytes(12).toString('base64url');
  await prisma.user.create({
    data: {
      id,
      tenantId,
      username,
      email: options.email ?? null,
      passwordHash: await passwords.hash(password),
      roles,
    },
  });
  return { id, username, password };
}

export function request(
  g: Gateway,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  return fetch(`http://127.0.0.1:${g.httpPort}${path}`, { method, headers, body });
}

export const json = async (r: Response) => (await r.json()) as Record<string, unknown>;

export interface Session {
  accessToken: string;
  refreshToken: string;
  body: Record<string, unknown>;
}

/** Signs in; the response when it fails. */
export async function signIn(
  g: Gateway,
  tenant: string,
  user: { username: string; password: string },
  headers: Record<string, string> = {},
): Promise<Session> {
  const r = await request(g, 'POST', '/api/v1/auth/login', {
    body: { tenant, username: user.username, password: user.password },
    headers,
  });
  const body = await json(r);
  if (r.status !== 200) throw new Error(`sign-in failed: ${r.status} ${JSON.stringify(body)}`);
  return { accessToken: String(body.accessToken), refreshToken: String(body.refreshToken), body };
}

/** Polls `probe` until it is true, at most `withinMs`; the time it took. */
export async function within(withinMs: number, probe: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await probe()) return Date.now() - started;
    if (Date.now() - started > withinMs) throw new Error(`not within ${withinMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A stand-in backend service for a test: the methods it implements, every
 * other method of the contract failing if called, each open to any caller
 * unless `permissions` names what it needs.
 */
export function addStandIn<H>(
  server: GrpcServer,
  definition: ServiceDefinition,
  implementation: Partial<UnaryImplementation<H>>,
  permissions: Partial<MethodPermissions<H>> = {},
): void {
  const notHere = async () => {
    throw new Error('not called by these tests');
  };
  const methods = Object.keys(definition);
  server.addService<H>(
    definition,
    Object.fromEntries(
      methods.map((name) => [name, (implementation as Record<string, unknown>)[name] ?? notHere]),
    ) as unknown as UnaryImplementation<H>,
    { ...Object.fromEntries(methods.map((name) => [name, ANY_CALLER])), ...permissions } as MethodPermissions<H>,
  );
}
