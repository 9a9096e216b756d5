import { v7 as uuidv7, validate } from 'uuid';

/** A new time-ordered id (UUID v7): sortable by creation, friendly to B-tree indexes. */
export function newId(): string {
  return uuidv7();
}

/** True for any well-formed UUID (ids from before v7, or from other systems, still count). */
export function isUuid(value: string): boolean {
  return validate(value);
}

/**
 * A UUID in the one spelling HMS stores, compares and hashes: lower case, as
 * PostgreSQL returns it. Undefined for anything that is not a UUID. Every id
 * that enters from outside (gRPC metadata, event envelopes, requests) goes
 * through here once, so nothing downstream needs to lower-case again.
 */
export function normalizeUuid(value: string | undefined | null): string | undefined {
  if (!value || !validate(value)) return undefined;
  return value.toLowerCase();
}
