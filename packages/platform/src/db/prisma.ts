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

/** What tenantTransaction needs of a generated PrismaClient's interactive transaction. */
interface RawExecutor {
  $executeRawUnsafe(query: string, ...values: unknown[]): PromiseLike<number>;
}

/**
 * Runs fn in one Prisma transaction scoped to a tenant for row-level security,
 * as the platform's write path scopes its own (db/database.ts): `app.tenant_id`
 * is set for this transaction only (set_config(..., true) is SET LOCAL). For
 * the tools that write through Prisma as a service's runtime role (seeds);
 * without it every tenant table of that role shows no rows and takes none.
 */
export async function tenantTransaction<Tx extends RawExecutor, R>(
  prisma: {
    $transaction<T>(fn: (tx: Tx) => Promise<T>, options?: { timeout?: number; maxWait?: number }): Promise<T>;
  },
  tenantId: string,
  fn: (tx: Tx) => Promise<R>,
): Promise<R> {
  return prisma.$transaction(
    async (tx) => {
      await tx.$executeRawUnsafe(`SELECT set_config('app.tenant_id', $1, true)`, tenantId);
      return fn(tx);
    },
    // maxWait: on a loaded machine, getting the transaction's connection took longer than Prisma's 2 s default.
    { timeout: 30_000, maxWait: 30_000 },
  );
}
