/**
 * What a tenant's plan allows of live streams. One small seam: today every
 * plan gets the gateway's configured defaults; the plans work (issue 7) maps
 * plans to their own numbers here.
 */
import type { Tenant } from '../db/tenant.repository.js';

export interface StreamCaps {
  /** Streams open at once on one doctor's queue, on this gateway. */
  perQueue: number;
  /** Streams open at once with one token (a display's or a user's), on this gateway. */
  perToken: number;
}

export type StreamCapsOf = (tenant: Tenant) => StreamCaps;

export function defaultStreamCaps(defaults: StreamCaps): StreamCapsOf {
  return () => defaults;
}
