/**
 * WatchQueue: the queue day's state, then its changes as they commit, for as
 * long as the caller listens. Subscribed before the first read, so a change
 * committed meanwhile wakes the loop instead of being missed. A change that
 * came with its announcement and follows the last seq sent is sent as it is;
 * any other wake-up (a gap, an announcement without the change, a reconnect)
 * reads the log after the last seq sent, so nothing is sent twice or skipped.
 * When the log no longer reaches back (the caller's after_seq, or a reader
 * that fell far behind), a fresh snapshot takes the place of the changes.
 */
import type { ServerStream } from '@hms/platform';
import type { WatchQueueResponse } from '@hms/proto';
import { changesAfter, getQueue } from '../domain/get-queue.js';
import type { QueueStore } from '../domain/queue-store.js';
import type { QueueChange } from '../domain/types.js';
import type { ChangeFeed } from '../live/change-feed.js';
import { changeMessage, queueMessage } from './queue.messages.js';

/** Announced changes kept while the stream is busy; past this the log is read instead. */
const MAX_ARRIVED = 1_000;

export async function watchQueue(
  deps: { store: QueueStore; now: () => Date; feed: ChangeFeed },
  watch: { tenantId: string; doctorId: string; serviceDate: string; afterSeq: number },
  stream: ServerStream<WatchQueueResponse>,
): Promise<void> {
  // Set when the log must be read; changes that came with their announcements wait in `arrived`.
  let woken = true;
  const arrived: QueueChange[] = [];
  let wake: () => void = () => undefined;
  const unsubscribe = deps.feed.subscribe(`${watch.tenantId}:${watch.doctorId}:${watch.serviceDate}`, (change) => {
    if (change && arrived.length < MAX_ARRIVED) arrived.push(change);
    else woken = true;
    wake();
  });
  const { signal } = stream;
  try {
    let last = -1;
    const snapshot = async () => {
      const queue = await getQueue(deps, watch);
      last = queue.seq;
      return stream.write({ snapshot: queueMessage(queue) });
    };
    if (watch.afterSeq === 0) await snapshot();
    else last = watch.afterSeq;
    while (!signal.aborted) {
      let open = true;
      // Announced changes that follow on from the last one sent need no read.
      while (!woken && open && arrived.length > 0) {
        const change = arrived.shift()!;
        if (change.seq <= last) continue;
        if (change.seq !== last + 1) woken = true;
        else {
          open = stream.write({ change: changeMessage(change) });
          last = change.seq;
          deps.feed.sent('announcement');
        }
      }
      if (!open) {
        await stream.drained();
        continue;
      }
      if (!woken) {
        // One abort listener per wait, removed when a change wakes it: a stream lives for
        // hours and waits once per change, so listeners left behind would pile up.
        await new Promise<void>((resolve) => {
          const aborted = () => resolve();
          wake = () => {
            signal.removeEventListener('abort', aborted);
            resolve();
          };
          signal.addEventListener('abort', aborted, { once: true });
        });
        continue;
      }
      woken = false;
      const { changes, complete } = await changesAfter(deps, { ...watch, afterSeq: last });
      if (!complete) open = await snapshot();
      else {
        for (const change of changes) {
          open = stream.write({ change: changeMessage(change) });
          last = change.seq;
        }
        if (changes.length > 0) deps.feed.sent('log', changes.length);
      }
      if (!open) await stream.drained();
    }
  } finally {
    unsubscribe();
  }
}
