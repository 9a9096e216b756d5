/**
 * The queue drives the consultation: `queue.called` of an entry that came from
 * an appointment starts its consultation, `queue.completed` completes it. A
 * walk-in's entry has no appointment and is not ours. The queue's order of
 * events is its own; an appointment that moved on meanwhile (cancelled, marked
 * a no-show) stays as it is: the conflict is noted, not retried.
 */
import { eventUuid, type ServiceRuntime } from '@hms/platform';
import { ConflictError } from '@hms/platform/domain';
import { EVENTS } from '@hms/proto';
import { createSchedulingStore } from '../db/scheduling.repository.js';
import type { SchedulingDeps } from '../domain/book-appointment.js';
import { completeAppointment, startConsultation } from '../domain/lifecycle-actions.js';

export const QUEUE_CONSUMER_GROUP = 'hms.appointments.queue';
const ACTOR = 'system:queue';

export function consumeQueueEvents(runtime: ServiceRuntime, deps: Omit<SchedulingDeps, 'store'>): void {
  const on = (tx: Parameters<typeof runtime.database.within>[0]) => ({
    ...deps,
    store: createSchedulingStore(runtime.database.within(tx)),
  });
  const tolerate = async (step: () => Promise<unknown>) => {
    try {
      await step();
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      runtime.logger.info({ err: error }, 'queue event for an appointment that moved on; left as it is');
    }
  };
  runtime
    .consumer(QUEUE_CONSUMER_GROUP)
    .on(EVENTS.queueCalled, async (event, tx) => {
      const appointmentId = event.data.entry?.appointmentId;
      if (!appointmentId) return;
      const command = {
        tenantId: event.tenantId,
        appointmentId: eventUuid('appointmentId', appointmentId),
        actorId: ACTOR,
      };
      await tolerate(() => startConsultation(on(tx), command));
    })
    .on(EVENTS.queueCompleted, async (event, tx) => {
      const appointmentId = event.data.entry?.appointmentId;
      if (!appointmentId) return;
      const command = {
        tenantId: event.tenantId,
        appointmentId: eventUuid('appointmentId', appointmentId),
        actorId: ACTOR,
      };
      // Completed without a call we heard (a redelivery order, a desk that skipped it): started, then completed.
      await tolerate(() => startConsultation(on(tx), command));
      await tolerate(() => completeAppointment(on(tx), command));
    });
}
