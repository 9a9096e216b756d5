import type { PendingEvent } from '@hms/platform/domain';
import type { Orderable } from './queue-order.js';
import type { QueueEntry } from './types.js';

/** A doctor's day, as the queue keeps it. */
export interface QueueDayRef {
  doctorId: string;
  serviceDate: string;
  /** IANA zone of the doctor's clinic, in which serviceDate is a day. */
  timeZone: string;
}

/** What the queue's use cases need from storage; src/db implements it in SQL on the service's database. */
export interface QueueStore {
  /** Runs `fn` in one transaction of the tenant: its changes and their events commit together, or not at all. */
  change<T>(tenantId: string, fn: (tx: QueueChanges) => Promise<T>): Promise<T>;
  /** The time zone the doctor's most recently updated queue day was reported in, if any. */
  latestTimeZone(tenantId: string, doctorId: string): Promise<string | undefined>;
  /** Every entry of the doctor's queue on that day, in no particular order. */
  listEntries(tenantId: string, doctorId: string, serviceDate: string): Promise<QueueEntry[]>;
}

/** The changes one transaction can make. */
export interface QueueChanges {
  /**
   * Locks the doctor's day until the transaction ends (creating it on first
   * use, recording the time zone it was reported in): changes of one queue
   * day happen one after another. Returns the last token number issued.
   */
  lockDay(day: QueueDayRef): Promise<{ lastToken: number }>;
  /** The entry of an appointment, if it has one. */
  entryOfAppointment(appointmentId: string): Promise<QueueEntry | undefined>;
  /** What ordering needs of each waiting entry of the doctor's day. */
  waiting(doctorId: string, serviceDate: string): Promise<(Orderable & { id: string })[]>;
  /** Saves a new entry, makes its token the day's last one, and records the events. */
  addEntry(entry: QueueEntry, events: PendingEvent[]): Promise<void>;
}
