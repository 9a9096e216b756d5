import { PrismaPg } from '@prisma/adapter-pg';
import type pg from 'pg';

/**
 * A service's generated PrismaClient on a pg pool or URL, through the pg driver
 * adapter (no native query engine). Prisma owns each service's schema; its
 * client serves the tools around the runtime (seeds, tests that inspect rows),
 * while the runtime paths use SQL (db/database.ts).
 */
export function createPrismaClient<C>(
  Client: new (options: { adapter: PrismaPg }) => C,
  connection: pg.Pool | string,
): C {
  return new Client({
    adapter: typeof connection === 'string' ? new PrismaPg({ connectionString: connection }) : new PrismaPg(connection),
  });
}
