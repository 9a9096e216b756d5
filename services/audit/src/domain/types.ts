/** The audit domain as plain data; the repository maps rows to these. */

/** What one event says, as the trail keeps it. */
export interface AuditEntry {
  tenantId: string;
  eventId: string;
  eventType: string;
  /** The producing service. */
  source: string;
  entityType: string;
  entityId: string;
  /** "user", "service" or "system". */
  actorKind: string;
  actorId: string;
  patientId: string | null;
  occurredAt: Date;
  traceId: string;
  /** The event payload, JSON-ready (timestamps as ISO-8601 strings). */
  data: Readonly<Record<string, unknown>>;
}

/** An entry with its place in the tenant's hash chain. */
export interface ChainedEntry extends AuditEntry {
  /** 1..n per tenant, without gaps. */
  seq: number;
  /** The id of the chain key `hash` was made with. */
  keyId: string;
  prevHash: string;
  hash: string;
}

export interface AuditRecord extends ChainedEntry {
  id: string;
  recordedAt: Date;
}

/** A search of one tenant's trail; at least one of the filters is set. */
export interface AuditFilter {
  tenantId: string;
  entityId?: string | undefined;
  actorId?: string | undefined;
  patientId?: string | undefined;
  /** Inclusive. */
  from?: Date | undefined;
  /** Exclusive. */
  to?: Date | undefined;
}

/** A position in the newest-first order (occurred_at, id), for keyset pagination. */
export interface AuditCursor {
  occurredAt: Date;
  id: string;
}

export interface AuditPage {
  records: AuditRecord[];
  /** Where the next page starts; absent on the last page. */
  next?: AuditCursor | undefined;
}

/** The first break found in one tenant's trail. */
export interface TrailBreak {
  tenantId: string;
  seq: number;
  /** One of ChainProblem (hash-chain.ts). */
  problem: string;
  reason: string;
}

/** One scheduled verification of every tenant's trail. */
export interface VerificationRun {
  id: string;
  startedAt: Date;
  finishedAt: Date;
  /** Tenants whose trail was checked. */
  tenants: number;
  /** Records checked, over all tenants. */
  records: number;
  /** One entry per broken trail; empty when every trail was intact. */
  broken: TrailBreak[];
}
