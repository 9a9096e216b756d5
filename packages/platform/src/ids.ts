import { v7 as uuidv7, validate, version } from 'uuid';

/** A new time-ordered id (UUID v7): sortable by creation, friendly to B-tree indexes. */
export function newId(): string {
  return uuidv7();
}

/** True for any well-formed UUID (ids from before v7, or from other systems, still count). */
export function isUuid(value: string): boolean {
  return validate(value);
}

/** True for a UUID of version 7. */
export function isTimeOrderedId(value: string): boolean {
  return validate(value) && version(value) === 7;
}
