import { PrismaPg } from '@prisma/adapter-pg';
import type pg from 'pg';
import { PrismaClient, type Prisma } from './generated/client.js';

export type Tx = Prisma.TransactionClient;
export type Db = PrismaClient;

/** Prisma on the service's own pool (no native engine: the pg driver adapter). */
export function createPrisma(pool: pg.Pool): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg(pool) });
}

/** True when a Prisma error is the violation of the named unique index. */
export function violatesUnique(error: unknown, indexName: string): boolean {
  const e = error as { code?: string; meta?: unknown; message?: string };
  if (e?.code !== 'P2002') return false;
  return JSON.stringify(e.meta ?? {}).includes(indexName) || (e.message ?? '').includes(indexName);
}
