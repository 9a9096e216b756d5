/** The queue domain as plain data; repositories map rows to these. */

/**
 * WAITING and SKIPPED are in line (a skipped patient is held back by the
 * tenant's offset); CALLED and IN_CONSULTATION are being served; the rest are
 * out of the queue for good.
 */
export type QueueEntryStatus =
  'WAITING' | 'CALLED' | 'IN_CONSULTATION' | 'DONE' | 'SKIPPED' | 'NO_SHOW' | 'TRANSFERRED' | 'REMOVED';

/** EMERGENCY before SENIOR and DISABLED before NORMAL. */
export type PriorityClass = 'NORMAL' | 'SENIOR' | 'DISABLED' | 'EMERGENCY';

export const PRIORITY_RANK: Record<PriorityClass, number> = { NORMAL: 0, SENIOR: 1, DISABLED: 1, EMERGENCY: 2 };

export interface QueueEntry {
  id: string;
  tenantId: string;
  doctorId: string;
  /** The doctor's local calendar day, YYYY-MM-DD. */
  serviceDate: string;
  /** Undefined for a walk-in. */
  appointmentId: string | undefined;
  patientId: string;
  /** 1, 2, 3 ... per doctor and day, never reused. */
  tokenNumber: number;
  priority: PriorityClass;
  status: QueueEntryStatus;
  /** Arrival; a transfer keeps it. */
  joinedAt: Date;
  traceId: string;
  /** Room or counter of the last call; empty before any. */
  room: string;
  skipCount: number;
  recallCount: number;
  calledAt: Date | undefined;
  completedAt: Date | undefined;
  /** Which call of the day called it (1, 2 ...); undefined while never called. */
  callNumber: number | undefined;
  /** A skipped entry is not called before the day's call count reaches this. */
  heldUntilCall: number;
  /** In a transfer's target: the entry it came from. */
  transferredFromEntryId: string | undefined;
  /** In the source: the doctor it went to. */
  transferredToDoctorId: string | undefined;
}

/** A doctor's queue day, as its locked row holds it. */
export interface QueueDay {
  tenantId: string;
  doctorId: string;
  serviceDate: string;
  /** IANA zone of the doctor's clinic. */
  timeZone: string;
  /** The last token number issued; 0 before the first. */
  lastToken: number;
  /** The last change's number in the day's change log; 0 before the first. */
  seq: number;
  /** Calls made so far (call next), which skip offsets count in. */
  calls: number;
  pausedAt: Date | undefined;
  resumeExpectedAt: Date | undefined;
  pauseReason: string;
}

/** The tenant's rules for its queues. */
export interface QueueRules {
  /** How many priority patients may be called ahead of one who waits before them; emergencies are exempt. */
  maxPriorityPasses: number;
  /** A skipped patient is back in line after this many more calls. */
  skipReturnAfter: number;
  /** The expected consultation before a doctor has a history, seconds. */
  defaultConsultationSeconds: number;
}

export const DEFAULT_RULES: QueueRules = {
  maxPriorityPasses: 3,
  skipReturnAfter: 3,
  defaultConsultationSeconds: 600,
};

/**
 * The doctor's consultation history: a smoothed mean over the days before
 * `day`, and `day`'s own consultations so far (folded into the mean once a
 * later day begins), so today's pace is never counted twice.
 */
export interface DoctorStats {
  /** Smoothed mean consultation length of the days before `day`, seconds (0 with no history). */
  meanSeconds: number;
  /** Consultations behind meanSeconds. */
  samples: number;
  day: string;
  daySeconds: number;
  dayCount: number;
}

/** An entry with its place: 1-based position in the calling order for those in line, 0 for the others. */
export interface PlacedEntry extends QueueEntry {
  position: number;
  /** For those in line: when they are expected to be called. */
  estimatedCallAt: Date | undefined;
}

/** One doctor's queue of one day, in calling order. */
export interface DoctorQueue {
  doctorId: string;
  serviceDate: string;
  timeZone: string;
  seq: number;
  pause: QueuePause;
  /** The consultation length the estimates use, seconds. */
  consultationSeconds: number;
  entries: PlacedEntry[];
}

export interface QueuePause {
  paused: boolean;
  pausedAt: Date | undefined;
  resumeExpectedAt: Date | undefined;
  reason: string;
}

/** One place in the calling order. */
export interface LinePlace {
  entryId: string;
  tokenNumber: number;
  estimatedCallAt: Date | undefined;
}

/** One committed change of a queue day: its number, what happened, the entries it touched and the new order. */
export interface QueueChange {
  seq: number;
  type: string;
  at: Date;
  entries: PlacedEntry[];
  line: LinePlace[];
  pause: QueuePause;
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

export const IN_LINE: ReadonlySet<QueueEntryStatus> = new Set(['WAITING', 'SKIPPED']);
export const SERVING: ReadonlySet<QueueEntryStatus> = new Set(['CALLED', 'IN_CONSULTATION']);
