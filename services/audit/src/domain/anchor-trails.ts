/**
 * Anchoring: at a fixed interval, every tenant whose chain grew since its
 * newest checkpoint gets a new signed checkpoint at its head, once the records
 * since that checkpoint are verified (so that a record forged in between, by
 * someone who can insert rows but lacks the chain key, is never vouched for).
 * From then on, the records up to that seq can be neither cut off nor
 * rewritten without verification finding it.
 */
import type { AnchorStore, AuditStore } from './audit-store.js';
import { checkpointFlaw, signCheckpoint } from './checkpoint.js';
import { CHAIN_START, checkChainEnd, type ChainBreak } from './hash-chain.js';
import type { TrailKeys } from './keyring.js';
import { walkChain } from './verify-trail.js';

export type AnchorOutcome =
  | { tenantId: string; anchored: true; seq: number; hash: string; checked: number }
  | { tenantId: string; anchored: false; break: ChainBreak };

export async function anchorTrails(
  deps: { store: AuditStore; anchors: AnchorStore; keys: TrailKeys; now: () => Date },
  signal?: AbortSignal,
): Promise<AnchorOutcome[]> {
  const outcomes: AnchorOutcome[] = [];
  for (const tenantId of await deps.store.tenantsToAnchor()) {
    if (signal?.aborted) break;
    let outcome;
    try {
      outcome = await anchorTrail(deps, tenantId, signal);
    } catch (error) {
      if (signal?.aborted) break;
      throw error;
    }
    if (outcome) outcomes.push(outcome);
  }
  return outcomes;
}

/** Anchors one tenant's chain at its head; undefined when there is nothing new to anchor. */
export async function anchorTrail(
  deps: { store: AuditStore; anchors: AnchorStore; keys: TrailKeys; now: () => Date },
  tenantId: string,
  signal?: AbortSignal,
): Promise<AnchorOutcome | undefined> {
  const { store, keys } = deps;
  const newest = await store.newestCheckpoint(tenantId);
  if (newest) {
    const flaw = checkpointFlaw(keys.anchor, newest);
    if (flaw) {
      return {
        tenantId,
        anchored: false,
        break: { brokenSeq: newest.seq, problem: 'forged-checkpoint', reason: flaw },
      };
    }
  }
  const head = await store.chainHead(tenantId);
  const start = newest ? { seq: newest.seq, hash: newest.hash } : CHAIN_START;
  if (!head || head.seq === start.seq) return undefined;
  const walked =
    head.seq > start.seq
      ? await walkChain(store, keys, tenantId, { start, first: start.seq + 1, last: head.seq, signal })
      : { verdict: { intact: true as const, end: start }, checked: 0 };
  const verdict = walked.verdict.intact ? checkChainEnd(walked.verdict.end, head, newest) : walked.verdict;
  if (!verdict.intact) {
    return {
      tenantId,
      anchored: false,
      break: { brokenSeq: verdict.brokenSeq, problem: verdict.problem, reason: verdict.reason },
    };
  }
  await deps.anchors.addCheckpoint(signCheckpoint(keys.anchor, tenantId, verdict.end, deps.now()));
  return { tenantId, anchored: true, seq: verdict.end.seq, hash: verdict.end.hash, checked: walked.checked };
}
