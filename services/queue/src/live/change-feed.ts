/**
 * Who is watching which queue day in this process, woken when a change of
 * that day commits (in any replica: PostgreSQL's NOTIFY reaches them all).
 * A wake-up carries the change when its announcement did (parsed once for all
 * of the day's watchers): a watcher that has sent every change before it sends
 * it on without reading. Otherwise it says "read the log": watchers catch up
 * from the day's change log by seq, so a lost, coalesced or too large
 * notification loses nothing, and after the LISTEN connection comes back every
 * watcher is woken to catch up.
 */
import { Counter, createPgListener, Gauge, type Logger, type Metrics } from '@hms/platform';
import { CHANGES_CHANNEL, changeOfNotice, splitChangeNotice } from '../db/queue.repository.js';
import type { QueueChange } from '../domain/types.js';

/** Woken with the committed change, or with nothing: then the log must be read. */
export type Wake = (change?: QueueChange) => void;

export interface ChangeFeed {
  /** Calls `wake` after each committed change of the day `key` (tenant:doctor:day); returns the unsubscribe. */
  subscribe(key: string, wake: Wake): () => void;
  /** Counts changes a stream sent, by where it had them from. */
  sent(source: 'announcement' | 'log', count?: number): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createChangeFeed(options: { connectionString: string; logger: Logger; metrics: Metrics }): ChangeFeed {
  const watchers = new Map<string, Set<Wake>>();
  const gauge = new Gauge({
    name: 'hms_queue_watch_streams',
    help: 'WatchQueue streams open on this queue service process',
    registers: [options.metrics.registry],
  });
  const changes = new Counter({
    name: 'hms_queue_watch_changes_total',
    help: 'Changes WatchQueue streams sent, by source: announcement (carried by NOTIFY, no read) or log (read from queue_changes: a gap, a change too large to announce, a resume)',
    labelNames: ['source'],
    registers: [options.metrics.registry],
  });
  const wakeAll = (set: Set<Wake> | undefined, change?: QueueChange) => {
    for (const wake of set ?? []) wake(change);
  };
  const listener = createPgListener({
    connectionString: options.connectionString,
    channel: CHANGES_CHANNEL,
    applicationName: 'queue-change-feed',
    logger: options.logger,
    onNotify(payload) {
      // The change is parsed only when someone here watches its day, once for all of them.
      const { key, body } = splitChangeNotice(payload);
      const set = watchers.get(key);
      if (!set) return;
      let change: QueueChange | undefined;
      try {
        if (body !== undefined) change = changeOfNotice(body);
      } catch (error) {
        options.logger.warn({ err: error }, 'a queue change announcement could not be read; its watchers read the log');
      }
      wakeAll(set, change);
    },
    onReconnect() {
      for (const set of watchers.values()) wakeAll(set);
    },
  });
  return {
    subscribe(key, wake) {
      let set = watchers.get(key);
      if (!set) watchers.set(key, (set = new Set()));
      set.add(wake);
      gauge.inc();
      return () => {
        if (!set.delete(wake)) return;
        gauge.dec();
        if (set.size === 0) watchers.delete(key);
      };
    },
    sent: (source, count = 1) => changes.inc({ source }, count),
    start: () => listener.start(),
    stop: () => listener.stop(),
  };
}
