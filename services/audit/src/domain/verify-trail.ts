/**
 * Verifying a tenant's trail: every record's HMAC and link, every checkpoint's
 * signature and hash, and where the chain ends. Either the whole trail, or the
 * records that occurred in a time window (the contiguous run of seqs that
 * holds them, linked to the record before it). Reports the first break, or
 * that the trail is intact, with how many records were checked.
 */
import { FailedPreconditionError, InvalidArgumentError } from '@hms/platform/domain';
import type { AuditStore } from './audit-store.js';
import { checkpointFlaw, type Checkpoint } from './checkpoint.js';
import {
  CHAIN_START,
  checkChainEnd,
  verifyChain,
  type Anchor,
  type ChainBreak,
  type ChainLink,
  type ChainVerdict,
} from './hash-chain.js';
import type { TrailKeys } from './keyring.js';

/** Records read per round trip. */
const VERIFY_BATCH = 1_000;

export interface TrailQuery {
  tenantId: string;
  /** Inclusive; with `to`, limits the check to the records that occurred in [from, to). */
  from?: Date | undefined;
  /** Exclusive. */
  to?: Date | undefined;
  /** Refuse (FailedPreconditionError) a check of more records than this. */
  maxRecords?: number | undefined;
  /** Stops a long check between reads (it then throws the signal's reason). */
  signal?: AbortSignal | undefined;
}

export interface TrailReport {
  tenantId: string;
  intact: boolean;
  /** Records checked and found intact (before the break, when there is one). */
  checked: number;
  /** The seqs the check covered; 0 and 0 when there was nothing to check. */
  firstSeq: number;
  lastSeq: number;
  /** The seq of the tenant's newest checkpoint; 0 when it has none. */
  anchoredSeq: number;
  /** The first break, when not intact. */
  break?: ChainBreak | undefined;
}

export async function verifyTrail(store: AuditStore, keys: TrailKeys, query: TrailQuery): Promise<TrailReport> {
  const { tenantId, from, to } = query;
  if (from && to && from >= to) {
    throw new InvalidArgumentError('invalid request', [{ field: 'to', message: 'must be after from' }]);
  }
  // The newest checkpoint before the head: an honest head only moves forward,
  // so it is never behind a checkpoint read before it.
  const newest = await store.newestCheckpoint(tenantId);
  const head = await store.chainHead(tenantId);
  const endSeq = Math.max(head?.seq ?? 0, newest?.seq ?? 0);
  const report = (checked: number, firstSeq: number, lastSeq: number, verdict?: ChainVerdict): TrailReport => ({
    tenantId,
    intact: !verdict || verdict.intact,
    checked,
    firstSeq,
    lastSeq,
    anchoredSeq: newest?.seq ?? 0,
    break: verdict && !verdict.intact ? breakOf(verdict) : undefined,
  });

  let first = 1;
  let last = endSeq;
  if (from || to) {
    const window = await store.seqWindow(tenantId, { from, to, upTo: endSeq });
    if (!window) return report(0, 0, 0);
    ({ first, last } = window);
  }
  if (last < first) return report(0, 0, 0, checkChainEnd(CHAIN_START, head, newest));
  if (query.maxRecords !== undefined && last - first + 1 > query.maxRecords) {
    throw new FailedPreconditionError(
      `the check would cover ${last - first + 1} records, more than the ${query.maxRecords} one request may check: ` +
        'narrow it with from and to (the scheduled verification and `scripts/hms audit verify` check whole trails)',
    );
  }

  let start: ChainLink = CHAIN_START;
  if (first > 1) {
    const [before] = await store.chainRecords(tenantId, { fromSeq: first - 1, upTo: first - 1, limit: 1 });
    if (!before) {
      return report(0, first, last, {
        intact: false,
        brokenSeq: first - 1,
        problem: 'missing-record',
        reason: `record ${first - 1}, which the checked records link to, is missing`,
      });
    }
    start = { seq: before.seq, hash: before.hash };
  }
  const walked = await walkChain(store, keys, tenantId, { start, first, last, signal: query.signal });
  if (!walked.verdict.intact) return report(walked.checked, first, last, walked.verdict);
  if (last < endSeq) {
    const end = walked.verdict.end;
    if (end.seq >= last) return report(walked.checked, first, last, walked.verdict);
    // Only while records are being removed under the check: the window's last record was read before.
    return report(walked.checked, first, last, {
      intact: false,
      brokenSeq: end.seq + 1,
      problem: 'missing-record',
      reason: `record ${end.seq + 1} is missing`,
    });
  }
  // The check reached the end of the trail: it must end at the head, and no earlier than a checkpoint.
  if (newest) {
    const flaw = checkpointFlaw(keys.anchor, newest);
    if (flaw) return report(walked.checked, first, last, forged(newest, flaw));
  }
  return report(walked.checked, first, last, checkChainEnd(walked.verdict.end, head, newest));
}

/**
 * Checks the records with seq `first` to `last`, linked from `start`, batch by
 * batch, against the checkpoints among them. The first break wins, whether a
 * record or a checkpoint's signature.
 */
export async function walkChain(
  store: AuditStore,
  keys: TrailKeys,
  tenantId: string,
  range: { start: ChainLink; first: number; last: number; signal?: AbortSignal | undefined },
): Promise<{ verdict: ChainVerdict; checked: number }> {
  let end = range.start;
  let checked = 0;
  // Each read covers a window of at most VERIFY_BATCH seqs, so it costs the same
  // wherever it is in the chain, whatever the planner knows of the tenant. One
  // row more than the window has seqs is enough to show a repeat, whatever the
  // number of rows forged.
  let from = range.first;
  while (from <= range.last) {
    range.signal?.throwIfAborted();
    const upTo = Math.min(range.last, from + VERIFY_BATCH - 1);
    const records = await store.chainRecords(tenantId, { fromSeq: from, upTo, limit: upTo - from + 2 });
    const lastRecord = records.at(-1);
    if (!lastRecord) {
      // A gap: go on at the next record there is (the chain check names the gap), or stop at the end.
      const next = await store.nextSeq(tenantId, { after: upTo, upTo: range.last });
      if (next === undefined) break;
      from = next;
      continue;
    }
    const anchors = new Map<number, Anchor>();
    let forgery: ChainVerdict | undefined;
    for (const cp of await store.checkpoints(tenantId, { fromSeq: records[0]!.seq, toSeq: lastRecord.seq })) {
      const flaw = checkpointFlaw(keys.anchor, cp);
      if (!flaw) anchors.set(cp.seq, cp);
      else forgery ??= forged(cp, flaw);
    }
    let verdict = verifyChain(records, keys.chain, { from: end, anchors });
    if (forgery && !forgery.intact && (verdict.intact || forgery.brokenSeq < verdict.brokenSeq)) verdict = forgery;
    if (!verdict.intact) {
      const brokenSeq = verdict.brokenSeq;
      return { verdict, checked: checked + records.filter((r) => r.seq < brokenSeq).length };
    }
    checked += records.length;
    end = verdict.end;
    from = upTo + 1;
  }
  return { verdict: { intact: true, end }, checked };
}

function forged(cp: Checkpoint, flaw: string): ChainVerdict {
  return { intact: false, brokenSeq: cp.seq, problem: 'forged-checkpoint', reason: flaw };
}

function breakOf(verdict: ChainVerdict & { intact: false }): ChainBreak {
  return { brokenSeq: verdict.brokenSeq, problem: verdict.problem, reason: verdict.reason };
}
