/**
 * An event a use case decides to publish: its catalogue definition and what it
 * says. Plain data, so domain code can build events without knowing about the
 * outbox, Kafka or the envelope; the write path adds the envelope.
 */
import type { EventDefinition, EventPayload } from '@hms/proto';

export interface PendingEvent<D extends EventDefinition = EventDefinition> {
  def: D;
  /** Kafka key: what must stay in order shares it (e.g. tenant:doctor:day). */
  key: string;
  tenantId: string;
  /** "<kind>/<id>" of the entity the event is about. */
  subject: string;
  data: EventPayload<D>;
  /**
   * Who did it, when that is not the current request's user: an anonymous
   * login attempt, or reads recorded after their requests have ended.
   */
  actor?: { kind: string; id: string } | undefined;
  /** The trace it belongs to, when that is not the current one (reads recorded after their requests). */
  traceparent?: string | undefined;
}

/** A typed PendingEvent: the payload must be the definition's. */
export function pendingEvent<D extends EventDefinition>(def: D, event: Omit<PendingEvent<D>, 'def'>): PendingEvent {
  return { def, ...event } as PendingEvent;
}
