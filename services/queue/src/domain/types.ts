/** The queue domain as plain data; repositories map rows to these. */

export type QueueEntryStatus = 'WAITING' | 'CALLED' | 'IN_CONSULTATION' | 'DONE' | 'SKIPPED';

export interface QueueEntry {
  id: string;
  tenantId: string;
  doctorId: string;
  /** The doctor's local calendar day, YYYY-MM-DD. */
  serviceDate: string;
  appointmentId: string;
  patientId: string;
  /** 1, 2, 3 ... per doctor and day, never reused. */
  tokenNumber: number;
  /** Higher is called first; 0 is normal. */
  priority: number;
  status: QueueEntryStatus;
  joinedAt: Date;
  traceId: string;
}

/** An entry with its place in the queue: 1-based among waiting entries, 0 for the others. */
export interface PlacedEntry extends QueueEntry {
  position: number;
}

/** One doctor's queue of one day, in calling order. */
export interface DoctorQueue {
  doctorId: string;
  serviceDate: string;
  entries: PlacedEntry[];
}

/** A checked-in patient to be given the next token of the doctor's day. */
export interface QueueJoin {
  tenantId: string;
  doctorId: string;
  serviceDate: string;
  /** IANA zone of the doctor's clinic, in which serviceDate is a day. */
  timeZone: string;
  appointmentId: string;
  patientId: string;
  joinedAt: Date;
  traceId: string;
}
