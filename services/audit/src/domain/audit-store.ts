import type { Checkpoint } from './checkpoint.js';
import type { ChainLink } from './hash-chain.js';
import type { AuditFilter, AuditPage, AuditRecord, ChainedEntry, VerificationRun } from './types.js';

/**
 * What audit's use cases need from storage; src/db implements it in SQL on the
 * service's database, with the service's runtime role (which may add and read
 * records, and only read checkpoints).
 */
export interface AuditStore {
  /** Runs `fn` in one transaction of the tenant. */
  change<T>(tenantId: string, fn: (tx: TrailChanges) => Promise<T>): Promise<T>;
  /** One page of the filtered trail, newest first by (occurred_at, id), after `after` when given. */
  search(filter: AuditFilter, page: { size: number; after?: AuditPage['next'] }): Promise<AuditPage>;
  /** Where the tenant's chain head says the chain ends (undefined: no record yet). */
  chainHead(tenantId: string): Promise<ChainLink | undefined>;
  /**
   * Up to `limit` records of the tenant's chain with seq from `fromSeq` to
   * `upTo`, in (seq, id) order: every row, so that a forged second record with
   * a seq is read too.
   */
  chainRecords(tenantId: string, range: { fromSeq: number; upTo: number; limit: number }): Promise<AuditRecord[]>;
  /** The lowest seq of the tenant's records past `after`, up to `upTo`. */
  nextSeq(tenantId: string, range: { after: number; upTo: number }): Promise<number | undefined>;
  /** The lowest and highest seq (up to `upTo`) of the tenant's records that occurred in [from, to). */
  seqWindow(
    tenantId: string,
    window: { from?: Date | undefined; to?: Date | undefined; upTo: number },
  ): Promise<{ first: number; last: number } | undefined>;
  /** The tenant's checkpoints with a seq from `fromSeq` to `toSeq`, in seq order. */
  checkpoints(tenantId: string, range: { fromSeq: number; toSeq: number }): Promise<Checkpoint[]>;
  /** The tenant's checkpoint with the highest seq. */
  newestCheckpoint(tenantId: string): Promise<Checkpoint | undefined>;
  /** Every tenant with a chain head or a checkpoint (a trail whose head was removed still has to verify). */
  trailTenants(): Promise<string[]>;
  /** The tenants whose chain head is past their newest checkpoint. */
  tenantsToAnchor(): Promise<string[]>;
}

/** What one transaction can change. */
export interface TrailChanges {
  /**
   * Locks the tenant's chain head until the transaction ends (creating it at
   * the start of the chain on the tenant's first record): appends of one
   * tenant happen one after another, so seq has no gaps and no repeats.
   */
  lockChainHead(): Promise<ChainLink>;
  /** Which of these events the tenant's trail already holds (by event id and time). */
  recorded(events: readonly Pick<ChainedEntry, 'eventId' | 'occurredAt'>[]): Promise<Set<string>>;
  /**
   * Appends records that continue the chain from its head, in order, and moves
   * the head to the last of them.
   */
  append(records: readonly ChainedEntry[]): Promise<void>;
}

/**
 * Where checkpoints and verification results are written: a schema the
 * runtime role cannot write, through the anchor role, which can only add rows.
 */
export interface AnchorStore {
  /** Adds a checkpoint; one already there for the same tenant and seq is left as it is. */
  addCheckpoint(checkpoint: Checkpoint): Promise<void>;
  recordVerification(run: VerificationRun): Promise<void>;
  /** The run that finished last. */
  lastVerification(): Promise<VerificationRun | undefined>;
}
