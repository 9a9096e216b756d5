/**
 * WatchQueue: the queue day's state, then its changes as they commit, for as
 * long as the caller listens. Subscribed before the first read, so a change
 * committed meanwhile wakes the loop instead of being missed; every wake-up
 * reads the log after the last seq sent, so nothing is sent twice or skipped.
 * When the log no longer reaches back (the caller's after_seq, or a reader
 * that fell far behind), a fresh snapshot takes the place of the changes.
 */
import type { ServerStream } from '@hms/platform';
import type { WatchQueueResponse } from '@hms/proto';
import { changesAfter, getQueue } from '../domain/get-queue.js';
import type { QueueStore } from '../domain/queue-store.js';
import type { ChangeFeed } from '../live/change-feed.js';
import { changeMessage, queueMessage } from './queue.messages.js';

export async function watchQueue(
  deps: { store: QueueStore; now: () => Date; feed: ChangeFeed },
  watch: { tenantId: string; doctorId: string; serviceDate: string; afterSeq: number },
  stream: ServerStream<WatchQueueResponse>,
): Promise<void> {
  let woken = true;
  let wake: () => void = () => undefined;
  const unsubscribe = deps.feed.subscribe(`${watch.tenantId}:${watch.doctorId}:${watch.serviceDate}`, () => {
    woken = true;
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
      let open = true;
      if (!complete) open = await snapshot();
      else {
        for (const change of changes) {
          open = stream.write({ change: changeMessage(change) });
          last = change.seq;
        }
      }
      if (!open) await stream.drained();
    }
  } finally {
    unsubscribe();
  }
}
