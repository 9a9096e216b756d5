/**
 * The rules a billing request can break, each a domain error whose message
 * starts with the rule's name, so the 4xx problem a client gets names it
 * (e.g. "overpayment: ..."). The kind decides the status: conflict (409) for
 * amounts or people that clash with the bill's state, failed precondition
 * (422) for a state that does not allow the change at all.
 */
import {
  ConflictError,
  FailedPreconditionError,
  InvalidArgumentError,
  PermissionDeniedError,
  type DomainError,
} from '@hms/platform/domain';

export type Rule =
  | 'overpayment'
  | 'currency-mismatch'
  | 'bill-void'
  | 'bill-issued'
  | 'bill-not-issued'
  | 'refund-exceeds-paid'
  | 'credit-exceeds-total'
  | 'two-person-rule'
  | 'discount-exceeds-amount'
  | 'total-below-paid'
  | 'refund-state'
  | 'catalogue-item-inactive'
  | 'permission-required'
  | 'invalid-amount';

const KIND: Record<Rule, 'conflict' | 'failed-precondition' | 'invalid-argument' | 'permission-denied'> = {
  overpayment: 'conflict',
  'refund-exceeds-paid': 'conflict',
  'credit-exceeds-total': 'conflict',
  'two-person-rule': 'conflict',
  'discount-exceeds-amount': 'conflict',
  'total-below-paid': 'conflict',
  'currency-mismatch': 'failed-precondition',
  'bill-void': 'failed-precondition',
  'bill-issued': 'failed-precondition',
  'bill-not-issued': 'failed-precondition',
  'refund-state': 'failed-precondition',
  'catalogue-item-inactive': 'failed-precondition',
  'permission-required': 'permission-denied',
  'invalid-amount': 'invalid-argument',
};

/** The error for breaking `rule`; `field` names the request field it is about. */
export function broken(rule: Rule, field: string, message: string): DomainError {
  const text = `${rule}: ${message}`;
  const violations = [{ field, message: text }];
  switch (KIND[rule]) {
    case 'conflict':
      return new ConflictError(text, violations);
    case 'failed-precondition':
      return new FailedPreconditionError(text, violations);
    case 'permission-denied':
      return new PermissionDeniedError(text, violations);
    default:
      return new InvalidArgumentError(text, violations);
  }
}
