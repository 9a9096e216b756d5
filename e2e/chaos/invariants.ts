/**
 * The invariant checker: after any fault scenario, proves from the databases,
 * Kafka and the audit trail's own verification that nothing the API accepted
 * was lost or doubled. It first waits for the system to settle (outboxes
 * drained, consumer lag 0, every event audited), then checks:
 *
 *   bookings-once      every booking answered 201/200 exists exactly once (by id and by key)
 *   no-unknown         every appointment of the tenant came from a key the load driver sent
 *   one-bill           every appointment has exactly one bill, total = its fees
 *   checked-in-queued  every accepted check-in has exactly one queue entry
 *   tokens-gapless     queue tokens are 1..n per doctor and day, n = the day's last token
 *   audited-once       every outbox event of the tenant is in the audit trail exactly once
 *   audit-chain        `scripts/hms audit verify --tenant` says intact
 *   outbox-drained     no outbox row of the tenant is unpublished
 *   no-dead-letters    no pending dead letter of the tenant on any dead-letter topic
 *   payments-once      every accepted payment exists exactly once, one payment per key
 *   paid-within-total  per bill: sum of payments = paid <= total
 *   consumer-lag       every consumer group of the stack has lag 0
 *
 * Used by the chaos runner (`npm run chaos`), by the e2e chaos suite, and on its
 * own: `scripts/with-test-env node --import tsx e2e/chaos/check.ts LEDGER.json`.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { createKafka, createLogger, listDeadLetters, summariseDeadLetterTopics } from '@hms/platform';
import { testEnv } from '@hms/platform/testing';
import type { Admin, Kafka } from 'kafkajs';
import pg from 'pg';
import { ROOT } from '../support/stack.js';

const run = promisify(execFile);

/** How long the stack must stay quiet to count as settled: past one access-log flush (1 s) with a margin. */
const QUIET_FOR_MS = 1_500;

/** What a load run was told by the API: the checker's evidence of what was accepted. */
export interface Ledger {
  tenantIds: string[];
  /** Every idempotency key a booking was sent with (answered or not). */
  bookingKeysSent: string[];
  /** Bookings answered 201 (or 200, a replay): key and appointment id. */
  bookings: { key: string; appointmentId: string; tenantId: string }[];
  /** Appointments whose check-in was answered 200. */
  checkIns: string[];
  /** Payments answered 201/200. */
  payments: { key: string; paymentId: string; billId: string; amountMinor: number }[];
}

export function emptyLedger(): Ledger {
  return { tenantIds: [], bookingKeysSent: [], bookings: [], checkIns: [], payments: [] };
}

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
}

export interface InvariantReport {
  ok: boolean;
  checks: CheckResult[];
  /** How long the system took to settle (outbox drained, lag 0, all audited). */
  settledMs: number;
  settled: boolean;
}

/** The stack's consumer groups (scripts/bootstrap.ts CONSUMER_GROUPS). */
export const CONSUMER_GROUPS = ['hms.billing', 'hms.queue', 'hms.audit'];
/** Schemas whose `<schema>_messaging.outbox` holds events. */
const OUTBOX_SCHEMAS = ['appointments', 'billing', 'queue', 'audit', 'identity'];

export interface Checker {
  /** Lag per consumer group (sum over the partitions of its topics). */
  consumerLag(): Promise<Record<string, number>>;
  /**
   * Milliseconds from `since` until the backlog that existed then is consumed: the outbox
   * rows written before it published, and every group's committed offsets past the ends of
   * its topics at that point (new arrivals under load do not count). NaN after `timeoutMs`.
   */
  catchUp(since: number, timeoutMs: number): Promise<number>;
  settle(ledger: Ledger, timeoutMs: number): Promise<{ settled: boolean; ms: number; waitingFor: string }>;
  check(ledger: Ledger, options?: { settleTimeoutMs?: number }): Promise<InvariantReport>;
  close(): Promise<void>;
}

export function createChecker(): Checker {
  const env = testEnv();
  const pool = new pg.Pool({ connectionString: env.HMS_PG_ADMIN_URL, max: 3 });
  pool.on('error', () => undefined); // a PostgreSQL restart drops idle clients; the next query reconnects
  const kafka: Kafka = createKafka({
    clientId: 'hms-invariants',
    brokers: env.HMS_KAFKA_BROKERS.split(','),
    logger: createLogger({ service: 'invariants', level: 'error', destination: process.stderr }),
  });
  let admin: Admin | undefined;
  const connectedAdmin = async () => {
    if (!admin) {
      const a = kafka.admin();
      await a.connect();
      admin = a;
    }
    return admin;
  };
  const q = async <T extends pg.QueryResultRow>(sql: string, params: unknown[] = []) =>
    (await pool.query<T>(sql, params)).rows;

  async function consumerLag(): Promise<Record<string, number>> {
    const lag: Record<string, number> = {};
    for (const groupId of CONSUMER_GROUPS) {
      // Never committed: everything from the low watermark on is still to read (groupPositions).
      lag[groupId] = (await groupPositions(groupId)).reduce((n, p) => n + Math.max(0, p.high - p.committed), 0);
    }
    return lag;
  }

  /** Committed offsets and high watermarks of every partition a group has committed on. */
  async function groupPositions(groupId: string) {
    const a = await connectedAdmin();
    const positions: { topic: string; partition: number; committed: number; high: number }[] = [];
    for (const { topic, partitions } of await a.fetchOffsets({ groupId })) {
      const ends = new Map((await a.fetchTopicOffsets(topic)).map((e) => [e.partition, e]));
      for (const p of partitions) {
        const end = ends.get(p.partition);
        if (!end) continue;
        const committed = Number(p.offset) >= 0 ? Number(p.offset) : Number(end.low);
        positions.push({ topic, partition: p.partition, committed, high: Number(end.high) });
      }
    }
    return positions;
  }

  async function catchUp(since: number, timeoutMs: number): Promise<number> {
    // 1. The outbox rows written before `since` are published...
    for (;;) {
      let waiting = 0;
      try {
        for (const s of await outboxSchemas()) {
          const [row] = await q<{ n: number }>(
            `SELECT count(*)::int AS n FROM "${s}".outbox WHERE published_at IS NULL AND created_at <= $1`,
            [new Date(since)],
          );
          waiting += row!.n;
        }
      } catch {
        waiting = -1;
      }
      if (waiting === 0) break;
      if (Date.now() - since > timeoutMs) return Number.NaN;
      await new Promise((r) => setTimeout(r, 250));
    }
    // 2. ...and every group has committed past what the topics held by then.
    const targets = new Map<string, number>();
    for (const groupId of CONSUMER_GROUPS)
      for (const p of await groupPositions(groupId)) targets.set(`${groupId} ${p.topic} ${p.partition}`, p.high);
    for (;;) {
      let behind = 0;
      try {
        for (const groupId of CONSUMER_GROUPS)
          for (const p of await groupPositions(groupId))
            if (p.committed < (targets.get(`${groupId} ${p.topic} ${p.partition}`) ?? 0)) behind += 1;
      } catch {
        behind = -1;
        admin = undefined;
      }
      if (behind === 0) return Date.now() - since;
      if (Date.now() - since > timeoutMs) return Number.NaN;
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  async function outboxSchemas(): Promise<string[]> {
    const rows = await q<{ s: string }>(
      `SELECT table_schema AS s FROM information_schema.tables
        WHERE table_name = 'outbox' AND table_schema = ANY($1::text[])`,
      [OUTBOX_SCHEMAS.map((s) => `${s}_messaging`)],
    );
    return rows.map((r) => r.s);
  }

  async function unpublished(tenants: string[]): Promise<number> {
    let n = 0;
    for (const s of await outboxSchemas()) {
      const [row] = await q<{ n: number }>(
        `SELECT count(*)::int AS n FROM "${s}".outbox WHERE published_at IS NULL AND tenant_id = ANY($1::uuid[])`,
        [tenants],
      );
      n += row!.n;
    }
    return n;
  }

  async function outboxEvents(tenants: string[]): Promise<Map<string, string>> {
    const ids = new Map<string, string>(); // event id -> type
    for (const s of await outboxSchemas()) {
      const rows = await q<{ id: string; t: string }>(
        `SELECT id::text AS id, event_type AS t FROM "${s}".outbox WHERE tenant_id = ANY($1::uuid[])`,
        [tenants],
      );
      for (const r of rows) ids.set(r.id, r.t);
    }
    return ids;
  }

  async function auditCounts(tenants: string[]): Promise<Map<string, number>> {
    const rows = await q<{ id: string; n: number }>(
      `SELECT event_id::text AS id, count(*)::int AS n FROM audit.audit_log
        WHERE tenant_id = ANY($1::uuid[]) GROUP BY event_id`,
      [tenants],
    );
    return new Map(rows.map((r) => [r.id, r.n]));
  }

  async function unbilled(tenants: string[]): Promise<number> {
    const [row] = await q<{ n: number }>(
      `SELECT count(*)::int AS n FROM appointments.appointments a
        WHERE a.tenant_id = ANY($1::uuid[])
          AND NOT EXISTS (SELECT 1 FROM billing.bills b WHERE b.tenant_id = a.tenant_id AND b.appointment_id = a.id)`,
      [tenants],
    );
    return row!.n;
  }

  /**
   * Settled: nothing unpublished, no lag, every event audited, every booking billed, and still so
   * after a gateway's access log has flushed once more (reads are written to the outbox in batches
   * every ACCESS_LOG_FLUSH_INTERVAL_MS, 1 s by default): a batch flushed just after one quiet look
   * would otherwise still be on its way to audit when the invariants are read.
   */
  async function settle(ledger: Ledger, timeoutMs: number) {
    const started = Date.now();
    let waitingFor = '';
    let quietSince: number | undefined;
    for (;;) {
      try {
        const pending = await unpublished(ledger.tenantIds);
        const lag = await consumerLag();
        const lagging = Object.entries(lag).filter(([, n]) => n > 0);
        const events = await outboxEvents(ledger.tenantIds);
        const audited = await auditCounts(ledger.tenantIds);
        const unaudited = [...events.keys()].filter((id) => !audited.has(id)).length;
        const noBill = await unbilled(ledger.tenantIds);
        waitingFor = [
          pending > 0 ? `${pending} unpublished outbox rows` : '',
          lagging.length > 0 ? `lag ${lagging.map(([g, n]) => `${g}=${n}`).join(' ')}` : '',
          unaudited > 0 ? `${unaudited} events not audited` : '',
          noBill > 0 ? `${noBill} appointments without a bill` : '',
        ]
          .filter(Boolean)
          .join(', ');
      } catch (error) {
        waitingFor = `the stack to answer (${(error as Error).message})`;
        admin = undefined;
      }
      if (waitingFor) quietSince = undefined;
      else {
        quietSince ??= Date.now();
        if (Date.now() - quietSince >= QUIET_FOR_MS) return { settled: true, ms: Date.now() - started, waitingFor };
      }
      if (Date.now() - started > timeoutMs) {
        return { settled: false, ms: Date.now() - started, waitingFor: waitingFor || 'a quiet second and a half' };
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  async function check(ledger: Ledger, options: { settleTimeoutMs?: number } = {}): Promise<InvariantReport> {
    const settled = await settle(ledger, options.settleTimeoutMs ?? 120_000);
    const checks: CheckResult[] = [];
    const add = (name: string, problems: string[], okDetail: string) =>
      checks.push({
        name,
        ok: problems.length === 0,
        detail: problems.length === 0 ? okDetail : `${problems.length}: ${problems.slice(0, 5).join('; ')}`,
      });
    const tenants = ledger.tenantIds;

    // Bookings: each accepted one exactly once, by id and by key; nothing from elsewhere.
    const appts = await q<{ id: string; key: string | null; fees: string; tenant: string }>(
      `SELECT id::text, idempotency_key AS key, (consultation_fee_minor + hospital_fee_minor)::text AS fees,
              tenant_id::text AS tenant
         FROM appointments.appointments WHERE tenant_id = ANY($1::uuid[])`,
      [tenants],
    );
    const byId = new Map(appts.map((a) => [a.id, a]));
    const keyCount = new Map<string, number>();
    for (const a of appts) if (a.key) keyCount.set(a.key, (keyCount.get(a.key) ?? 0) + 1);
    const acceptedIdsByKey = new Map<string, Set<string>>();
    for (const b of ledger.bookings) {
      const set = acceptedIdsByKey.get(b.key) ?? new Set<string>();
      set.add(b.appointmentId);
      acceptedIdsByKey.set(b.key, set);
    }
    const bookingProblems: string[] = [];
    for (const [key, ids] of acceptedIdsByKey) {
      if (ids.size !== 1) bookingProblems.push(`key ${key} answered with ${ids.size} different appointments`);
      for (const id of ids) {
        const row = byId.get(id);
        if (!row) bookingProblems.push(`accepted ${id} is missing`);
        else if (row.key !== key) bookingProblems.push(`${id} has key ${row.key}, answered for ${key}`);
      }
      if ((keyCount.get(key) ?? 0) !== 1) bookingProblems.push(`key ${key}: ${keyCount.get(key) ?? 0} appointments`);
    }
    add('bookings-once', bookingProblems, `${acceptedIdsByKey.size} accepted bookings, each exactly once`);
    const sent = new Set(ledger.bookingKeysSent);
    add(
      'no-unknown',
      appts.filter((a) => !a.key || !sent.has(a.key)).map((a) => `appointment ${a.id} (key ${a.key}) was never sent`),
      `${appts.length} appointments, all from sent keys (${appts.length - acceptedIdsByKey.size} unanswered but made)`,
    );

    // Bills: one per appointment, total = the fees fixed at booking.
    const bills = await q<{ appointment: string; n: number; totals: string[] }>(
      `SELECT appointment_id::text AS appointment, count(*)::int AS n, array_agg(total_minor::text) AS totals
         FROM billing.bills WHERE tenant_id = ANY($1::uuid[]) GROUP BY appointment_id`,
      [tenants],
    );
    const billOf = new Map(bills.map((b) => [b.appointment, b]));
    const billProblems: string[] = [];
    for (const a of appts) {
      const b = billOf.get(a.id);
      if (!b) billProblems.push(`${a.id} has no bill`);
      else if (b.n !== 1) billProblems.push(`${a.id} has ${b.n} bills`);
      else if (b.totals[0] !== a.fees) billProblems.push(`${a.id}: bill total ${b.totals[0]}, fees ${a.fees}`);
    }
    for (const b of bills)
      if (!byId.has(b.appointment)) billProblems.push(`bill for unknown appointment ${b.appointment}`);
    add('one-bill', billProblems, `${bills.length} bills, one per appointment, totals right`);

    // Check-ins: one queue entry each.
    const entries = await q<{ appointment: string; n: number }>(
      `SELECT appointment_id::text AS appointment, count(*)::int AS n FROM queue.queue_entries
        WHERE tenant_id = ANY($1::uuid[]) AND appointment_id IS NOT NULL GROUP BY appointment_id`,
      [tenants],
    );
    const entryCount = new Map(entries.map((e) => [e.appointment, e.n]));
    const checkedIn = [...new Set(ledger.checkIns)];
    add(
      'checked-in-queued',
      [
        ...checkedIn.filter((id) => entryCount.get(id) !== 1).map((id) => `${id}: ${entryCount.get(id) ?? 0} entries`),
        ...entries.filter((e) => e.n > 1).map((e) => `${e.appointment}: ${e.n} entries`),
      ],
      `${checkedIn.length} check-ins, each queued once`,
    );

    // Tokens: 1..n per doctor and day, n = the day's counter.
    const days = await q<{ doctor: string; day: string; tokens: number[]; last: number | null }>(
      `SELECT e.doctor_id::text AS doctor, e.service_date::text AS day,
              array_agg(e.token_number ORDER BY e.token_number) AS tokens, max(d.last_token) AS last
         FROM queue.queue_entries e
         LEFT JOIN queue.queue_days d USING (tenant_id, doctor_id, service_date)
        WHERE e.tenant_id = ANY($1::uuid[]) GROUP BY e.tenant_id, e.doctor_id, e.service_date`,
      [tenants],
    );
    const tokenProblems: string[] = [];
    for (const d of days) {
      const gap = d.tokens.findIndex((t, i) => t !== i + 1);
      if (gap >= 0) tokenProblems.push(`${d.doctor} ${d.day}: token ${d.tokens[gap]} at position ${gap + 1}`);
      if (d.last !== d.tokens.length)
        tokenProblems.push(`${d.doctor} ${d.day}: ${d.tokens.length} tokens, last ${d.last}`);
    }
    add('tokens-gapless', tokenProblems, `${days.length} queue days, tokens 1..n without gaps`);

    // Events: each in the audit trail exactly once; the chain verifies.
    const events = await outboxEvents(tenants);
    const audited = await auditCounts(tenants);
    const auditProblems: string[] = [];
    for (const [id, type] of events) {
      const n = audited.get(id) ?? 0;
      if (n !== 1) auditProblems.push(`${type} ${id} audited ${n} times`);
    }
    for (const [id, n] of audited) if (n > 1) auditProblems.push(`event ${id} audited ${n} times`);
    add('audited-once', auditProblems, `${events.size} events, each audited once`);
    const chainProblems: string[] = [];
    for (const tenant of tenants) {
      const verdict = await verifyTrail(tenant);
      if (!verdict.ok) chainProblems.push(verdict.output);
    }
    add('audit-chain', chainProblems, `${tenants.length} trail(s) intact`);

    const stuck = await unpublished(tenants);
    add('outbox-drained', stuck > 0 ? [`${stuck} outbox rows unpublished`] : [], 'no outbox row waiting');

    add('no-dead-letters', await deadLettersOf(new Set(tenants)), 'no dead letter of these tenants');

    // Payments: each accepted once, one per key; paid = sum <= total.
    const payIdsByKey = new Map<string, Set<string>>();
    for (const p of ledger.payments) {
      const set = payIdsByKey.get(p.key) ?? new Set<string>();
      set.add(p.paymentId);
      payIdsByKey.set(p.key, set);
    }
    const paymentRows = await q<{ id: string }>(
      `SELECT id::text FROM billing.payments WHERE tenant_id = ANY($1::uuid[])`,
      [tenants],
    );
    const paymentIds = new Set(paymentRows.map((p) => p.id));
    const paymentProblems: string[] = [];
    for (const [key, ids] of payIdsByKey) {
      if (ids.size !== 1) paymentProblems.push(`key ${key} answered with ${ids.size} payments`);
      for (const id of ids) if (!paymentIds.has(id)) paymentProblems.push(`accepted payment ${id} is missing`);
    }
    add('payments-once', paymentProblems, `${payIdsByKey.size} accepted payments, each exactly once`);
    const ledgerRows = await q<{ id: string; total: string; paid: string; sum: string }>(
      `SELECT b.id::text, b.total_minor::text AS total, b.paid_minor::text AS paid,
              coalesce(sum(p.amount_minor), 0)::text AS sum
         FROM billing.bills b LEFT JOIN billing.payments p ON p.tenant_id = b.tenant_id AND p.bill_id = b.id
        WHERE b.tenant_id = ANY($1::uuid[]) GROUP BY b.id`,
      [tenants],
    );
    add(
      'paid-within-total',
      ledgerRows
        .filter((b) => b.paid !== b.sum || BigInt(b.sum) > BigInt(b.total))
        .map((b) => `bill ${b.id}: total ${b.total}, paid ${b.paid}, payments ${b.sum}`),
      `${ledgerRows.length} bills, payments within totals`,
    );

    const lag = await consumerLag().catch(() => ({ unreachable: -1 }) as Record<string, number>);
    add(
      'consumer-lag',
      Object.entries(lag)
        .filter(([, n]) => n !== 0)
        .map(([g, n]) => `${g}: ${n}`),
      'lag 0 in every group',
    );
    if (!settled.settled)
      checks.unshift({ name: 'settled', ok: false, detail: `still waiting for ${settled.waitingFor}` });
    return { ok: checks.every((c) => c.ok), checks, settledMs: settled.ms, settled: settled.settled };
  }

  async function deadLettersOf(tenants: Set<string>): Promise<string[]> {
    const a = await connectedAdmin();
    const problems: string[] = [];
    // Only topics with letters still pending are read (reading one joins a throwaway group).
    for (const { topic } of (await summariseDeadLetterTopics(a)).filter((t) => t.pending > 0)) {
      for (const letter of await listDeadLetters(kafka, a, topic, { timeoutMs: 30_000 })) {
        if (letter.tenantId && tenants.has(letter.tenantId) && !letter.handled)
          problems.push(`${topic}: ${letter.eventType} ${letter.eventId}: ${letter.reason}`);
      }
    }
    return problems;
  }

  return {
    consumerLag,
    catchUp,
    settle,
    check,
    async close() {
      await admin?.disconnect().catch(() => undefined);
      await pool.end();
    },
  };
}

/** The audit trail's own verification, as an operator runs it. */
async function verifyTrail(tenantId: string): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout } = await run(path.join(ROOT, 'scripts', 'hms'), ['audit', 'verify', '--tenant', tenantId], {
      env: { ...process.env, HMS_PROFILE: process.env.HMS_PROFILE ?? 'test' },
      timeout: 120_000,
    });
    return { ok: /intact/.test(stdout) && !/BROKEN/.test(stdout), output: stdout.trim() };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}`.trim() || e.message };
  }
}

export function describeReport(report: InvariantReport): string {
  return report.checks.map((c) => `  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`).join('\n');
}
