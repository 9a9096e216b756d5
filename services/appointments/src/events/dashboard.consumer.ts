/**
 * The day's dashboard from the service's own lifecycle events (CQRS): each
 * chunk of events of a tenant becomes one set of counter changes per doctor and
 * day, added in the consumer's transaction (which also records the events as
 * processed, so a redelivery adds nothing).
 */
import { PoisonEventError, type EventConsumer, type ServiceRuntime } from '@hms/platform';
import { decodeEventData, EVENTS, fromTimestamp, type Envelope } from '@hms/proto';
import { createSchedulingStore } from '../db/scheduling.repository.js';
import { dayDeltas, type DayEvent } from '../domain/dashboard.js';

/** The service's group reading its own topic: the dashboard, and the directory's changes told again. */
export const DASHBOARD_CONSUMER_GROUP = 'hms.appointments.dashboard';

const COUNTED = [
  EVENTS.appointmentBooked,
  EVENTS.appointmentCheckedIn,
  EVENTS.appointmentConsultationStarted,
  EVENTS.appointmentCompleted,
  EVENTS.appointmentCancelled,
  EVENTS.appointmentNoShow,
  EVENTS.appointmentRescheduled,
] as const;

export function consumeForDashboard(runtime: ServiceRuntime, consumer: EventConsumer, now: () => Date): void {
  consumer.onBatch(COUNTED, async (envelopes, tx) => {
    const store = createSchedulingStore(runtime.database.within(tx));
    const tenantId = envelopes[0]!.tenantId;
    await store.change(tenantId, async (changes) => {
      const events: DayEvent[] = [];
      for (const envelope of envelopes) {
        const event = dayEventOf(envelope);
        // Events from before department ids were on every event: the appointment knows its department.
        if (!event.departmentId) {
          const appointment = await changes.appointment(appointmentIdOf(envelope));
          if (!appointment) continue;
          event.departmentId = appointment.departmentId;
        }
        events.push(event);
      }
      await changes.addDayCounts(dayDeltas(events), now());
    });
  });
}

function appointmentIdOf(envelope: Envelope): string {
  return envelope.subject.slice(envelope.subject.indexOf('/') + 1);
}

/** What an event means for the counters; an event without its day or doctor is poison. */
export function dayEventOf(envelope: Envelope): DayEvent {
  const common = (data: { serviceDate: string; doctorId: string; departmentId?: string }) => {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(data.serviceDate) || !data.doctorId) {
      throw new PoisonEventError(`${envelope.type} ${envelope.id} names no day or doctor`);
    }
    return {
      serviceDate: data.serviceDate,
      doctorId: data.doctorId.toLowerCase(),
      departmentId: data.departmentId ?? '',
    };
  };
  switch (envelope.type) {
    case EVENTS.appointmentBooked.type:
      return { type: 'booked', ...common(decodeEventData(EVENTS.appointmentBooked, envelope)) };
    case EVENTS.appointmentCheckedIn.type:
      return { type: 'checked_in', ...common(decodeEventData(EVENTS.appointmentCheckedIn, envelope)) };
    case EVENTS.appointmentConsultationStarted.type: {
      const data = decodeEventData(EVENTS.appointmentConsultationStarted, envelope);
      const checkedIn = fromTimestamp(data.checkedInAt);
      const started = fromTimestamp(data.startedAt);
      return {
        type: 'consultation_started',
        ...common(data),
        waitSeconds: checkedIn && started ? (started.getTime() - checkedIn.getTime()) / 1000 : null,
      };
    }
    case EVENTS.appointmentCompleted.type:
      return { type: 'completed', ...common(decodeEventData(EVENTS.appointmentCompleted, envelope)) };
    case EVENTS.appointmentCancelled.type:
      return { type: 'cancelled', ...common(decodeEventData(EVENTS.appointmentCancelled, envelope)) };
    case EVENTS.appointmentNoShow.type: {
      const data = decodeEventData(EVENTS.appointmentNoShow, envelope);
      return { type: 'no_show', ...common(data), fromStatus: data.fromStatus };
    }
    case EVENTS.appointmentRescheduled.type: {
      const data = decodeEventData(EVENTS.appointmentRescheduled, envelope);
      return { type: 'rescheduled', ...common(data), previousServiceDate: data.previousServiceDate };
    }
    default:
      throw new PoisonEventError(`the dashboard does not count ${envelope.type}`);
  }
}
