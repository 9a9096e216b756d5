/**
 * Live queues on one gateway process. Every queue day watched here has one
 * subscription: one WatchQueue stream from the queue service, however many
 * screens and phones follow it, and the day's state kept up to date from it
 * (so a new client's snapshot costs no call at all). Each change is turned
 * into its SSE frame once per view and written to every client; the last
 * changes stay in a bounded ring so a client that reconnects with
 * Last-Event-ID resumes with no gap and no duplicate (further back, from the
 * queue service's change log; further still, a fresh snapshot).
 *
 * Clients are plain objects in sets, with one process-wide heartbeat timer:
 * an idle stream costs its socket and a few hundred bytes. A client that does
 * not read is dropped once its buffer passes the bound; it resumes with
 * Last-Event-ID. A subscription without clients lingers briefly (reconnects
 * are common), then closes its upstream stream.
 */
import type { ServerResponse } from 'node:http';
import { Counter, Gauge, runWithContext, type Logger, type Metrics } from '@hms/platform';
import type { Permission } from '@hms/proto';
import { Histogram } from 'prom-client';
import type { ClientReadableStream, ServiceError } from '@grpc/grpc-js';
import {
  fromTimestamp,
  type GetQueueResponse__Output,
  type QueueChange__Output,
  type WatchQueueResponse__Output,
} from '@hms/proto';
import type { Backends } from '../http/backends.js';
import { entryJson, eventIdOf, lineJson, pauseJson, type EntryJson, type View } from './queue-json.js';

/** What the hub's own upstream calls may do: follow queues (it serves clients whose access was checked). */
const LIVE_PERMISSIONS: Permission[] = ['queues.read'];

export interface HubOptions {
  backends: Pick<Backends, 'queue'>;
  logger: Logger;
  metrics: Metrics;
  heartbeatMs: number;
  /** Changes kept per queue for resuming clients. */
  replayBuffer: number;
  /** Bytes a client may leave unread before it is dropped. */
  clientBufferBytes: number;
  lingerMs: number;
  /** How long a first snapshot may take before the client gets a 503. */
  readyTimeoutMs: number;
}

export interface QueueDayKey {
  tenantId: string;
  doctorId: string;
  serviceDate: string;
}

/** Names a display shows: the clinic's and the doctor's. */
export interface Labels {
  clinicName: string;
  doctorName: string;
}

export interface LiveClient {
  res: ServerResponse;
  view: View;
  /** Seq of the last event this client has. */
  lastSeq: number;
  /** Frames that arrived while it was catching up from the log. */
  pending: Frame[] | undefined;
  /** Set for a display token's stream (re-checked at each heartbeat). */
  displayTokenId: string | undefined;
  /** Follows "today": closed when the doctor's day rolls over, to reconnect to the new one. */
  followsToday: boolean;
  /** Bytes of a catch-up burst still unread, allowed on top of the bound until the socket drains. */
  catchUpBytes?: number;
  onClose(): void;
}

interface Frame {
  seq: number;
  staff: Wire;
  display: Wire;
}

/**
 * An SSE frame already in HTTP/1.1 chunked framing (size line, frame, CRLF):
 * encoded once per change and view, then handed to each client's socket as
 * one buffer, instead of a string that each response would encode and frame
 * again in three writes. `text` is the frame alone, for a response that is
 * not chunked (an HTTP/1.0 client).
 */
export interface Wire {
  chunk: Buffer;
  text: Buffer;
}

export function wire(frame: string): Wire {
  const body = Buffer.from(frame);
  const chunk = Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, CRLF]);
  return { chunk, text: chunk.subarray(chunk.length - 2 - body.length, chunk.length - 2) };
}

const CRLF = Buffer.from('\r\n');
const HEARTBEAT = wire(': hb\n\n');

interface QueueState {
  doctorId: string;
  serviceDate: string;
  timeZone: string;
  seq: number;
  consultationSeconds: number;
  pause: ReturnType<typeof pauseJson>;
  entries: Map<string, { staff: EntryJson; display: EntryJson; calledAt: number }>;
  /** Entry ids in calling order. */
  line: string[];
}

export class Subscription {
  readonly clients = new Set<LiveClient>();
  state: QueueState | undefined;
  ring: Frame[] = [];
  upstream: ClientReadableStream<WatchQueueResponse__Output> | undefined;
  ready: Promise<void>;
  resolveReady!: () => void;
  rejectReady!: (error: unknown) => void;
  linger: NodeJS.Timeout | undefined;
  attempts = 0;
  closed = false;
  constructor(
    readonly id: string,
    readonly key: QueueDayKey,
    public labels: Labels,
  ) {
    this.ready = new Promise((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.ready.catch(() => undefined);
  }
  get seq(): number {
    return this.state?.seq ?? 0;
  }
}

export interface QueueHub {
  /** The subscription of a queue day (opened if needed), once its first snapshot is in. */
  subscribe(key: QueueDayKey, labels: Labels): Promise<Subscription>;
  /** Adds a client: snapshot, or the changes after `resumeFrom`, then live changes. */
  attach(sub: Subscription, client: LiveClient, resumeFrom: number | undefined): Promise<void>;
  detach(sub: Subscription, client: LiveClient): void;
  /** Clients open on this process. */
  readonly openStreams: number;
  readonly subscriptions: number;
  /** Every client, e.g. to re-check display tokens at heartbeat. */
  forEachClient(fn: (client: LiveClient, sub: Subscription) => void): void;
  /** Called at each heartbeat with the open clients (display-token checks, day roll-over). */
  onHeartbeat(fn: () => Promise<void> | void): void;
  close(): Promise<void>;
}

export function createQueueHub(options: HubOptions): QueueHub {
  const log = options.logger.child({ component: 'queue-hub' });
  const subs = new Map<string, Subscription>();
  const registers = [options.metrics.registry];
  const openGauge = new Gauge({
    name: 'hms_sse_open_streams',
    help: 'Live queue streams (SSE) open on this gateway, by view',
    labelNames: ['view'],
    registers,
  });
  const upstreamGauge = new Gauge({
    name: 'hms_sse_upstream_subscriptions',
    help: 'WatchQueue streams this gateway holds from the queue service (one per queue day watched)',
    registers,
  });
  const sent = new Counter({
    name: 'hms_sse_events_sent_total',
    help: 'Events written to live queue streams, by event (snapshot, change)',
    labelNames: ['event'],
    registers,
  });
  const dropped = new Counter({
    name: 'hms_sse_slow_client_drops_total',
    help: 'Live queue streams dropped because the client left more than the buffer bound unread',
    registers,
  });
  const resumes = new Counter({
    name: 'hms_sse_resumes_total',
    help: 'Streams opened with Last-Event-ID, by how they caught up (ring, log, snapshot, current)',
    labelNames: ['outcome'],
    registers,
  });
  const fanout = new Histogram({
    name: 'hms_sse_fanout_seconds',
    help: 'From a queue change committing to its frame written to every client of the queue on this gateway',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  });
  let open = 0;
  const heartbeatHooks: (() => Promise<void> | void)[] = [];

  /**
   * Writes to a client; a live write that leaves more than the bound unread
   * drops it. A catch-up (snapshot, replay) is exempt: it is a burst of known
   * size, and the bound is about a client that stopped reading.
   */
  function write(client: LiveClient, frame: string | Wire, live = true): void {
    const res = client.res;
    if (res.destroyed || res.writableEnded) return;
    // Headers are out and the body is chunked: a pre-framed frame goes straight to the socket.
    const socket = typeof frame !== 'string' && res.headersSent && res.chunkedEncoding ? res.socket : null;
    const flowing = socket
      ? socket.write((frame as Wire).chunk)
      : res.write(typeof frame === 'string' ? frame : frame.text);
    if (!live) {
      // A burst the client has yet to read must not count against it when the next live
      // frame or heartbeat comes before it has drained: the allowance ends at the drain.
      if (!flowing && client.catchUpBytes === undefined)
        (socket ?? res).once('drain', () => (client.catchUpBytes = undefined));
      if (!flowing) client.catchUpBytes = res.writableLength;
      return;
    }
    if (res.writableLength > options.clientBufferBytes + (client.catchUpBytes ?? 0)) {
      dropped.inc();
      log.debug({ buffered: res.writableLength }, 'dropping a client that does not read');
      res.destroy();
    }
  }

  function deliver(client: LiveClient, frame: Frame, live = true): void {
    if (frame.seq <= client.lastSeq) return;
    if (client.pending) {
      client.pending.push(frame);
      return;
    }
    client.lastSeq = frame.seq;
    write(client, client.view === 'display' ? frame.display : frame.staff, live);
  }

  function snapshotFrame(sub: Subscription, view: View): string {
    const s = sub.state!;
    const ordered = [...s.entries.entries()].sort(([idA, a], [idB, b]) => rankOf(s, idA, a) - rankOf(s, idB, b));
    const body = {
      doctorId: s.doctorId,
      serviceDate: s.serviceDate,
      timeZone: s.timeZone,
      seq: s.seq,
      consultationSeconds: s.consultationSeconds,
      pause: s.pause,
      ...(view === 'display' ? sub.labels : {}),
      entries: ordered.map(([, e]) => (view === 'display' ? e.display : e.staff)),
    };
    return `id: ${eventIdOf(s.serviceDate, s.seq)}\nevent: snapshot\ndata: ${JSON.stringify(body)}\n\n`;
  }

  function sendSnapshot(sub: Subscription, client: LiveClient): void {
    client.lastSeq = sub.seq;
    sent.inc({ event: 'snapshot' });
    write(client, snapshotFrame(sub, client.view), false);
  }

  function applySnapshot(sub: Subscription, q: GetQueueResponse__Output): void {
    const entries = new Map<string, { staff: EntryJson; display: EntryJson; calledAt: number }>();
    for (const e of q.entries) entries.set(e.id, entryState(e));
    sub.state = {
      doctorId: q.doctorId,
      serviceDate: q.serviceDate,
      timeZone: q.timeZone,
      seq: q.seq,
      consultationSeconds: q.consultationSeconds,
      pause: pauseJson(q.pause),
      entries,
      line: q.entries
        .filter((e) => e.position > 0)
        .sort((a, b) => a.position - b.position)
        .map((e) => e.id),
    };
  }

  function applyChange(sub: Subscription, c: QueueChange__Output): Frame {
    const s = sub.state!;
    for (const e of c.entries) s.entries.set(e.id, entryState(e));
    const line = lineJson(c);
    // Positions and estimates of everyone in line come with every change.
    const inLine = new Set(line.map((p) => p.entryId));
    for (const id of s.line) {
      if (inLine.has(id)) continue;
      const e = s.entries.get(id);
      if (e && e.staff.position > 0) {
        e.staff = { ...e.staff, position: 0, estimatedCallAt: null };
        e.display = { ...e.display, position: 0, estimatedCallAt: null };
      }
    }
    for (const p of line) {
      const e = s.entries.get(p.entryId);
      if (!e) continue;
      e.staff = { ...e.staff, position: p.position, estimatedCallAt: p.estimatedCallAt };
      e.display = { ...e.display, position: p.position, estimatedCallAt: p.estimatedCallAt };
    }
    s.line = line.map((p) => p.entryId);
    s.seq = c.seq;
    s.pause = pauseJson(c.pause);
    const at = fromTimestamp(c.at)?.toISOString() ?? null;
    const body = (view: View) =>
      JSON.stringify({
        seq: c.seq,
        type: c.type,
        at,
        entries: c.entries.map((e) => entryJson(e, view)),
        line,
        pause: s.pause,
      });
    const id = eventIdOf(s.serviceDate, c.seq);
    return {
      seq: c.seq,
      staff: wire(`id: ${id}\nevent: change\ndata: ${body('staff')}\n\n`),
      display: wire(`id: ${id}\nevent: change\ndata: ${body('display')}\n\n`),
    };
  }

  function connect(sub: Subscription): void {
    const { tenantId, doctorId, serviceDate } = sub.key;
    const afterSeq = sub.state ? sub.seq : 0;
    void runWithContext(
      { requestId: `live:${sub.id}`, tenantId, userId: 'gateway-live', roles: [], permissions: LIVE_PERMISSIONS },
      () =>
        options.backends.queue.openStream<WatchQueueResponse__Output>('WatchQueue', {
          doctorId,
          serviceDate,
          afterSeq,
        }),
    ).then(
      (stream) => {
        if (sub.closed) return stream.cancel();
        sub.upstream = stream;
        upstreamGauge.inc();
        let ended = false;
        const end = (error?: ServiceError) => {
          if (ended) return;
          ended = true;
          upstreamGauge.dec();
          sub.upstream = undefined;
          if (sub.closed) return;
          // Refused for good (a malformed day, not allowed): the waiting clients get the answer.
          if (error && !sub.state && [3, 5, 7, 16].includes(error.code)) {
            sub.rejectReady(error);
            close(sub);
            return;
          }
          reconnect(sub, error);
        };
        stream.on('data', (update: WatchQueueResponse__Output) => {
          sub.attempts = 0;
          if (update.snapshot) {
            const wasLive = sub.state !== undefined;
            applySnapshot(sub, update.snapshot);
            sub.ring = [];
            sub.resolveReady();
            // A snapshot after a gap the log could not fill: everyone starts again from it.
            if (wasLive) for (const client of sub.clients) if (client.lastSeq !== sub.seq) sendSnapshot(sub, client);
          } else if (update.change && sub.state) {
            if (update.change.seq <= sub.seq) return;
            const frame = applyChange(sub, update.change);
            sub.ring.push(frame);
            if (sub.ring.length > options.replayBuffer) sub.ring.shift();
            for (const client of sub.clients) deliver(client, frame);
            sent.inc({ event: 'change' }, sub.clients.size);
            const at = fromTimestamp(update.change.at);
            if (at && sub.clients.size > 0) fanout.observe(Math.max(0, (Date.now() - at.getTime()) / 1000));
          }
        });
        stream.on('error', (error: ServiceError) => end(error));
        stream.on('end', () => end());
      },
      (error: unknown) => reconnect(sub, error),
    );
  }

  function reconnect(sub: Subscription, error: unknown): void {
    if (sub.closed) return;
    sub.attempts += 1;
    const delay = Math.min(5_000, 100 * 2 ** Math.min(sub.attempts, 6)) * (0.5 + Math.random() / 2);
    if (sub.attempts === 1 || sub.attempts % 10 === 0) {
      log.warn({ err: error, queue: sub.id, attempt: sub.attempts }, 'queue watch ended; reconnecting');
    }
    setTimeout(() => {
      if (!sub.closed) connect(sub);
    }, delay).unref();
  }

  function close(sub: Subscription): void {
    if (sub.closed) return;
    sub.closed = true;
    if (sub.linger) clearTimeout(sub.linger);
    subs.delete(sub.id);
    sub.upstream?.cancel();
    for (const client of [...sub.clients]) client.res.destroy();
  }

  const heartbeat = setInterval(() => {
    for (const sub of subs.values()) for (const client of sub.clients) write(client, HEARTBEAT);
    for (const hook of heartbeatHooks) {
      Promise.resolve(hook()).catch((error: unknown) => log.warn({ err: error }, 'heartbeat check failed'));
    }
  }, options.heartbeatMs);
  heartbeat.unref();

  return {
    async subscribe(key, labels) {
      const id = `${key.tenantId}:${key.doctorId}:${key.serviceDate}`;
      let sub = subs.get(id);
      if (!sub) {
        sub = new Subscription(id, key, labels);
        subs.set(id, sub);
        connect(sub);
      }
      sub.labels = labels;
      if (sub.linger) {
        clearTimeout(sub.linger);
        sub.linger = undefined;
      }
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new LiveUnavailableError()), options.readyTimeoutMs);
      });
      try {
        await Promise.race([sub.ready, timeout]);
      } catch (error) {
        if (sub.clients.size === 0 && !sub.state) close(sub);
        throw error;
      } finally {
        clearTimeout(timer);
      }
      return sub;
    },

    async attach(sub, client, resumeFrom) {
      sub.clients.add(client);
      open += 1;
      openGauge.inc({ view: client.view });
      if (resumeFrom === undefined || resumeFrom > sub.seq) {
        if (resumeFrom !== undefined) resumes.inc({ outcome: 'snapshot' });
        sendSnapshot(sub, client);
        return;
      }
      client.lastSeq = resumeFrom;
      if (resumeFrom === sub.seq) {
        resumes.inc({ outcome: 'current' });
        return;
      }
      const first = sub.ring[0];
      if (first && first.seq <= resumeFrom + 1) {
        resumes.inc({ outcome: 'ring' });
        for (const frame of sub.ring) deliver(client, frame, false);
        return;
      }
      // Further back than this gateway remembers: the queue service's log, while live frames wait.
      client.pending = [];
      try {
        const { tenantId, doctorId, serviceDate } = sub.key;
        const older = await runWithContext(
          { requestId: `live:${sub.id}`, tenantId, userId: 'gateway-live', roles: [], permissions: LIVE_PERMISSIONS },
          () => options.backends.queue.call.listQueueChanges({ doctorId, serviceDate, afterSeq: resumeFrom }),
        );
        const pending = client.pending;
        client.pending = undefined;
        if (!older.complete) {
          resumes.inc({ outcome: 'snapshot' });
          sendSnapshot(sub, client);
          return;
        }
        resumes.inc({ outcome: 'log' });
        for (const change of older.changes) {
          if (change.seq > sub.seq) break;
          deliver(client, replayFrame(sub, change), false);
        }
        // What arrived meanwhile, then what the ring holds beyond the log's answer.
        for (const frame of [...sub.ring, ...pending]) deliver(client, frame, false);
      } catch (error) {
        client.pending = undefined;
        log.warn({ err: error }, 'reading older changes failed; sending a snapshot');
        sendSnapshot(sub, client);
      }
    },

    detach(sub, client) {
      if (!sub.clients.delete(client)) return;
      open -= 1;
      openGauge.dec({ view: client.view });
      if (sub.clients.size === 0 && !sub.closed) {
        sub.linger = setTimeout(() => close(sub), options.lingerMs);
        sub.linger.unref();
      }
    },

    get openStreams() {
      return open;
    },
    get subscriptions() {
      return subs.size;
    },
    forEachClient(fn) {
      for (const sub of subs.values()) for (const client of sub.clients) fn(client, sub);
    },
    onHeartbeat(fn) {
      heartbeatHooks.push(fn);
    },
    async close() {
      clearInterval(heartbeat);
      for (const sub of [...subs.values()]) close(sub);
    },
  };
}

/** The frame of a change read from the queue service's log (not applied: the state is already past it). */
function replayFrame(sub: Subscription, c: QueueChange__Output): Frame {
  const line = lineJson(c);
  const at = fromTimestamp(c.at)?.toISOString() ?? null;
  const pause = pauseJson(c.pause);
  const body = (view: View) =>
    JSON.stringify({ seq: c.seq, type: c.type, at, entries: c.entries.map((e) => entryJson(e, view)), line, pause });
  const id = eventIdOf(sub.key.serviceDate, c.seq);
  return {
    seq: c.seq,
    staff: wire(`id: ${id}\nevent: change\ndata: ${body('staff')}\n\n`),
    display: wire(`id: ${id}\nevent: change\ndata: ${body('display')}\n\n`),
  };
}

function entryState(e: Parameters<typeof entryJson>[0]) {
  return {
    staff: entryJson(e, 'staff'),
    display: entryJson(e, 'display'),
    calledAt: fromTimestamp(e.calledAt)?.getTime() ?? 0,
  };
}

const SERVING = new Set(['called', 'in_consultation']);

/** Serving first (earliest call first), then the line, then the rest by token. */
function rankOf(s: QueueState, id: string, e: { staff: EntryJson; calledAt: number }): number {
  if (SERVING.has(e.staff.status)) return e.calledAt / 1e13;
  const place = s.line.indexOf(id);
  if (place >= 0) return 1 + place;
  return 1e6 + e.staff.tokenNumber;
}

/** The queue service did not answer with the queue in time. */
export class LiveUnavailableError extends Error {
  override readonly name = 'LiveUnavailableError';
}
