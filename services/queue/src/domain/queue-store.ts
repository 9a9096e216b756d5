import type { QueueEntry } from './types.js';

/** What reading a queue needs from storage; src/db implements it with Prisma. */
export interface QueueStore {
  /** The time zone the doctor's most recently updated queue day was reported in, if any. */
  latestTimeZone(tenantId: string, doctorId: string): Promise<string | undefined>;
  /** Every entry of the doctor's queue on that day, in no particular order. */
  listEntries(tenantId: string, doctorId: string, serviceDate: string): Promise<QueueEntry[]>;
}
