/**
 * Prints a development token for a tenant: what the stack scripts hand to a
 * newcomer and what the end-to-end tests authenticate with, until the auth
 * work brings real logins.
 *
 *   JWT_SECRET=... node dist/dev-token.js --tenant <uuid> [--user <id>] [--ttl 12h] [--roles A,B]
 */
import { parseArgs } from 'node:util';
import { isUuid, loadConfigOrExit, runMain } from '@hms/platform';
import { z } from 'zod';
import { configSchema } from './config.js';
import { signDevelopmentToken } from './http/auth.js';

async function main(): Promise<void> {
  const config = loadConfigOrExit(configSchema.pick({ JWT_SECRET: true, JWT_ISSUER: true }), process.env);
  const { values } = parseArgs({
    options: {
      tenant: { type: 'string' },
      user: { type: 'string', default: 'dev-user' },
      ttl: { type: 'string', default: '12h' },
      roles: { type: 'string', default: '' },
    },
  });
  const args = z
    .object({
      tenant: z.string().refine(isUuid, 'must be a UUID'),
      user: z.string().min(1).max(200),
      ttl: z.string().regex(/^\d+[smhd]$/, 'like 30m, 12h or 7d'),
      roles: z.string().regex(/^([A-Z][A-Z0-9_]*(,[A-Z][A-Z0-9_]*)*)?$/, 'comma-separated role names'),
    })
    .safeParse(values);
  if (!args.success) {
    process.stderr.write(
      `usage: dev-token --tenant <uuid> [--user <id>] [--ttl 12h] [--roles A,B]\n${args.error.message}\n`,
    );
    process.exit(64);
  }
  const token = await signDevelopmentToken(
    { tenantId: args.data.tenant, userId: args.data.user, roles: args.data.roles ? args.data.roles.split(',') : [] },
    { secret: config.JWT_SECRET, issuer: config.JWT_ISSUER, ttl: args.data.ttl },
  );
  process.stdout.write(`${token}\n`);
}

runMain(import.meta.url, main);
