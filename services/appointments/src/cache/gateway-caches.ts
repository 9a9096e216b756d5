/**
 * Tells the gateways what changed in the data they keep of this service: a
 * doctor's slots (the windows of GET /doctors/{id}/slots are read anew) and the
 * doctor (their copy, in Redis and in every replica, is dropped with the new
 * version). Both go through the platform's cache invalidation channel, once
 * the change has committed and before the caller is answered, so no gateway
 * serves the old value after the client has its answer.
 *
 * Redis away: the gateways hear nothing either, stop trusting their copies and
 * empty them once their subscription is back; what was not told is kept here
 * and told again every second until Redis takes it (against an outage of this
 * process's connection alone). A doctor's change is told once more when the
 * service's own consumer reads its doctor.updated, so only a change whose
 * event and first telling were both lost (this process ended before either
 * was sent, and no other replica has read the event) waits for the gateways'
 * TTL.
 */
import { invalidateCacheKey, publishCacheInvalidation, type Logger, type Redis, type Registry } from '@hms/platform';
import { GATEWAY_DOCTORS_CACHE, SLOT_WINDOWS_CACHE } from '@hms/proto';
import { Counter } from 'prom-client';

export interface GatewayCaches {
  /** The doctors' slots changed: their windows are read anew. */
  slotsChanged(tenantId: string, doctorIds: string[]): Promise<void>;
  /** The doctor changed (now at `version`): every gateway drops its copy. */
  doctorChanged(tenantId: string, doctorId: string, version?: number): Promise<void>;
  /** Stops the retries (what is still untold is dropped: the gateways' TTL bounds it). */
  close(): void;
}

const RETRY_MS = 1_000;
/** Messages kept for a retry at most; beyond it the gateways' TTL has to do. */
const MAX_UNTOLD = 10_000;

interface Message {
  cache: string;
  key: string;
  version: number | undefined;
  /** The cache keeps entries in Redis too (a read-through cache): dropped there as well. */
  shared: boolean;
}

export function createGatewayCaches(options: { redis: Redis; logger: Logger; registry: Registry }): GatewayCaches {
  const { redis, logger } = options;
  const told = new Counter({
    name: 'hms_gateway_cache_invalidations_total',
    help: "Invalidations sent to the gateways' caches of appointments' data, by cache and result (sent, failed)",
    labelNames: ['cache', 'result'],
    registers: [options.registry],
  });
  const untold = new Map<string, Message>();
  let timer: NodeJS.Timeout | undefined;

  const send = async (message: Message): Promise<boolean> => {
    try {
      if (message.shared) {
        await invalidateCacheKey(redis, message.cache, message.key, { version: message.version, publish: true });
      } else {
        await publishCacheInvalidation(redis, message.cache, message.key, message.version);
      }
      told.inc({ cache: message.cache, result: 'sent' });
      return true;
    } catch {
      told.inc({ cache: message.cache, result: 'failed' });
      const id = `${message.cache}\n${message.key}`;
      const kept = untold.get(id);
      // One retry per key carries the newest version asked for.
      if (kept || untold.size < MAX_UNTOLD) {
        untold.set(id, { ...message, version: newest(kept?.version, message.version) });
      }
      return false;
    }
  };
  const retry = () => {
    timer = undefined;
    const messages = [...untold.values()];
    untold.clear();
    void Promise.all(messages.map(send)).then((results) => {
      if (results.every(Boolean))
        logger.info({ messages: messages.length }, 'gateway cache invalidations delivered after a retry');
      schedule();
    });
  };
  const schedule = () => {
    if (untold.size > 0 && !timer) timer = setTimeout(retry, RETRY_MS).unref();
  };
  const tell = async (messages: Message[]) => {
    const results = await Promise.all(messages.map(send));
    if (results.some((ok) => !ok)) {
      logger.warn({ messages: messages.length }, 'gateway cache invalidation not published; retrying every second');
      schedule();
    }
  };

  return {
    slotsChanged: (tenantId, doctorIds) =>
      tell(
        doctorIds.map((id) => ({
          cache: SLOT_WINDOWS_CACHE.name,
          key: SLOT_WINDOWS_CACHE.key(tenantId, id),
          version: undefined,
          shared: false,
        })),
      ),
    doctorChanged: (tenantId, doctorId, version) =>
      tell([
        {
          cache: GATEWAY_DOCTORS_CACHE.name,
          key: GATEWAY_DOCTORS_CACHE.key(tenantId, doctorId),
          version,
          shared: true,
        },
      ]),
    close() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      untold.clear();
    },
  };
}

function newest(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.max(a, b);
}
