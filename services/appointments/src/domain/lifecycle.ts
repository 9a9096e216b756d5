/**
 * The appointment lifecycle: which action may follow which status.
 *
 *   BOOKED -> CHECKED_IN -> IN_CONSULTATION -> COMPLETED
 *   BOOKED -> CANCELLED            BOOKED -> BOOKED (reschedule)
 *   BOOKED | CHECKED_IN -> NO_SHOW
 *
 * Asking for the status an appointment is already in (a retried check-in,
 * cancel, ...) is answered with the appointment unchanged; anything else not
 * listed is a conflict that names what is allowed.
 */
import { ConflictError } from '@hms/platform/domain';
import type { AppointmentStatus } from './types.js';

export type LifecycleAction = 'check-in' | 'start-consultation' | 'complete' | 'cancel' | 'reschedule' | 'no-show';

const RULES: Record<LifecycleAction, { from: AppointmentStatus[]; to: AppointmentStatus }> = {
  'check-in': { from: ['BOOKED'], to: 'CHECKED_IN' },
  'start-consultation': { from: ['CHECKED_IN'], to: 'IN_CONSULTATION' },
  complete: { from: ['IN_CONSULTATION'], to: 'COMPLETED' },
  cancel: { from: ['BOOKED'], to: 'CANCELLED' },
  reschedule: { from: ['BOOKED'], to: 'BOOKED' },
  'no-show': { from: ['BOOKED', 'CHECKED_IN'], to: 'NO_SHOW' },
};

/** The actions an appointment in `status` allows. */
export function allowedActions(status: AppointmentStatus): LifecycleAction[] {
  return (Object.keys(RULES) as LifecycleAction[]).filter((action) => RULES[action].from.includes(status));
}

/**
 * The status `action` leads to from `status`, or 'unchanged' when the
 * appointment is already where the action leads (a retry). Throws a
 * ConflictError naming the allowed actions for anything else.
 */
export function transition(status: AppointmentStatus, action: LifecycleAction): AppointmentStatus | 'unchanged' {
  const rule = RULES[action];
  if (rule.from.includes(status)) return rule.to;
  if (rule.to === status && action !== 'reschedule') return 'unchanged';
  const allowed = allowedActions(status);
  const state = status.toLowerCase().replace('_', ' ');
  throw new ConflictError(
    `an appointment that is ${state} cannot ${verbs[action]}; ${allowed.length > 0 ? `allowed: ${allowed.join(', ')}` : 'nothing more is allowed'}`,
    [{ field: 'status', message: `is ${status.toLowerCase()}; allowed: ${allowed.join(', ') || 'none'}` }],
    { status: status.toLowerCase(), allowed },
  );
}

const verbs: Record<LifecycleAction, string> = {
  'check-in': 'be checked in',
  'start-consultation': 'start its consultation',
  complete: 'be completed',
  cancel: 'be cancelled',
  reschedule: 'be rescheduled',
  'no-show': 'be marked a no-show',
};
