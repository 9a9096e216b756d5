/**
 * The gRPC metadata keys of the request context. Tenant and user travel in the
 * internal token (`authorization`), not in these: a client no longer sends
 * x-tenant-id or x-user-id, and a server refuses a call whose values disagree
 * with its token.
 */
import type { Metadata } from '@grpc/grpc-js';
import type { TextMapGetter, TextMapSetter } from '@opentelemetry/api';

export const METADATA_KEYS = {
  tenantId: 'x-tenant-id',
  userId: 'x-user-id',
  requestId: 'x-request-id',
} as const;

/** The DomainError's `reason` (e.g. quota-exceeded), beside the status code of a failed call. */
export const ERROR_REASON_KEY = 'x-error-reason';

export const metadataGetter: TextMapGetter<Metadata> = {
  keys: (md) => Object.keys(md.getMap()),
  get: (md, key) => {
    const values = md.get(key).map(String);
    return values.length > 1 ? values : values[0];
  },
};

export const metadataSetter: TextMapSetter<Metadata> = {
  set: (md, key, value) => md.set(key, value),
};

export function metadataValue(md: Metadata, key: string): string | undefined {
  const value = md.get(key)[0];
  return value === undefined ? undefined : String(value);
}
