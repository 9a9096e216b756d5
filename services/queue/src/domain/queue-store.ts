import type { IdempotencyClaim, PendingEvent } from '@hms/platform/domain';
import type { DoctorStats, QueueChange, QueueDay, QueueEntry, QueueRules } from './types.js';

/** A doctor's day, as the queue keeps it. */
export interface QueueDayRef {
  doctorId: string;
  serviceDate: string;
  /** IANA zone of the doctor's clinic, in which serviceDate is a day. */
  timeZone: string;
}

/** A day with everything its order and estimates need, read in one go. */
export interface DayRead {
  day: QueueDay | undefined;
  entries: QueueEntry[];
  rules: QueueRules;
  stats: DoctorStats | undefined;
}

/** What the queue's use cases need from storage; src/db implements it in SQL on the service's database. */
export interface QueueStore {
  /** Runs `fn` in one transaction of the tenant: its changes and their events commit together, or not at all. */
  change<T>(tenantId: string, fn: (tx: QueueChanges) => Promise<T>): Promise<T>;
  /** The time zone the doctor's most recently updated queue day was reported in, if any. */
  latestTimeZone(tenantId: string, doctorId: string): Promise<string | undefined>;
  readDay(tenantId: string, doctorId: string, serviceDate: string): Promise<DayRead>;
  /** The day's last change (0 for a day nobody joined): one row, for conditional reads. */
  daySeq(tenantId: string, doctorId: string, serviceDate: string): Promise<number>;
  /** The logged changes of a day after `afterSeq`, oldest first, and the day's last seq. */
  listChanges(
    tenantId: string,
    doctorId: string,
    serviceDate: string,
    afterSeq: number,
  ): Promise<{ changes: QueueChange[]; lastSeq: number }>;
  rules(tenantId: string): Promise<QueueRules>;
}

/** What one transaction can read and change. */
export interface QueueChanges {
  /**
   * Locks the doctor's day until the transaction ends (creating it on first
   * use, recording the time zone it was reported in): changes of one queue
   * day happen one after another.
   */
  lockDay(day: QueueDayRef): Promise<QueueDay>;
  /** Locks a day that exists; undefined when it does not. */
  lockExistingDay(doctorId: string, serviceDate: string): Promise<QueueDay | undefined>;
  entry(id: string): Promise<QueueEntry | undefined>;
  /** The live entry of an appointment (not one left behind by a transfer), if it has one. */
  entryOfAppointment(appointmentId: string): Promise<QueueEntry | undefined>;
  /** Every entry of the doctor's day. */
  entriesOfDay(doctorId: string, serviceDate: string): Promise<QueueEntry[]>;
  rules(): Promise<QueueRules>;
  setRules(rules: QueueRules): Promise<void>;
  stats(doctorId: string): Promise<DoctorStats | undefined>;
  saveStats(doctorId: string, stats: DoctorStats): Promise<void>;
  /**
   * Claims an idempotency key: undefined when new (store the result with
   * rememberResult), the first result when the same request comes again.
   */
  claim(claim: IdempotencyClaim): Promise<unknown>;
  rememberResult(claim: IdempotencyClaim, result: unknown): Promise<void>;
  /**
   * Saves one change of a day: the day row (counters, pause), the new and
   * changed entries, the change in the day's bounded log (announced to
   * watchers when the transaction commits) and its events.
   */
  commit(day: QueueDay, entries: QueueEntry[], change: QueueChange, events: PendingEvent[]): Promise<void>;
}
