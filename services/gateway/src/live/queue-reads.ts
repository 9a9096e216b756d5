/**
 * GET /queues/{doctorId} answered from a cache that can never be stale: the
 * queue's JSON (and its gzip, made on first demand) is kept per tenant, doctor
 * and requested day with the day and seq it was read at, and every read asks
 * the queue service whether that is still the last change (a conditional
 * GetQueue: one row read there). Only when it is not does the queue service
 * read the whole day. The seq is the version, as in the live stream's event
 * ids, so a read after a call-next through any gateway sees the call-next.
 *
 * Estimated call times move with the clock, not only with changes: a cached
 * answer is used for at most `maxAgeMs`, then read afresh.
 */
import { gzipSync } from 'node:zlib';
import { Counter, type Metrics } from '@hms/platform';
import type { GetQueueResponse__Output } from '@hms/proto';
import { LRUCache } from 'lru-cache';
import type { Backends } from '../http/backends.js';
import { queueJson } from '../http/json.js';
import { eventIdOf } from './queue-json.js';

export interface QueueReadOptions {
  backends: Pick<Backends, 'queue'>;
  metrics: Metrics;
  /** How long a cached answer's estimates may be used. */
  maxAgeMs: number;
  /** Bytes of JSON (and gzip) kept at most. */
  maxBytes: number;
}

/** A queue day's answer: its version and its body, serialized once. */
export interface QueueBody {
  key: string;
  serviceDate: string;
  seq: number;
  /** Weak: the estimates in the body may be refreshed while the seq stays. */
  etag: string;
  json: Buffer;
  /** Made when a client first accepts it. */
  gzip?: Buffer;
  readAt: number;
}

export type QueueReadResult = { notModified: true; etag: string } | { notModified: false; body: QueueBody };

export interface QueueReads {
  /**
   * The queue of `doctorId` in the current tenant on `serviceDate` (today in
   * the doctor's time zone when undefined); `notModified` when `ifNoneMatch`
   * names the current version.
   */
  read(
    tenantId: string,
    doctorId: string,
    serviceDate: string | undefined,
    ifNoneMatch: string | undefined,
  ): Promise<QueueReadResult>;
  /** The body's gzip, made once per version. */
  gzipOf(body: QueueBody): Buffer;
}

export const etagOf = (serviceDate: string, seq: number) => `W/"${eventIdOf(serviceDate, seq)}"`;

/** The version an If-None-Match names, if it is one of ours (the first of a list; `*` is not a version). */
export function versionOf(ifNoneMatch: string | undefined): { serviceDate: string; seq: number } | undefined {
  const m = /(?:W\/)?"(\d{4})(\d{2})(\d{2})(\d{7})"/.exec(ifNoneMatch ?? '');
  if (!m) return undefined;
  return { serviceDate: `${m[1]}-${m[2]}-${m[3]}`, seq: Number(m[4]) };
}

export function createQueueReads(options: QueueReadOptions): QueueReads {
  const cache = new LRUCache<string, QueueBody>({
    maxSize: options.maxBytes,
    sizeCalculation: (b) => b.json.length + (b.gzip?.length ?? 0) + 200,
  });
  const reads = new Counter({
    name: 'hms_queue_reads_total',
    help: 'GET /queues/{doctorId} by how it was answered: cached (version still current), read (the whole day read), not_modified (304)',
    labelNames: ['outcome'],
    registers: [options.metrics.registry],
  });

  return {
    async read(tenantId, doctorId, serviceDate, ifNoneMatch) {
      const key = `${tenantId}:${doctorId}:${serviceDate ?? ''}`;
      const now = Date.now();
      const cached = cache.get(key);
      const usable = cached && now - cached.readAt < options.maxAgeMs ? cached : undefined;
      const client = versionOf(ifNoneMatch);
      // Ask about the version that saves the most: ours (then any client gets it without a
      // read), else the client's (then a 304 needs no read either).
      const known = usable ?? client;
      const answer = (await options.backends.queue.call.getQueue({
        doctorId,
        serviceDate: serviceDate ?? '',
        knownServiceDate: known?.serviceDate ?? '',
        knownSeq: known?.seq ?? 0,
      })) as GetQueueResponse__Output;
      const current = { serviceDate: answer.serviceDate, seq: answer.seq };
      const etag = etagOf(current.serviceDate, current.seq);
      const clientHasIt = client?.serviceDate === current.serviceDate && client.seq === current.seq;
      if (answer.notModified) {
        // Current is the version asked about: ours when we hold one, else the client's.
        if (clientHasIt || !usable) {
          reads.inc({ outcome: 'not_modified' });
          return { notModified: true, etag };
        }
        reads.inc({ outcome: 'cached' });
        return { notModified: false, body: usable };
      }
      const body: QueueBody = {
        key,
        ...current,
        etag,
        json: Buffer.from(JSON.stringify(queueJson(answer))),
        readAt: now,
      };
      cache.set(key, body);
      if (clientHasIt) {
        reads.inc({ outcome: 'not_modified' });
        return { notModified: true, etag };
      }
      reads.inc({ outcome: 'read' });
      return { notModified: false, body };
    },

    gzipOf(body) {
      if (!body.gzip) {
        body.gzip = gzipSync(body.json);
        // Counted in the cache's bound from now on.
        if (cache.peek(body.key) === body) cache.set(body.key, body);
      }
      return body.gzip;
    },
  };
}
