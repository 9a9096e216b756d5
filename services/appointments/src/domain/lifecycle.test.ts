import { ConflictError } from '@hms/platform/domain';
import { describe, expect, it } from 'vitest';
import { allowedActions, transition } from './lifecycle.js';

describe('the appointment lifecycle', () => {
  it('moves along BOOKED -> CHECKED_IN -> IN_CONSULTATION -> COMPLETED', () => {
    expect(transition('BOOKED', 'check-in')).toBe('CHECKED_IN');
    expect(transition('CHECKED_IN', 'start-consultation')).toBe('IN_CONSULTATION');
    expect(transition('IN_CONSULTATION', 'complete')).toBe('COMPLETED');
  });

  it('cancels and reschedules only booked appointments, and marks booked or checked-in ones no-show', () => {
    expect(transition('BOOKED', 'cancel')).toBe('CANCELLED');
    expect(transition('BOOKED', 'reschedule')).toBe('BOOKED');
    expect(transition('BOOKED', 'no-show')).toBe('NO_SHOW');
    expect(transition('CHECKED_IN', 'no-show')).toBe('NO_SHOW');
  });

  it('answers a repeated action with "unchanged"', () => {
    expect(transition('CHECKED_IN', 'check-in')).toBe('unchanged');
    expect(transition('CANCELLED', 'cancel')).toBe('unchanged');
    expect(transition('NO_SHOW', 'no-show')).toBe('unchanged');
  });

  it('refuses anything else with a conflict naming the allowed actions', () => {
    const error = (() => {
      try {
        transition('COMPLETED', 'cancel');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).message).toBe(
      'an appointment that is completed cannot be cancelled; nothing more is allowed',
    );
    expect(() => transition('CHECKED_IN', 'cancel')).toThrow(/allowed: start-consultation, no-show/);
    expect(() => transition('CHECKED_IN', 'reschedule')).toThrow(ConflictError);
    expect(
      (() => {
        try {
          transition('IN_CONSULTATION', 'check-in');
        } catch (e) {
          return (e as ConflictError).details;
        }
      })(),
    ).toEqual({ status: 'in_consultation', allowed: ['complete'] });
    expect(allowedActions('BOOKED')).toEqual(['check-in', 'cancel', 'reschedule', 'no-show']);
  });
});
