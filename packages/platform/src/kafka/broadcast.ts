/**
 * Events every replica must see, not one replica of a group: cache
 * invalidations above all. Each process joins a consumer group of its own
 * (`<prefix>.<host>.<pid>.<random>`), reads from the newest offsets on, and
 * commits nothing, so the broker forgets the group once the process leaves.
 *
 * Nothing is applied transactionally here and nothing is retried: a handler
 * only drops what the process holds (a cache entry), and a missed event costs
 * at most the TTL of that entry. `listening` says whether events reach the
 * process right now; caches use it to stop trusting their process tier while
 * it is false (before the first fetch, after a crash of the consumer).
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { decodeEnvelope, type Envelope } from '@hms/proto';
import type { Consumer, Kafka } from 'kafkajs';
import type { Logger } from '../logger.js';
import type { ManagedPart } from '../service.js';
import { backoffDelay, sleep } from '../transient.js';

export interface BroadcastListenerOptions {
  kafka: Kafka;
  /** Group id prefix, e.g. "hms.appointments.cache". */
  groupPrefix: string;
  topics: string[];
  /** Only these event types reach `handle` (read from the record's ce-type header, before decoding). */
  types?: readonly string[];
  logger: Logger;
  /** Called for every event of the topics; what it throws is logged, never retried. */
  handle: (envelope: Envelope) => Promise<void> | void;
}

export interface BroadcastListener extends ManagedPart {
  readonly groupId: string;
  /** True while the consumer is fetching: events published now will reach this process. */
  readonly listening: boolean;
}

export function createBroadcastListener(options: BroadcastListenerOptions): BroadcastListener {
  const groupId = `${options.groupPrefix}.${hostname()}.${process.pid}.${randomBytes(4).toString('hex')}`;
  const log = options.logger.child({ component: 'broadcast-listener', groupId });
  const stopping = new AbortController();
  let consumer: Consumer | undefined;
  let listening = false;
  let running: Promise<void> | undefined;
  const wanted = options.types ? new Set(options.types) : undefined;

  async function connect(): Promise<void> {
    const c = options.kafka.consumer({
      groupId,
      // Short: a replica that died leaves the group soon; its group has nothing worth keeping.
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      maxWaitTimeInMs: 500,
      allowAutoTopicCreation: false,
    });
    consumer = c;
    c.on(c.events.FETCH, () => {
      if (!listening) log.debug('listening');
      listening = true;
    });
    c.on(c.events.CRASH, ({ payload }) => {
      listening = false;
      log.warn({ err: payload.error, restart: payload.restart }, 'broadcast listener crashed');
    });
    c.on(c.events.DISCONNECT, () => {
      listening = false;
    });
    c.on(c.events.STOP, () => {
      listening = false;
    });
    await c.connect();
    await c.subscribe({ topics: options.topics, fromBeginning: false });
    await c.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        const type = message.headers?.['ce-type']?.toString();
        if (wanted && type !== undefined && !wanted.has(type)) return;
        let envelope: Envelope;
        try {
          envelope = decodeEnvelope(message.value ?? Buffer.alloc(0));
        } catch {
          return; // not ours to judge: the domain consumers dead-letter what does not decode
        }
        if (wanted && !wanted.has(envelope.type)) return;
        try {
          await options.handle(envelope);
        } catch (error) {
          log.warn({ err: error, eventId: envelope.id, type: envelope.type }, 'broadcast handler failed');
        }
      },
    });
  }

  return {
    name: `broadcast listener ${options.groupPrefix}`,
    groupId,
    get listening() {
      return listening;
    },
    start() {
      // In the background: Kafka being away must not hold up the service's start.
      running = (async () => {
        for (let attempt = 1; !stopping.signal.aborted; attempt += 1) {
          try {
            await connect();
            return;
          } catch (error) {
            listening = false;
            await consumer?.disconnect().catch(() => undefined);
            const delay = backoffDelay(attempt, 500, 10_000);
            log.warn({ err: error, attempt, retryInMs: delay }, 'broadcast listener could not start; retrying');
            await sleep(delay, stopping.signal).catch(() => undefined);
          }
        }
      })();
    },
    async stop() {
      stopping.abort();
      await running;
      listening = false;
      await consumer?.disconnect().catch(() => undefined);
    },
  };
}
