/** gRPC QueueService: translates proto messages to use-case calls and back. */
import {
  currentTraceId,
  isCalendarDate,
  isValidTimeZone,
  parseRequest,
  requestFingerprint,
  type MethodPermissions,
  type UnaryImplementation,
} from '@hms/platform';
import { fromTimestamp, type QueueServiceHandlers } from '@hms/proto';
import { z } from 'zod';
import { callNext } from '../domain/call-next.js';
import { completeEntry, recallEntry, setEntryPriority, skipEntry } from '../domain/entry-actions.js';
import { changesAfter, getQueueUnlessKnown, resolveServiceDate } from '../domain/get-queue.js';
import { joinWalkIn } from '../domain/join-queue.js';
import { setQueuePaused } from '../domain/pause-queue.js';
import { getQueueRules, setQueueRules } from '../domain/queue-rules.js';
import type { QueueStore } from '../domain/queue-store.js';
import { transferEntry } from '../domain/transfer-entry.js';
import type { ChangeFeed } from '../live/change-feed.js';
import { changeMessage, entryMessage, pauseMessage, priorityOf, queueMessage, rulesMessage } from './queue.messages.js';
import { watchQueue } from './watch-queue.js';

const uuid = z.uuid().transform((id) => id.toLowerCase());
const optionalDate = z
  .string()
  .refine((date) => date === '' || isCalendarDate(date), 'must be a calendar date, YYYY-MM-DD, or empty for today');
const timeZone = z.string().refine(isValidTimeZone, 'must be an IANA time zone');
const room = z.string().trim().min(1, 'required').max(40, 'must be at most 40 characters');
const getQueueRequest = z.object({
  doctorId: uuid,
  serviceDate: optionalDate,
  knownServiceDate: optionalDate,
  knownSeq: z.number().int().min(0, 'must not be negative'),
});
const entryRequest = z.object({ entryId: uuid });
const priority = (fallback: 'NORMAL' | undefined) =>
  z.unknown().transform((value, ctx) => {
    const parsed = priorityOf(value, fallback);
    if (!parsed) ctx.addIssue({ code: 'custom', message: 'must be NORMAL, SENIOR, DISABLED or EMERGENCY' });
    return parsed ?? 'NORMAL';
  });
const walkInRequest = z.object({
  doctorId: uuid,
  timeZone,
  patientId: uuid,
  priority: priority('NORMAL'),
  idempotencyKey: z.string().max(200),
});
const callNextRequest = z.object({ doctorId: uuid, serviceDate: optionalDate, room });
const transferRequest = z.object({ entryId: uuid, toDoctorId: uuid, toTimeZone: timeZone });
const priorityRequest = z.object({ entryId: uuid, priority: priority(undefined) });
const pauseRequest = z.object({
  doctorId: uuid,
  timeZone,
  resumeExpectedAt: z.date().optional(),
  reason: z.string().max(200, 'must be at most 200 characters'),
});
const resumeRequest = z.object({ doctorId: uuid, timeZone });
const rulesRequest = z.object({
  maxPriorityPasses: z.number(),
  skipReturnAfter: z.number(),
  defaultConsultationSeconds: z.number(),
});
const changesRequest = z.object({
  doctorId: uuid,
  serviceDate: z.string().refine(isCalendarDate, 'must be a calendar date, YYYY-MM-DD'),
  afterSeq: z.number().int().min(0),
});

/** What a caller must be allowed to do for each method (checked before the handler runs). */
export const queuePermissions = {
  GetQueue: 'queues.read',
  JoinWalkIn: 'queues.manage',
  CallNext: 'queues.manage',
  RecallEntry: 'queues.manage',
  SkipEntry: 'queues.manage',
  CompleteEntry: 'queues.manage',
  TransferEntry: 'queues.manage',
  SetEntryPriority: 'queues.manage',
  PauseQueue: 'queues.manage',
  ResumeQueue: 'queues.manage',
  GetQueueRules: 'queues.read',
  SetQueueRules: 'queues.configure',
  ListQueueChanges: 'queues.read',
  WatchQueue: 'queues.read',
} satisfies MethodPermissions<QueueServiceHandlers>;

export interface QueueHandlerDeps {
  store: QueueStore;
  now: () => Date;
  newId: () => string;
  feed?: ChangeFeed;
}

export function queueHandlers(deps: QueueHandlerDeps): UnaryImplementation<QueueServiceHandlers> {
  return {
    async GetQueue(request, ctx) {
      const input = parseRequest(getQueueRequest, request);
      const queue = await getQueueUnlessKnown(deps, {
        tenantId: ctx.tenantId,
        doctorId: input.doctorId,
        serviceDate: input.serviceDate || undefined,
        known: input.knownServiceDate ? { serviceDate: input.knownServiceDate, seq: input.knownSeq } : undefined,
      });
      if ('notModified' in queue) return queue;
      return queueMessage(queue);
    },
    async JoinWalkIn(request, ctx) {
      const input = parseRequest(walkInRequest, request);
      const { idempotencyKey, ...rest } = input;
      const { entry, replayed } = await joinWalkIn(deps, {
        tenantId: ctx.tenantId,
        doctorId: input.doctorId,
        timeZone: input.timeZone,
        patientId: input.patientId,
        priority: input.priority,
        traceId: currentTraceId(),
        idempotency: idempotencyKey
          ? { operation: 'JoinWalkIn', key: idempotencyKey, fingerprint: requestFingerprint(rest) }
          : undefined,
      });
      return { entry: entryMessage(entry), replayed };
    },
    async CallNext(request, ctx) {
      const input = parseRequest(callNextRequest, request);
      const serviceDate = await resolveServiceDate(deps, ctx.tenantId, input.doctorId, input.serviceDate || undefined);
      const entry = await callNext(deps, {
        tenantId: ctx.tenantId,
        doctorId: input.doctorId,
        serviceDate,
        room: input.room,
      });
      return { entry: entryMessage(entry) };
    },
    async RecallEntry(request, ctx) {
      const { entryId } = parseRequest(entryRequest, request);
      return { entry: entryMessage(await recallEntry(deps, { tenantId: ctx.tenantId, entryId })) };
    },
    async SkipEntry(request, ctx) {
      const { entryId } = parseRequest(entryRequest, request);
      return { entry: entryMessage(await skipEntry(deps, { tenantId: ctx.tenantId, entryId })) };
    },
    async CompleteEntry(request, ctx) {
      const { entryId } = parseRequest(entryRequest, request);
      return { entry: entryMessage(await completeEntry(deps, { tenantId: ctx.tenantId, entryId })) };
    },
    async TransferEntry(request, ctx) {
      const input = parseRequest(transferRequest, request);
      const { from, to } = await transferEntry(deps, { tenantId: ctx.tenantId, ...input });
      return { from: entryMessage(from), to: entryMessage(to) };
    },
    async SetEntryPriority(request, ctx) {
      const input = parseRequest(priorityRequest, request);
      return { entry: entryMessage(await setEntryPriority(deps, { tenantId: ctx.tenantId, ...input })) };
    },
    async PauseQueue(request, ctx) {
      const input = parseRequest(pauseRequest, {
        ...request,
        resumeExpectedAt: fromTimestamp(request.resumeExpectedAt) ?? undefined,
      });
      const { serviceDate, pause } = await setQueuePaused(deps, { tenantId: ctx.tenantId, paused: true, ...input });
      return { serviceDate, pause: pauseMessage(pause) };
    },
    async ResumeQueue(request, ctx) {
      const input = parseRequest(resumeRequest, request);
      const { serviceDate, pause } = await setQueuePaused(deps, { tenantId: ctx.tenantId, paused: false, ...input });
      return { serviceDate, pause: pauseMessage(pause) };
    },
    async GetQueueRules(_request, ctx) {
      return { rules: rulesMessage(await getQueueRules(deps, ctx.tenantId)) };
    },
    async SetQueueRules(request, ctx) {
      const rules = parseRequest(rulesRequest, request.rules ?? {}, 'rules');
      return { rules: rulesMessage(await setQueueRules(deps, ctx.tenantId, rules)) };
    },
    async ListQueueChanges(request, ctx) {
      const input = parseRequest(changesRequest, request);
      const { changes, complete, lastSeq } = await changesAfter(deps, { tenantId: ctx.tenantId, ...input });
      return { changes: changes.map(changeMessage), complete, lastSeq };
    },
    async WatchQueue(request, ctx, stream) {
      const input = parseRequest(changesRequest, request);
      if (!deps.feed) throw new Error('WatchQueue needs the change feed');
      await watchQueue({ ...deps, feed: deps.feed }, { tenantId: ctx.tenantId, ...input }, stream);
    },
  };
}
