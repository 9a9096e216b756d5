import type { PendingEvent } from '@hms/platform/domain';
import type { Bill } from './types.js';

export interface BillFilter {
  appointmentId?: string | undefined;
  patientId?: string | undefined;
}

/** What billing's use cases need from storage; src/db implements it in SQL on the service's database. */
export interface BillStore {
  /** Runs `fn` in one transaction of the tenant: its changes and their events commit together, or not at all. */
  change<T>(tenantId: string, fn: (tx: BillChanges) => Promise<T>): Promise<T>;
  find(tenantId: string, id: string): Promise<Bill | undefined>;
  /** Newest first (ids are time-ordered); `afterId` continues after that bill. */
  list(tenantId: string, filter: BillFilter, limit: number, afterId?: string): Promise<Bill[]>;
}

/** The changes one transaction can make. */
export interface BillChanges {
  /**
   * Saves a new bill with its items and the events announcing it, unless the
   * appointment already has a bill: then saves nothing and returns false.
   */
  insertUnlessBilled(bill: Bill, events: PendingEvent[]): Promise<boolean>;
}
