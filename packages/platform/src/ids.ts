import { v7 as uuidv7, validate } from 'uuid';

/** A new time-ordered id (UUID v7): sortable by creation, friendly to B-tree indexes. */
export function newId(): string {
  return uuidv7();
}

/** True for any well-formed UUID (ids from before v7, or from other systems, still count). */
export function isUuid(value: string): boolean {
  return validate(value);
}
