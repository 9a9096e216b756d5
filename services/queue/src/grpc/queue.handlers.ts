/** gRPC QueueService: translates proto messages to use-case calls and back. */
import { isCalendarDate, parseRequest, type MethodPermissions, type UnaryImplementation } from '@hms/platform';
import { toTimestamp, type QueueEntry as QueueEntryMessage, type QueueServiceHandlers } from '@hms/proto';
import { z } from 'zod';
import { getQueue } from '../domain/get-queue.js';
import type { QueueStore } from '../domain/queue-store.js';
import type { PlacedEntry } from '../domain/types.js';

const getQueueRequest = z.object({
  doctorId: z.uuid().transform((id) => id.toLowerCase()),
  // Empty means today in the doctor's time zone.
  serviceDate: z
    .string()
    .refine((date) => date === '' || isCalendarDate(date), 'must be a calendar date, YYYY-MM-DD, or empty for today'),
});

/** What a caller must be allowed to do for each method (checked before the handler runs). */
export const queuePermissions = {
  GetQueue: 'queues.read',
} satisfies MethodPermissions<QueueServiceHandlers>;

export function queueHandlers(deps: { store: QueueStore; now: () => Date }): UnaryImplementation<QueueServiceHandlers> {
  return {
    async GetQueue(request, ctx) {
      const input = parseRequest(getQueueRequest, request);
      const queue = await getQueue(deps, {
        tenantId: ctx.tenantId,
        doctorId: input.doctorId,
        serviceDate: input.serviceDate || undefined,
      });
      return { doctorId: queue.doctorId, serviceDate: queue.serviceDate, entries: queue.entries.map(toMessage) };
    },
  };
}

export function toMessage(e: PlacedEntry): QueueEntryMessage {
  return {
    id: e.id,
    appointmentId: e.appointmentId,
    patientId: e.patientId,
    tokenNumber: e.tokenNumber,
    position: e.position,
    priority: e.priority,
    status: `QUEUE_ENTRY_STATUS_${e.status}`,
    joinedAt: toTimestamp(e.joinedAt),
    traceId: e.traceId,
  };
}
