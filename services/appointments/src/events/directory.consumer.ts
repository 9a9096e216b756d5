/**
 * The directory's changes, told again from their events: the replica that
 * commits a change to a doctor or a department tells every replica and the
 * gateways at once (cache/reference-data.ts, cache/gateway-caches.ts); should
 * that telling be lost (the process ended between its commit and Redis), the
 * change's doctor.updated or department.updated, read here by the service's
 * own consumer group, tells them again. Dropping a cached copy twice costs a
 * read; the event's version keeps any older copy from being served again.
 *
 * Runs on the group that already reads every event of the service's topic for
 * the dashboard, so no replica of any service reads the topic for its caches.
 */
import type { EventConsumer } from '@hms/platform';
import { EVENTS } from '@hms/proto';
import type { CachedReferenceData } from '../cache/reference-data.js';

export function consumeDirectoryChanges(
  consumer: EventConsumer,
  reference: Pick<CachedReferenceData, 'onEvent'>,
): void {
  consumer.on(EVENTS.doctorUpdated, (_event, _tx, envelope) => reference.onEvent(envelope));
  consumer.on(EVENTS.departmentUpdated, (_event, _tx, envelope) => reference.onEvent(envelope));
}
