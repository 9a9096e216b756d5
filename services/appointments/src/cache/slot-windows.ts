/**
 * Tells the gateways that a doctor's slots changed, so the windows they keep
 * (GET /doctors/{id}/slots) are read anew: one message on the platform's cache
 * invalidation channel per doctor, published once the change has committed and
 * before the caller is answered, so no gateway serves the old window after the
 * client has its answer.
 *
 * Redis away: the gateways hear nothing either, stop trusting their windows and
 * empty them once their subscription is back; the doctors not told are kept
 * here and told again every second until Redis takes them (against an outage of
 * this process's connection alone). A message lost all the same (this process
 * ended first) costs at most the gateways' TTL of a stale window.
 */
import { publishCacheInvalidation, type Logger, type Redis, type Registry } from '@hms/platform';
import { SLOT_WINDOWS_CACHE } from '@hms/proto';
import { Counter } from 'prom-client';

export interface SlotWindowsNotifier {
  changed(tenantId: string, doctorIds: string[]): Promise<void>;
  /** Stops the retries (what is still untold is dropped: the gateways' TTL bounds it). */
  close(): void;
}

const RETRY_MS = 1_000;
/** Doctors kept for a retry at most; beyond it the gateways' TTL has to do. */
const MAX_UNTOLD = 10_000;

export function createSlotWindowsNotifier(options: {
  redis: Redis;
  logger: Logger;
  registry: Registry;
}): SlotWindowsNotifier {
  const { redis, logger } = options;
  const published = new Counter({
    name: 'hms_slot_windows_invalidations_total',
    help: "Doctors whose slots changed, told to the gateways' window caches, by result (sent, failed)",
    labelNames: ['result'],
    registers: [options.registry],
  });
  const untold = new Set<string>();
  let timer: NodeJS.Timeout | undefined;

  const publish = async (key: string): Promise<boolean> => {
    try {
      await publishCacheInvalidation(redis, SLOT_WINDOWS_CACHE.name, key);
      published.inc({ result: 'sent' });
      return true;
    } catch {
      published.inc({ result: 'failed' });
      if (untold.size < MAX_UNTOLD) untold.add(key);
      return false;
    }
  };
  const retry = () => {
    timer = undefined;
    const keys = [...untold];
    untold.clear();
    void Promise.all(keys.map(publish)).then((results) => {
      const failed = results.filter((ok) => !ok).length;
      if (failed === 0) logger.info({ doctors: keys.length }, 'slot window invalidations delivered after a retry');
      schedule();
    });
  };
  const schedule = () => {
    if (untold.size > 0 && !timer) timer = setTimeout(retry, RETRY_MS).unref();
  };

  return {
    async changed(tenantId, doctorIds) {
      const results = await Promise.all(doctorIds.map((id) => publish(SLOT_WINDOWS_CACHE.key(tenantId, id))));
      if (results.some((ok) => !ok)) {
        logger.warn({ doctors: doctorIds.length }, 'slot window invalidation not published; retrying every second');
        schedule();
      }
    },
    close() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      untold.clear();
    },
  };
}
