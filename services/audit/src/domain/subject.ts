/** Who and what an event is about, read from its envelope and payload. */
import { isUuid } from '@hms/platform/domain';

/**
 * The entity of an event subject "<kind>/<id>" (for example
 * "appointment/0190..."). The id is everything after the first slash; a UUID
 * is lower-cased, as PostgreSQL writes UUIDs, so that a search finds it
 * however the producer spelled it. A subject of another form is still
 * recorded, whole, as the entity id, so that nothing an event says is lost.
 */
export function parseSubject(subject: string): { entityType: string; entityId: string } {
  const slash = subject.indexOf('/');
  if (slash <= 0 || slash === subject.length - 1) return { entityType: '', entityId: subject };
  const id = subject.slice(slash + 1);
  return { entityType: subject.slice(0, slash), entityId: isUuid(id) ? id.toLowerCase() : id };
}

/**
 * The patient an event concerns: its payload's patientId when that is a UUID,
 * else the subject itself when it is a patient. Null when neither, so the
 * record is still written.
 */
export function patientOf(
  entity: { entityType: string; entityId: string },
  data: Readonly<Record<string, unknown>>,
): string | null {
  const fromData = data.patientId;
  if (typeof fromData === 'string' && isUuid(fromData)) return fromData.toLowerCase();
  if (entity.entityType === 'patient' && isUuid(entity.entityId)) return entity.entityId.toLowerCase();
  return null;
}
