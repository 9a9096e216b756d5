import type { Timestamp, Timestamp__Output } from './generated/google/protobuf/Timestamp.js';

/** A Date as google.protobuf.Timestamp (always UTC by definition). */
export function toTimestamp(date: Date): Timestamp__Output {
  const ms = date.getTime();
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: (ms - seconds * 1000) * 1_000_000 };
}

/** A google.protobuf.Timestamp as a Date, or undefined when absent. */
export function fromTimestamp(ts: Timestamp | Timestamp__Output | null | undefined): Date | undefined {
  if (!ts) return undefined;
  const seconds = Number(ts.seconds ?? 0);
  const nanos = ts.nanos ?? 0;
  return new Date(seconds * 1000 + Math.floor(nanos / 1_000_000));
}
