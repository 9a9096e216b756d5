/**
 * Prints a development token for a tenant: what the end-to-end tests and
 * local tools authenticate with without signing in. Only gateways in the dev
 * and test profiles accept them (DEPLOYMENT_PROFILE); everywhere else they are
 * refused, and JWT_SECRET must not even be set.
 *
 *   JWT_SECRET=... node dist/dev-token.js --tenant <uuid> [--user <id>] [--roles ADMIN,...] [--ttl 12h]
 */
import { parseArgs } from 'node:util';
import { isUuid, loadConfigOrExit, runMain } from '@hms/platform';
import { z } from 'zod';
import { configKeys } from './config.js';
import { signDevelopmentToken } from './http/auth.js';

async function main(): Promise<void> {
  const config = loadConfigOrExit(
    configKeys.pick({ JWT_SECRET: true, JWT_ISSUER: true }).required({ JWT_SECRET: true }),
    process.env,
  );
  const { values } = parseArgs({
    options: {
      tenant: { type: 'string' },
      user: { type: 'string', default: 'dev-user' },
      roles: { type: 'string', default: 'ADMIN' },
      ttl: { type: 'string', default: '12h' },
    },
  });
  const args = z
    .object({
      tenant: z.string().refine(isUuid, 'must be a UUID'),
      user: z.string().min(1).max(200),
      roles: z.string().regex(/^[A-Z][A-Z0-9_]*(,[A-Z][A-Z0-9_]*)*$/, 'comma-separated role names'),
      ttl: z.string().regex(/^\d+[smhd]$/, 'like 30m, 12h or 7d'),
    })
    .safeParse(values);
  if (!args.success) {
    process.stderr.write(
      `usage: dev-token --tenant <uuid> [--user <id>] [--roles ADMIN,...] [--ttl 12h]\n${args.error.message}\n`,
    );
    process.exit(64);
  }
  const token = await signDevelopmentToken(
    { tenantId: args.data.tenant, userId: args.data.user, roles: args.data.roles.split(',') },
    { secret: config.JWT_SECRET, issuer: config.JWT_ISSUER, ttl: args.data.ttl },
  );
  process.stdout.write(`${token}\n`);
}

runMain(import.meta.url, main);
