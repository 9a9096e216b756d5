/**
 * Creates (or updates) a tenant for a stack: the demo tenant of `npm start`,
 * the platform tenant, a fresh tenant per end-to-end test file, a load-test
 * tenant. Optionally with a user for each built-in role (passwords generated
 * here, printed once, never stored but as argon2id hashes; seeding again sets
 * new ones) and an API key.
 *
 *   DATABASE_URL=... API_KEY_SECRET=... node dist/db/seed-demo.js --tenant <uuid> --name <name>
 *     [--slug <slug>] [--plan FREE|BASIC|PRO|ENTERPRISE] [--rate-limit-multiplier N]
 *     [--platform] [--users] [--api-key <name>]
 *
 * Prints one JSON object: the tenant, its users with their passwords, the API key.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import {
  createDatabase,
  createLogger,
  createOutboxWriter,
  createPool,
  isUuid,
  loadConfigOrExit,
  newId,
  runMain,
} from '@hms/platform';
import { PERMISSION_NAMES } from '@hms/proto';
import { z } from 'zod';
import { createApiKeys } from '../auth/api-keys.js';
import { createPasswordHasher } from '../auth/passwords.js';
import { configKeys } from '../config.js';
import { PLAN_NAMES } from '../domain/plans.js';
import { TENANT_ROLES } from '../domain/roles.js';
import { createIdentityStore } from './identity.repository.js';
import { createTenantRepository } from './tenant.repository.js';

const usage =
  'usage: seed-demo --tenant <uuid> --name <name> [--slug <slug>] [--plan <plan>] [--rate-limit-multiplier N] [--platform] [--users] [--api-key <name>]';

async function main(): Promise<void> {
  const config = loadConfigOrExit(
    configKeys.pick({ DATABASE_URL: true }).extend({ API_KEY_SECRET: configKeys.shape.API_KEY_SECRET.optional() }),
    process.env,
  );
  const { values } = parseArgs({
    options: {
      tenant: { type: 'string' },
      name: { type: 'string' },
      slug: { type: 'string' },
      plan: { type: 'string', default: 'BASIC' },
      'rate-limit-multiplier': { type: 'string', default: '1' },
      platform: { type: 'boolean', default: false },
      users: { type: 'boolean', default: false },
      'api-key': { type: 'string' },
    },
  });
  const args = z
    .object({
      tenant: z.string().refine(isUuid, 'must be a UUID'),
      name: z.string().min(1).max(200),
      slug: z
        .string()
        .regex(/^[a-z0-9][a-z0-9-]{1,62}$/)
        .optional(),
      plan: z.enum(PLAN_NAMES),
      'rate-limit-multiplier': z.coerce.number().int().min(1).max(1_000_000_000),
      platform: z.boolean(),
      users: z.boolean(),
      'api-key': z.string().min(1).max(100).optional(),
    })
    .safeParse(values);
  if (!args.success) {
    process.stderr.write(`${usage}\n${args.error.message}\n`);
    process.exit(64);
  }
  const a = args.data;
  const tenantId = a.tenant.toLowerCase();
  const logger = createLogger({ service: 'gateway-seed', level: 'warn' });
  const pool = createPool({ connectionString: config.DATABASE_URL, max: 2, applicationName: 'gateway-seed', logger });
  const db = createDatabase({ pool, outbox: createOutboxWriter({ schema: 'identity', source: 'gateway' }) });
  try {
    const tenant = await createTenantRepository(db).upsert({
      id: tenantId,
      name: a.name,
      slug: a.slug ?? `t-${tenantId.replaceAll('-', '')}`,
      plan: a.plan,
      rateLimitMultiplier: a['rate-limit-multiplier'],
      isPlatform: a.platform,
    });
    const users: { username: string; password: string; roles: string[] }[] = [];
    if (a.users) {
      const passwords = createPasswordHasher();
      const roles = a.platform ? (['PLATFORM_ADMIN'] as const) : TENANT_ROLES;
      for (const role of roles) {
        const username = role.toLowerCase().replaceAll('_', '-');
        const password = randomBytes(18).toString('base64url');
        const passwordHash = await passwords.hash(password);
        await db.transaction(tenantId, (tx) =>
          tx.execute(
            `INSERT INTO users (id, tenant_id, username, display_name, password_hash, roles)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (tenant_id, username) DO UPDATE
               SET password_hash = EXCLUDED.password_hash, roles = EXCLUDED.roles, status = 'ACTIVE',
                   password_changed_at = now(), updated_at = now()`,
            [newId(), tenantId, username, `Demo ${role.toLowerCase().replaceAll('_', ' ')}`, passwordHash, [role]],
          ),
        );
        users.push({ username, password, roles: [role] });
      }
      // Roles were (re)given: tokens of an older version read the users afresh.
      await db.transaction(tenantId, (tx) =>
        tx.execute('UPDATE tenants SET permissions_version = permissions_version + 1 WHERE id = $1', [tenantId]),
      );
    }
    let apiKey: { id: string; key: string } | undefined;
    if (a['api-key']) {
      if (!config.API_KEY_SECRET) throw new Error('--api-key needs API_KEY_SECRET');
      const id = newId();
      const { key, keyHash } = createApiKeys(config.API_KEY_SECRET).issue(tenantId, id);
      await createIdentityStore(db).change(tenantId, (tx) =>
        tx.insertApiKey({
          id,
          tenantId,
          name: a['api-key']!,
          keyHash,
          permissions: PERMISSION_NAMES.filter((p) => !p.startsWith('platform.')),
          createdBy: 'seed',
          createdAt: new Date(),
          expiresAt: null,
          revokedAt: null,
          lastUsedAt: null,
        }),
      );
      apiKey = { id, key };
    }
    process.stdout.write(`${JSON.stringify({ tenant, users, ...(apiKey ? { apiKey } : {}) })}\n`);
  } finally {
    await pool.end();
  }
}

runMain(import.meta.url, main);
