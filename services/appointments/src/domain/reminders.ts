/**
 * Reminders: at booking (and again at a reschedule) an appointment gets one
 * reminder per offset of the tenant's settings, due that long before its
 * slot; those already past are skipped. A scheduled job emits each due
 * reminder once, as appointment.reminder_due, in the transaction that marks
 * it sent; cancelling, rescheduling or checking in withdraws those unsent.
 */
import type { Appointment, Reminder } from './types.js';

const MINUTE = 60_000;

export function planReminders(
  appointment: Pick<Appointment, 'id' | 'startsAt'>,
  offsetsMinutes: number[],
  now: Date,
): Reminder[] {
  return [...new Set(offsetsMinutes)]
    .map((offsetMinutes) => ({
      appointmentId: appointment.id,
      offsetMinutes,
      dueAt: new Date(appointment.startsAt.getTime() - offsetMinutes * MINUTE),
    }))
    .filter((r) => r.dueAt.getTime() > now.getTime())
    .sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime());
}
