/**
 * The idempotent event consumer. For each event: decode the envelope, find the
 * handler for its type, and in ONE database transaction record the event as
 * processed and apply the handler's effect; a redelivered event finds its
 * record and changes nothing. Passing faults (database or broker away, a
 * transaction or pool that timed out under load) are retried without limit,
 * holding the partition so order is kept; an event that fails for good is
 * retried a bounded number of times and then parked on the group's dead-letter
 * topic with the reason, and consumption goes on.
 *
 * Besides its domain topics the group reads its own retry topic, where
 * `scripts/hms dlq replay` re-delivers its dead letters after a fix: only the
 * group that failed an event sees it again, and the processed-event record
 * makes a replay of an event already applied change nothing.
 */
import { decodeEnvelope, decodeEventData, type DecodedEvent, type Envelope, type EventDefinition } from '@hms/proto';
import type { Admin, Consumer, EachMessagePayload, IHeaders, Kafka, Producer } from 'kafkajs';
import { runWithContext } from '../context.js';
import { GENERIC_PLANS, type Database, type Transaction } from '../db/database.js';
import { messagingSchemaOf, quoteIdent } from '../db/sql.js';
import { DomainError } from '../errors.js';
import { normalizeUuid } from '../ids.js';
import type { Logger } from '../logger.js';
import { secondsSince, type Metrics } from '../metrics.js';
import type { HealthCheck } from '../ops-server.js';
import { trace } from '@opentelemetry/api';
import { contextFromCarrier, recordGetter, SpanKind, withSpan } from '../tracing.js';
import { backoffDelay, isTransientError, sleep } from '../transient.js';
import { consumerGroupTopicSpecs, deadLetterTopic, ensureTopics, replayGroupId, retryTopic } from './kafka.js';
import { describeRetention, redeliveryHorizonMs, RETENTION } from './retention.js';
import { CE, LEGACY_CE } from './cloud-events.js';

/**
 * Applies one event inside the consumer's transaction (scoped to the event's
 * tenant); `envelope` is the event as received, payload still encoded. Its
 * tenant and event ids are already validated and in canonical (lower-case) form.
 */
export type EventHandler<D extends EventDefinition> = (
  event: DecodedEvent<D>,
  tx: Transaction,
  envelope: Envelope,
) => Promise<void>;

/** Thrown by a handler for an event that can never succeed: dead-lettered at once. */
export class PoisonEventError extends Error {
  override readonly name = 'PoisonEventError';
}

/** A UUID field of an event's payload in canonical form; an event without a valid one is poison. */
export function eventUuid(field: string, value: string): string {
  const id = normalizeUuid(value);
  if (!id) throw new PoisonEventError(`${field} ${JSON.stringify(value)} is not a UUID`);
  return id;
}

/**
 * A use case's refusal that no retry can change (the event asks for something
 * invalid or impossible): dead-lettered at once with the reason. A deadline or
 * an outage is not one of them.
 */
function isPermanentRefusal(error: unknown): error is DomainError {
  return error instanceof DomainError && error.kind !== 'deadline-exceeded' && error.kind !== 'unavailable';
}

export interface EventConsumerOptions {
  kafka: Kafka;
  /** Producer for the dead-letter topic. */
  producer: Producer;
  /** For lag and health. */
  admin: Admin;
  groupId: string;
  /** The service schema; processed events are recorded in `<schema>_messaging`. */
  schema: string;
  database: Database;
  logger: Logger;
  metrics: Metrics;
  /** Attempts at an event failing for good before it is dead-lettered. */
  maxAttempts: number;
  /** Where a new group starts; HMS consumers want the whole history. */
  fromBeginning?: boolean;
  lagIntervalMs?: number;
  /**
   * Most events applied in one database transaction (per tenant) when a fetch
   * brings several: the transaction's fixed costs are paid once per chunk, not
   * per event. 1 applies each event in a transaction of its own.
   */
  batchSize?: number;
}

/**
 * Applies several events of one tenant at once, in the order they came,
 * inside the consumer's transaction: for handlers whose work is cheaper in
 * bulk (one lock, one multi-row insert). Envelopes as received, payloads still
 * encoded; each called with one event on the careful path.
 */
export type BatchEventHandler = (envelopes: Envelope[], tx: Transaction) => Promise<void>;

export interface EventConsumer {
  readonly groupId: string;
  on<D extends EventDefinition>(def: D, handler: EventHandler<D>): EventConsumer;
  /** One handler for all of these event types, given each chunk's run of such events at once. */
  onBatch(defs: readonly EventDefinition[], handler: BatchEventHandler): EventConsumer;
  start(): Promise<void>;
  /** Finishes the event in hand, commits offsets and leaves the group. */
  stop(): Promise<void>;
  healthCheck(): HealthCheck;
}

type Outcome = 'processed' | 'duplicate' | 'ignored' | 'dead_lettered';

type Entry =
  | { def: EventDefinition; handler: EventHandler<EventDefinition>; batch?: undefined }
  | { def: EventDefinition; batch: BatchEventHandler; handler?: undefined };

export function createEventConsumer(options: EventConsumerOptions): EventConsumer {
  const handlers = new Map<string, Entry>();
  const processedTable = `${quoteIdent(messagingSchemaOf(options.schema))}.processed_event`;
  const log = options.logger.child({ component: 'event-consumer', groupId: options.groupId });
  const stopping = new AbortController();
  let consumer: Consumer | undefined;
  let joined = false;
  let lagTimer: NodeJS.Timeout | undefined;
  let restartTimer: NodeJS.Timeout | undefined;
  let restarts = 0;

  // Registered once per process in createMetrics: a service may run several groups.
  const {
    kafkaConsumerLag: lag,
    kafkaConsumerStalled: stalled,
    kafkaDeadLettersPending: pendingDeadLetters,
  } = options.metrics;
  // Per partition: the committed offset last seen and since when it has not moved.
  const progress = new Map<string, { offset: number; since: number }>();

  /** The domain topics of the handlers, and the group's own retry topic. */
  function topics(): string[] {
    return [...new Set([...handlers.values()].map((h) => h.def.topic)), retryTopic(options.groupId)];
  }

  /** Records the events as processed in `tx`; returns the ids that were not processed before. */
  async function claim(tx: Transaction, envelopes: Envelope[]): Promise<Set<string>> {
    const inserted = await tx.query<{ event_id: string }>(
      `INSERT INTO ${processedTable} (consumer, event_id, event_type)
       SELECT $1, e.id, e.type FROM unnest($2::uuid[], $3::text[]) AS e(id, type)
       ON CONFLICT DO NOTHING RETURNING event_id::text`,
      [options.groupId, envelopes.map((e) => e.id), envelopes.map((e) => e.type)],
    );
    return new Set(inserted.map((r) => r.event_id));
  }

  /** Decodes the payload and runs the handler in `tx`, in the event's trace and request context. */
  async function apply(tx: Transaction, envelope: Envelope, entry: Entry, topic: string): Promise<void> {
    if (entry.batch) return applyBatch(tx, [envelope], entry.batch, topic);
    let data: unknown;
    try {
      data = decodeEventData(entry.def, envelope);
    } catch (error) {
      throw new PoisonEventError(`payload does not decode: ${(error as Error).message}`);
    }
    const parent = contextFromCarrier({ traceparent: envelope.traceparent }, recordGetter);
    await withSpan(
      `${topic} process ${envelope.type}`,
      {
        kind: SpanKind.CONSUMER,
        parent,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.destination.name': topic,
          'messaging.message.id': envelope.id,
          'messaging.consumer.group.name': options.groupId,
        },
      },
      () =>
        runWithContext({ requestId: envelope.id, tenantId: envelope.tenantId }, () =>
          entry.handler({ ...envelope, data } as DecodedEvent<EventDefinition>, tx, envelope),
        ),
    );
  }

  /** A run of events for a batch handler: one span for the run, linked to each event's trace. */
  async function applyBatch(tx: Transaction, envelopes: Envelope[], batch: BatchEventHandler, topic: string) {
    const first = envelopes[0]!;
    const links = envelopes.flatMap((e) => {
      const spanContext = trace.getSpanContext(contextFromCarrier({ traceparent: e.traceparent }, recordGetter));
      return spanContext ? [{ context: spanContext }] : [];
    });
    await withSpan(
      `${topic} process ${envelopes.length === 1 ? first.type : `${envelopes.length} events`}`,
      {
        kind: SpanKind.CONSUMER,
        parent: contextFromCarrier({ traceparent: first.traceparent }, recordGetter),
        links,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.destination.name': topic,
          'messaging.batch.message_count': envelopes.length,
          'messaging.consumer.group.name': options.groupId,
        },
      },
      () => runWithContext({ requestId: first.id, tenantId: first.tenantId }, () => batch(envelopes, tx)),
    );
  }

  // Both paths plan generically: handlers run fixed statements, and a connection whose first
  // events were a new tenant's would go on planning them for its values, walking the tenant's
  // rows through tenant_id-only indexes (PlanOptions.genericPlans).

  /** One event in a transaction of its own (the careful path: retried, dead-lettered alone). */
  async function applyOnce(envelope: Envelope, entry: Entry, topic: string): Promise<'processed' | 'duplicate'> {
    return options.database.transaction(
      envelope.tenantId,
      async (tx) => {
        if (!(await claim(tx, [envelope])).has(envelope.id)) return 'duplicate';
        await apply(tx, envelope, entry, topic);
        return 'processed';
      },
      GENERIC_PLANS,
    );
  }

  /**
   * Several events of one tenant in one transaction, in order: one
   * processed-event insert for all of them, one outbox write for everything
   * their handlers emitted, one commit. Throws when any of them fails; the
   * caller then takes the careful path for each.
   */
  async function applyTogether(tenantId: string, items: { envelope: Envelope; entry: Entry }[], topic: string) {
    return options.database.transaction(
      tenantId,
      async (tx) => {
        const fresh = await claim(
          tx,
          items.map((i) => i.envelope),
        );
        const outcomes: ('processed' | 'duplicate')[] = [];
        // Consecutive events of one batch handler go to it together.
        let run: { batch: BatchEventHandler; envelopes: Envelope[] } | undefined;
        const flush = async () => {
          if (run) await applyBatch(tx, run.envelopes, run.batch, topic);
          run = undefined;
        };
        for (const { envelope, entry } of items) {
          // A second copy of an event within the chunk finds its id already taken.
          if (!fresh.delete(envelope.id)) {
            outcomes.push('duplicate');
            continue;
          }
          outcomes.push('processed');
          if (entry.batch) {
            if (run && run.batch !== entry.batch) await flush();
            run ??= { batch: entry.batch, envelopes: [] };
            run.envelopes.push(envelope);
            continue;
          }
          await flush();
          try {
            await apply(tx, envelope, entry, topic);
          } catch (error) {
            throw new ChunkFailure(envelope.id, error);
          }
        }
        await flush();
        return outcomes;
      },
      GENERIC_PLANS,
    );
  }

  async function deadLetter(
    payload: EachMessagePayload,
    reason: string,
    attempts: number,
    eventType: string,
  ): Promise<void> {
    const { topic, partition, message } = payload;
    // A replayed dead letter that fails again keeps pointing at where the event first came from.
    const replayed = topic === retryTopic(options.groupId) && message.headers?.['x-dlq-original-topic'] !== undefined;
    const headers: IHeaders = {
      ...message.headers,
      // One line: driver messages (Prisma's above all) come wrapped in blank lines and indentation.
      'x-dlq-reason': reason.replace(/\s+/g, ' ').trim().slice(0, 2_000),
      ...(replayed
        ? {}
        : {
            'x-dlq-original-topic': topic,
            'x-dlq-original-partition': String(partition),
            'x-dlq-original-offset': message.offset,
          }),
      'x-dlq-consumer-group': options.groupId,
      'x-dlq-attempts': String(attempts),
      'x-dlq-failed-at': new Date().toISOString(),
    };
    // Publishing the dead letter is itself retried like any passing fault.
    for (let attempt = 1; ; attempt += 1) {
      try {
        await options.producer.send({
          topic: deadLetterTopic(options.groupId),
          acks: -1,
          messages: [{ key: message.key, value: message.value, headers }],
        });
        break;
      } catch (error) {
        if (stopping.signal.aborted) throw error;
        log.warn({ err: error, attempt }, 'could not publish to the dead-letter topic; retrying');
        await sleep(backoffDelay(attempt, 200, 5_000), stopping.signal);
        await payload.heartbeat().catch(() => undefined);
      }
    }
    options.metrics.deadLetters.inc({ topic, event_type: eventType });
    log.error({ topic, partition, offset: message.offset, eventType, reason, attempts }, 'event dead-lettered');
  }

  async function handleMessage(
    payload: EachMessagePayload,
    chunkFailure?: ChunkFailure,
  ): Promise<{ outcome: Outcome; eventType: string; occurredAt?: Date }> {
    const { message } = payload;
    let envelope: Envelope;
    try {
      envelope = canonicalIds(decodeEnvelope(message.value ?? Buffer.alloc(0)));
    } catch (error) {
      await deadLetter(payload, `undecodable envelope: ${(error as Error).message}`, 1, 'unknown');
      return { outcome: 'dead_lettered', eventType: 'unknown' };
    }
    const entry = handlers.get(envelope.type);
    if (!entry) return { outcome: 'ignored', eventType: envelope.type };
    const failedBefore = chunkFailure?.eventId === envelope.id ? chunkFailure.cause : undefined;
    const outcome = await handleEvent(payload, envelope, entry, failedBefore);
    return { outcome, eventType: envelope.type, occurredAt: envelope.occurredAt };
  }

  /** How long after its commit an event took effect here (the event freshness SLO). */
  function fresh(topic: string, occurredAt: Date, now: number): void {
    options.metrics.kafkaEventFreshness.observe(
      { group: options.groupId, topic },
      Math.max(0, (now - occurredAt.getTime()) / 1000),
    );
  }

  /**
   * One event on the careful path, retried until it is applied or dead-lettered.
   * `failedBefore`: how the event failed in its chunk, which counts as its first attempt.
   */
  async function handleEvent(
    payload: EachMessagePayload,
    envelope: Envelope,
    entry: Entry,
    failedBefore?: unknown,
  ): Promise<Outcome> {
    let permanentFailures = 0;
    for (let attempt = 1; ; attempt += 1) {
      try {
        if (attempt === 1 && failedBefore !== undefined) throw failedBefore;
        return await applyOnce(envelope, entry, payload.topic);
      } catch (error) {
        if (stopping.signal.aborted) throw error;
        if (error instanceof PoisonEventError) {
          await deadLetter(payload, error.message, attempt, envelope.type);
          return 'dead_lettered';
        }
        if (isPermanentRefusal(error)) {
          await deadLetter(payload, refusalReason(error), attempt, envelope.type);
          return 'dead_lettered';
        }
        if (!isTransientError(error)) {
          permanentFailures += 1;
          if (permanentFailures >= options.maxAttempts) {
            await deadLetter(payload, (error as Error).message || String(error), attempt, envelope.type);
            return 'dead_lettered';
          }
        }
        const delay = backoffDelay(attempt, 100, 10_000);
        log.warn(
          {
            err: error,
            eventId: envelope.id,
            eventType: envelope.type,
            attempt,
            transient: isTransientError(error),
            retryInMs: delay,
          },
          'event handling failed; retrying',
        );
        await sleep(delay, stopping.signal);
        await payload.heartbeat().catch(() => undefined);
      }
    }
  }

  /**
   * A chunk of one partition's batch. The fast path applies the chunk's events
   * a tenant at a time, each tenant's in one transaction, in order (a key, and
   * so an ordering, belongs to one tenant). Anything unusual (an envelope that
   * does not decode, a failure of any kind) sends the whole chunk down the
   * careful path, one event at a time with its own retries and dead letters;
   * what the fast path did was rolled back, and the processed-event records
   * make the careful path skip nothing and repeat nothing.
   */
  async function handleChunk(
    topic: string,
    partition: number,
    messages: EachMessagePayload['message'][],
    heartbeat: () => Promise<void>,
  ): Promise<void> {
    const started = process.hrtime.bigint();
    const decoded: { envelope: Envelope; entry: Entry | undefined }[] = [];
    let clean = true;
    let failed: ChunkFailure | undefined;
    let skipped = 0;
    for (const message of messages) {
      // An event of a type this group does not handle (its CloudEvents type header
      // says so) is passed over without decoding it.
      const type = (message.headers?.[CE.type] ?? message.headers?.[LEGACY_CE.type])?.toString();
      if (type !== undefined && !handlers.has(type)) {
        skipped += 1;
        continue;
      }
      try {
        const envelope = canonicalIds(decodeEnvelope(message.value ?? Buffer.alloc(0)));
        decoded.push({ envelope, entry: handlers.get(envelope.type) });
      } catch {
        clean = false;
        break;
      }
    }
    for (let i = 0; i < skipped; i += 1) {
      options.metrics.kafkaHandleDuration.observe({ topic, event_type: 'unhandled', outcome: 'ignored' }, 0);
    }
    if (clean && (messages.length > 1 || decoded.length === 0)) {
      const byTenant = new Map<string, { envelope: Envelope; entry: Entry }[]>();
      for (const { envelope, entry } of decoded) {
        if (!entry) continue;
        const list = byTenant.get(envelope.tenantId) ?? [];
        list.push({ envelope, entry });
        byTenant.set(envelope.tenantId, list);
      }
      const done: { envelope: Envelope; outcome: Outcome }[] = [];
      try {
        for (const [tenantId, items] of byTenant) {
          const outcomes = await applyTogether(tenantId, items, topic);
          items.forEach((item, i) => done.push({ envelope: item.envelope, outcome: outcomes[i]! }));
        }
        const seconds = secondsSince(started) / messages.length;
        for (const { envelope, entry } of decoded) {
          if (!entry) {
            options.metrics.kafkaHandleDuration.observe(
              { topic, event_type: envelope.type, outcome: 'ignored' },
              seconds,
            );
          }
        }
        const now = Date.now();
        for (const { envelope, outcome } of done) {
          options.metrics.kafkaHandleDuration.observe({ topic, event_type: envelope.type, outcome }, seconds);
          if (outcome === 'processed') fresh(topic, envelope.occurredAt, now);
        }
        return;
      } catch (error) {
        if (stopping.signal.aborted) throw error;
        // Tenants whose transactions committed before the failure are skipped below as duplicates.
        log.debug({ err: error, topic, partition, events: messages.length }, 'chunk failed; applying one by one');
        if (error instanceof ChunkFailure) failed = error;
      }
    }
    for (const message of messages) {
      const payload = { topic, partition, message, heartbeat, pause: () => () => undefined } as EachMessagePayload;
      const one = process.hrtime.bigint();
      const { outcome, eventType, occurredAt } = await handleMessage(payload, failed);
      options.metrics.kafkaHandleDuration.observe({ topic, event_type: eventType, outcome }, secondsSince(one));
      if (outcome === 'processed' && occurredAt) fresh(topic, occurredAt, Date.now());
    }
  }

  async function updateLag(): Promise<void> {
    const now = Date.now();
    const committed = await options.admin.fetchOffsets({ groupId: options.groupId, topics: topics() });
    for (const { topic, partitions } of committed) {
      const ends = await options.admin.fetchTopicOffsets(topic);
      for (const end of ends) {
        const done = partitions.find((p) => p.partition === end.partition);
        const offset = Number(done?.offset ?? -1);
        const high = Number(end.high);
        const low = Number(end.low);
        const waiting = Math.max(0, high - (offset >= 0 ? offset : low));
        const labels = { group: options.groupId, topic, partition: String(end.partition) };
        lag.set(labels, waiting);
        const key = `${topic}:${end.partition}`;
        const seen = progress.get(key);
        if (waiting === 0 || !seen || seen.offset !== offset) progress.set(key, { offset, since: now });
        stalled.set(labels, waiting === 0 || !seen || seen.offset !== offset ? 0 : (now - seen.since) / 1000);
      }
    }
    await updatePendingDeadLetters();
  }

  /** Dead letters past the replay group's committed offsets (what `dlq replay` or `dlq skip` has not handled). */
  async function updatePendingDeadLetters(): Promise<void> {
    const dlq = deadLetterTopic(options.groupId);
    const [ends, replayed] = await Promise.all([
      options.admin.fetchTopicOffsets(dlq),
      options.admin.fetchOffsets({ groupId: replayGroupId(options.groupId), topics: [dlq] }),
    ]);
    const done = replayed.find((t) => t.topic === dlq)?.partitions ?? [];
    let pending = 0;
    for (const end of ends) {
      const offset = Number(done.find((p) => p.partition === end.partition)?.offset ?? -1);
      pending += Math.max(0, Number(end.high) - Math.max(offset, Number(end.low)));
    }
    pendingDeadLetters.set({ group: options.groupId }, pending);
  }

  /** Says loudly when processed-event records would be pruned before a topic could redeliver their event. */
  async function checkRetention(): Promise<void> {
    const domain = topics().filter((t) => t !== retryTopic(options.groupId));
    const all = await describeRetention(options.admin, [
      ...domain,
      deadLetterTopic(options.groupId),
      retryTopic(options.groupId),
    ]);
    const find = (topic: string) => all.find((t) => t.topic === topic)!;
    const horizon = redeliveryHorizonMs({
      events: domain.map(find),
      deadLetter: find(deadLetterTopic(options.groupId)),
      retry: find(retryTopic(options.groupId)),
    });
    if (horizon >= RETENTION.processedEventMs) {
      log.error(
        { redeliveryHorizonMs: horizon, processedEventRetentionMs: RETENTION.processedEventMs, topics: all },
        'topic retention outlives the processed-event records: an event redelivered after pruning would be applied twice',
      );
    }
  }

  /**
   * Starts the consumer over after a crash, and again after every failed attempt (the broker
   * still away), until it runs or the process stops: a consumer must never stay down after a
   * long broker outage. At most 5 s between attempts, so it is back within seconds of the broker.
   */
  function restartLater(crashed: Consumer): void {
    restarts += 1;
    restartTimer = setTimeout(
      () => {
        void (async () => {
          await crashed.disconnect().catch(() => undefined);
          if (stopping.signal.aborted) return;
          try {
            await run();
          } catch (err) {
            log.error({ err, restarts }, 'consumer restart failed; trying again');
            if (!stopping.signal.aborted) restartLater(consumer ?? crashed);
          }
        })();
      },
      backoffDelay(restarts, 1_000, 5_000),
    );
  }

  async function run(): Promise<void> {
    const c = options.kafka.consumer({
      groupId: options.groupId,
      allowAutoTopicCreation: false,
      // After the broker restarts, the group still counts a member of before a crash until its
      // session expires, and a rebalance waits for it: 30 s held the backlog of an outage that
      // long (kafka-down chaos scenario). Handlers heartbeat per chunk, so 10 s is plenty.
      sessionTimeout: 10_000,
      heartbeatInterval: 3_000,
      retry: { initialRetryTime: 300, maxRetryTime: 5_000, retries: 10 },
    });
    consumer = c;
    c.on(c.events.GROUP_JOIN, () => {
      joined = true;
      restarts = 0;
    });
    c.on(c.events.DISCONNECT, () => {
      joined = false;
    });
    c.on(c.events.CRASH, (event) => {
      joined = false;
      const { error, restart } = event.payload;
      log.error({ err: error, restart }, 'consumer crashed');
      // kafkajs restarts by itself after retriable errors; after others, start over here.
      if (!restart && !stopping.signal.aborted) restartLater(c);
    });
    try {
      await c.connect();
      await c.subscribe({ topics: topics(), fromBeginning: options.fromBeginning ?? true });
    } catch (error) {
      await c.disconnect().catch(() => undefined);
      throw error;
    }
    const chunkSize = Math.max(1, options.batchSize ?? 100);
    await c.run({
      autoCommit: true,
      // Also commit within a long batch (a large backlog), so the committed offset
      // moves while the group makes progress and a stall means a real stall.
      autoCommitInterval: 5_000,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }) => {
        for (let i = 0; i < batch.messages.length; i += chunkSize) {
          if (!isRunning() || isStale()) return;
          const chunk = batch.messages.slice(i, i + chunkSize);
          await handleChunk(batch.topic, batch.partition, chunk, heartbeat);
          resolveOffset(chunk.at(-1)!.offset);
          await heartbeat();
          await commitOffsetsIfNecessary();
        }
      },
    });
  }

  const self: EventConsumer = {
    groupId: options.groupId,
    on(def, handler) {
      handlers.set(def.type, { def, handler: handler as unknown as EventHandler<EventDefinition> });
      return self;
    },
    onBatch(defs, batch) {
      for (const def of defs) handlers.set(def.type, { def, batch });
      return self;
    },
    async start() {
      if (handlers.size === 0) throw new Error('no event handlers registered');
      // Lag and stalls are measured from the broker's view of the group, so they
      // are reported even while this member cannot join.
      lagTimer ??= setInterval(() => {
        updateLag().catch((error: unknown) => log.debug({ err: error }, 'lag update failed'));
      }, options.lagIntervalMs ?? 10_000);
      lagTimer.unref();
      // The runtime connects its admin in the background; this may come first (a no-op once connected).
      await options.admin.connect();
      await ensureTopics(options.admin, consumerGroupTopicSpecs(options.groupId));
      await checkRetention().catch((error: unknown) => log.warn({ err: error }, 'could not read topic retention'));
      await run();
    },
    async stop() {
      stopping.abort();
      clearInterval(lagTimer);
      clearTimeout(restartTimer);
      await consumer?.disconnect();
    },
    healthCheck() {
      return {
        name: `kafka-consumer:${options.groupId}`,
        critical: false,
        check: async () => {
          if (!joined) throw new Error('not a member of its consumer group');
        },
      };
    },
  };
  return self;
}

/** Which event of a chunk failed, and how: the careful path counts it as that event's first attempt. */
class ChunkFailure extends Error {
  override readonly name = 'ChunkFailure';
  constructor(
    readonly eventId: string,
    override readonly cause: unknown,
  ) {
    super(`event ${eventId} failed in its chunk`);
  }
}

/**
 * The envelope with its tenant and event ids in the one spelling HMS stores
 * (lower case). Ids that are not UUIDs could never be stored, so the event is
 * refused here, once, for every consumer.
 */
function canonicalIds(envelope: Envelope): Envelope {
  const tenantId = normalizeUuid(envelope.tenantId);
  if (!tenantId) throw new TypeError(`tenant id ${JSON.stringify(envelope.tenantId)} is not a UUID`);
  const id = normalizeUuid(envelope.id);
  if (!id) throw new TypeError(`event id ${JSON.stringify(envelope.id)} is not a UUID`);
  return { ...envelope, tenantId, id };
}

function refusalReason(error: DomainError): string {
  const fields = error.violations.map((v) => `${v.field}: ${v.message}`).join('; ');
  return fields ? `${error.message} (${fields})` : error.message;
}
