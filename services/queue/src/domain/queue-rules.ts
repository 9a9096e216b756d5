/** The tenant's queue rules: read (defaults until set) and replace. */
import { InvalidArgumentError } from '@hms/platform/domain';
import type { QueueStore } from './queue-store.js';
import type { QueueRules } from './types.js';

const BOUNDS: Record<keyof QueueRules, [number, number]> = {
  maxPriorityPasses: [1, 50],
  skipReturnAfter: [1, 50],
  defaultConsultationSeconds: [60, 7_200],
};

export function validateRules(rules: QueueRules): QueueRules {
  const violations = (Object.keys(BOUNDS) as (keyof QueueRules)[])
    .filter((k) => !Number.isInteger(rules[k]) || rules[k] < BOUNDS[k][0] || rules[k] > BOUNDS[k][1])
    .map((k) => ({ field: k, message: `must be a whole number from ${BOUNDS[k][0]} to ${BOUNDS[k][1]}` }));
  if (violations.length > 0) throw new InvalidArgumentError('the queue rules are not valid', violations);
  return rules;
}

export function getQueueRules(deps: { store: QueueStore }, tenantId: string): Promise<QueueRules> {
  return deps.store.rules(tenantId);
}

export async function setQueueRules(
  deps: { store: QueueStore },
  tenantId: string,
  rules: QueueRules,
): Promise<QueueRules> {
  const valid = validateRules(rules);
  return deps.store.change(tenantId, async (tx) => {
    await tx.setRules(valid);
    return valid;
  });
}
