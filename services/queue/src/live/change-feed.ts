/**
 * Who is watching which queue day in this process, woken when a change of
 * that day commits (in any replica: PostgreSQL's NOTIFY reaches them all).
 * A wake-up only says "read the log": watchers catch up from the day's change
 * log by seq, so a lost or coalesced notification loses nothing, and after
 * the LISTEN connection comes back every watcher is woken to catch up.
 */
import { createPgListener, Gauge, type Logger, type Metrics } from '@hms/platform';
import { CHANGES_CHANNEL } from '../db/queue.repository.js';

export interface ChangeFeed {
  /** Calls `wake` after each committed change of the day `key` (tenant:doctor:day); returns the unsubscribe. */
  subscribe(key: string, wake: () => void): () => void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createChangeFeed(options: { connectionString: string; logger: Logger; metrics: Metrics }): ChangeFeed {
  const watchers = new Map<string, Set<() => void>>();
  const gauge = new Gauge({
    name: 'hms_queue_watch_streams',
    help: 'WatchQueue streams open on this queue service process',
    registers: [options.metrics.registry],
  });
  const wakeAll = (set: Set<() => void> | undefined) => {
    for (const wake of set ?? []) wake();
  };
  const listener = createPgListener({
    connectionString: options.connectionString,
    channel: CHANGES_CHANNEL,
    applicationName: 'queue-change-feed',
    logger: options.logger,
    onNotify(payload) {
      // tenant:doctor:day:seq
      const key = payload.slice(0, payload.lastIndexOf(':'));
      wakeAll(watchers.get(key));
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
    start: () => listener.start(),
    stop: () => listener.stop(),
  };
}
