/**
 * The event pipeline of the stack under test: whether it has drained (every
 * outbox row published, every consumer group caught up), how many events were
 * dead-lettered, and how long events took from commit to applied.
 */
import { createKafka, createLogger, deadLetterTopic, type Admin } from '@hms/platform';
import { TOPICS } from '@hms/proto';
import pg from 'pg';
import type { StackEnv } from './stack.js';

const SCHEMAS = ['appointments', 'billing', 'queue', 'audit', 'identity'];
/** Each consumer group and the topics it reads. */
const SUBSCRIPTIONS: Record<string, string[]> = {
  'hms.billing': [TOPICS.appointments],
  'hms.queue': [TOPICS.appointments],
  'hms.audit': Object.values(TOPICS),
};
export const CONSUMER_GROUPS = Object.keys(SUBSCRIPTIONS);

export interface Pipeline {
  /** Unpublished outbox rows plus unconsumed messages, over every service and group. */
  backlog(): Promise<{ outbox: number; lag: number }>;
  /** Waits until nothing is left in flight; returns how long that took (ms), or throws after `timeoutMs`. */
  drain(timeoutMs: number): Promise<number>;
  /** Messages on the dead-letter topics so far. */
  deadLetters(): Promise<number>;
  admin: pg.Pool;
  close(): Promise<void>;
}

export async function openPipeline(env: StackEnv): Promise<Pipeline> {
  const admin = new pg.Pool({ connectionString: env.HMS_PG_ADMIN_URL, max: 2 });
  const kafka = createKafka({
    clientId: 'hms-bench',
    brokers: env.HMS_KAFKA_BROKERS!.split(','),
    logger: createLogger({ service: 'bench', level: 'warn' }),
  });
  const kafkaAdmin: Admin = kafka.admin();
  await kafkaAdmin.connect();

  async function lag(): Promise<number> {
    let total = 0;
    for (const groupId of CONSUMER_GROUPS) {
      const topics = SUBSCRIPTIONS[groupId]!;
      const committed = await kafkaAdmin.fetchOffsets({ groupId, topics });
      for (const { topic, partitions } of committed) {
        const ends = await kafkaAdmin.fetchTopicOffsets(topic);
        for (const end of ends) {
          const offset = Number(partitions.find((p) => p.partition === end.partition)?.offset ?? -1);
          total += Math.max(0, Number(end.high) - (offset >= 0 ? offset : Number(end.low)));
        }
      }
    }
    return total;
  }

  async function outbox(): Promise<number> {
    const parts = SCHEMAS.map((s) => `(SELECT count(*) FROM ${s}_messaging.outbox WHERE published_at IS NULL)`);
    const { rows } = await admin.query<{ n: string }>(`SELECT ${parts.join(' + ')} AS n`);
    return Number(rows[0]!.n);
  }

  return {
    admin,
    async backlog() {
      return { outbox: await outbox(), lag: await lag() };
    },
    async drain(timeoutMs) {
      const started = Date.now();
      let quiet = 0;
      while (Date.now() - started < timeoutMs) {
        const left = (await outbox()) + (await lag());
        quiet = left === 0 ? quiet + 1 : 0;
        // Twice in a row: a consumer commits its offsets after the batch it applied.
        if (quiet >= 2) return Date.now() - started;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`the pipeline did not drain within ${timeoutMs} ms`);
    },
    async deadLetters() {
      let total = 0;
      for (const group of CONSUMER_GROUPS) {
        for (const p of await kafkaAdmin.fetchTopicOffsets(deadLetterTopic(group))) {
          total += Number(p.high) - Number(p.low);
        }
      }
      return total;
    },
    async close() {
      await kafkaAdmin.disconnect();
      await admin.end();
    },
  };
}

export interface EventLatency {
  stage: string;
  events: number;
  p50Ms: number;
  p99Ms: number;
}

/**
 * Commit-to-applied latency of one tenant's events, per consumer, for the
 * events committed within a window (the fixed-rate runs): billing (booked ->
 * bill) and audit (any event -> its record) over the booking window, queue
 * (checked in -> entry) over the check-in window.
 */
export async function eventLatencies(
  admin: pg.Pool,
  tenantId: string,
  windows: { book?: [Date, Date]; checkIn?: [Date, Date] },
): Promise<EventLatency[]> {
  const stages: [string, [Date, Date] | undefined, string][] = [
    [
      'appointment.booked -> bill (billing)',
      windows.book,
      `SELECT extract(epoch FROM b.created_at - a.created_at) * 1000 AS ms
       FROM appointments.appointments a JOIN billing.bills b ON b.tenant_id = a.tenant_id AND b.appointment_id = a.id
       WHERE a.tenant_id = $1 AND a.created_at >= $2 AND a.created_at < $3`,
    ],
    [
      'appointment.checked_in -> queue entry (queue)',
      windows.checkIn,
      `SELECT extract(epoch FROM q.updated_at - a.checked_in_at) * 1000 AS ms
       FROM appointments.appointments a JOIN queue.queue_entries q ON q.tenant_id = a.tenant_id AND q.appointment_id = a.id
       WHERE a.tenant_id = $1 AND a.checked_in_at >= $2 AND a.checked_in_at < $3`,
    ],
    [
      'any event -> audit record (audit)',
      windows.book,
      `SELECT extract(epoch FROM recorded_at - occurred_at) * 1000 AS ms
       FROM audit.audit_log WHERE tenant_id = $1 AND occurred_at >= $2 AND occurred_at < $3`,
    ],
  ];
  const out: EventLatency[] = [];
  for (const [stage, window, sql] of stages) {
    if (!window) continue;
    const { rows } = await admin.query<{ n: string; p50: number | null; p99: number | null }>(
      `SELECT count(*) AS n, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50,
              percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99 FROM (${sql}) t`,
      [tenantId, window[0], window[1]],
    );
    const row = rows[0]!;
    out.push({ stage, events: Number(row.n), p50Ms: row.p50 ?? Number.NaN, p99Ms: row.p99 ?? Number.NaN });
  }
  return out;
}
