import type { ChainLink } from './hash-chain.js';
import type { AuditFilter, AuditPage, AuditRecord, ChainedEntry } from './types.js';

/** What audit's use cases need from storage; src/db implements it in SQL on the service's database. */
export interface AuditStore {
  /** Runs `fn` in one transaction of the tenant. */
  change<T>(tenantId: string, fn: (tx: TrailChanges) => Promise<T>): Promise<T>;
  /** One page of the filtered trail, newest first by (occurred_at, id), after `after` when given. */
  search(filter: AuditFilter, page: { size: number; after?: AuditPage['next'] }): Promise<AuditPage>;
  /** Where the tenant's chain head says the chain ends (undefined: no record yet). */
  chainHead(tenantId: string): Promise<ChainLink | undefined>;
  /**
   * Up to `limit` records of the tenant's chain in (seq, id) order, strictly
   * after `after` and up to seq `upTo`: every row, so that a forged second
   * record with a seq is read too.
   */
  chainRecords(
    tenantId: string,
    range: { after?: { seq: number; id: string } | undefined; upTo: number; limit: number },
  ): Promise<AuditRecord[]>;
}

/** What one transaction can change. */
export interface TrailChanges {
  /**
   * Locks the tenant's chain head until the transaction ends (creating it at
   * the start of the chain on the tenant's first record): appends of one
   * tenant happen one after another, so seq has no gaps and no repeats.
   */
  lockChainHead(): Promise<ChainLink>;
  /**
   * Appends a record and moves the chain head to it; false (and nothing
   * changed) when the trail already holds this event.
   */
  append(record: ChainedEntry): Promise<boolean>;
}
