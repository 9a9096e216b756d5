/**
 * The load driver of the fault scenarios: workers that book, check in and pay
 * through nginx as a front desk and a cashier would, while a fault is going
 * on. A request that was not answered "accepted" is retried with the same
 * Idempotency-Key until it is (or the operation's time runs out), as
 * integrators are told to. What the API accepted goes into the Ledger, the
 * invariant checker's evidence; every answer is counted by status, and any
 * answer that breaks the edge's contract (a 500, a 5xx that is not
 * problem+json, a 503 without Retry-After, no answer within the deadline) is
 * kept as a violation.
 */
import { newId } from '@hms/platform';
import { apiBase, slot, type DemoTenant } from '../support/stack.js';
import type { Ledger } from './invariants.js';

export interface LoadTenant extends DemoTenant {
  /** A token with BILLING_CLERK, for payments. */
  clerkToken: string;
}

export interface LoadStats {
  /** HTTP requests sent. */
  sent: number;
  /** Operations (booking, check-in, payment) the API accepted. */
  accepted: number;
  /** Answers by status ("0" = no answer: connection refused, reset, or past the client's deadline). */
  byStatus: Record<string, number>;
  /** Answers that break the edge's contract (see the module comment). */
  violations: string[];
  /** Requests with no answer within their route's deadline and the margin. */
  hangs: number;
  maxLatencyMs: number;
  /** Operations given up after `operationTimeoutMs` of retries. */
  gaveUp: number;
  /** When the last answer of each kind came: used to time recovery. */
  lastFailureAt: number;
  firstSuccessAfter(t: number): number | undefined;
}

export interface LoadOptions {
  tenants: LoadTenant[];
  /** Concurrent booking flows per tenant. */
  workersPerTenant?: number;
  /**
   * The gateway's deadlines (its defaults: GRPC_DEADLINE_MS 3 s for a call, CLAIM_DEADLINE_MS 10 s for
   * a booking, which waits its turn on a contested slot rather than answer an uncertain 504). A request
   * with no answer `hangMarginMs` after its route's deadline is a hang.
   */
  deadlines?: { callMs: number; claimMs: number };
  /** What nginx, the gateway's own work and the client may add to a backend's deadline. */
  hangMarginMs?: number;
  /** How long one operation is retried before it is given up. */
  operationTimeoutMs?: number;
  /** Pause between two flows of one worker. */
  thinkMs?: number;
}

export interface Load {
  ledger: Ledger;
  stats: LoadStats;
  /** Stops starting new flows; resolves when the flows in progress ended (answered or given up). */
  stop(): Promise<void>;
}

interface Answer {
  status: number;
  json: Record<string, unknown>;
}

/**
 * Check-in opens 240 minutes before the slot (appointments' default): a booking made for
 * slot(n + 2) (see bookingFlow) can be checked in while n <= 14.
 */
const CHECK_IN_SLOTS = 14;

export function startLoad(options: LoadOptions): Load {
  const deadlines = options.deadlines ?? { callMs: 3_000, claimMs: 10_000 };
  const hangMarginMs = options.hangMarginMs ?? 2_000;
  const operationTimeoutMs = options.operationTimeoutMs ?? 150_000;
  const thinkMs = options.thinkMs ?? 50;
  const ledger: Ledger = {
    tenantIds: options.tenants.map((t) => t.tenantId),
    bookingKeysSent: [],
    bookings: [],
    checkIns: [],
    payments: [],
  };
  const successTimes: number[] = [];
  const stats: LoadStats = {
    sent: 0,
    accepted: 0,
    byStatus: {},
    violations: [],
    hangs: 0,
    maxLatencyMs: 0,
    gaveUp: 0,
    lastFailureAt: 0,
    firstSuccessAfter: (t) => successTimes.find((s) => s > t),
  };
  let stopping = false;
  const base = apiBase();

  async function send(method: string, path: string, token: string, body?: unknown, key?: string): Promise<Answer> {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (key) headers['idempotency-key'] = key;
    // A booking claims its slot under the longer deadline; every other request under a call's.
    const hangMs =
      (method === 'POST' && path === '/appointments' ? deadlines.claimMs : deadlines.callMs) + hangMarginMs;
    const started = Date.now();
    stats.sent += 1;
    let status = 0;
    let json: Record<string, unknown> = {};
    try {
      // The client waits a little longer than a hang, so a late answer is still seen as late.
      const response = await fetch(`${base}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(hangMs + 5_000),
      });
      status = response.status;
      const text = await response.text();
      try {
        json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        json = {};
      }
      if (status >= 500) {
        const type = response.headers.get('content-type') ?? '';
        if (status === 500) stats.violations.push(`500 on ${method} ${path}: ${text.slice(0, 200)}`);
        else if (!type.includes('application/problem+json'))
          stats.violations.push(`${status} on ${method} ${path} is not problem+json (${type})`);
        else if (status === 503 && !response.headers.get('retry-after'))
          stats.violations.push(`503 on ${method} ${path} without Retry-After`);
      }
    } catch {
      status = 0;
    }
    const latency = Date.now() - started;
    stats.maxLatencyMs = Math.max(stats.maxLatencyMs, latency);
    if (latency > hangMs) {
      stats.hangs += 1;
      stats.violations.push(`${method} ${path}: answered ${status} after ${latency} ms`);
    }
    stats.byStatus[String(status)] = (stats.byStatus[String(status)] ?? 0) + 1;
    if (status >= 200 && status < 300) successTimes.push(Date.now());
    else stats.lastFailureAt = Date.now();
    return { status, json };
  }

  /** Sends until an answer other than "try again" (no answer, 429, 5xx), within the operation's time. */
  async function untilAnswered(attempt: () => Promise<Answer>): Promise<Answer | undefined> {
    const deadline = Date.now() + operationTimeoutMs;
    let pause = 200;
    for (;;) {
      const answer = await attempt();
      if (answer.status !== 0 && answer.status !== 429 && answer.status < 500) return answer;
      if (Date.now() + pause > deadline) {
        stats.gaveUp += 1;
        return undefined;
      }
      await new Promise((r) => setTimeout(r, pause));
      pause = Math.min(pause * 2, 2_000);
    }
  }

  const toPay: { tenant: LoadTenant; appointmentId: string; since: number }[] = [];

  async function bookingFlow(tenant: LoadTenant, slotNo: number, patient: number): Promise<void> {
    const key = newId();
    ledger.bookingKeysSent.push(key);
    // Chosen once: a retry is the same request under the same key. (Chosen per attempt, a
    // retry after a quarter's boundary asked for the next quarter, which the next booking had
    // taken: a 409.) Two quarters ahead, so that a request held up by a fault for minutes
    // still books the future.
    const startsAt = slot(slotNo + 2);
    const booked = await untilAnswered(() =>
      send(
        'POST',
        '/appointments',
        tenant.token,
        {
          patientId: tenant.patients[patient % tenant.patients.length]!.id,
          doctorId: tenant.nightDoctor.id,
          startsAt,
        },
        key,
      ),
    );
    if (!booked) return;
    if (booked.status !== 201 && booked.status !== 200) {
      stats.violations.push(`booking answered ${booked.status}: ${JSON.stringify(booked.json).slice(0, 200)}`);
      return;
    }
    const appointmentId = String((booked.json.appointment as Record<string, unknown>).id);
    ledger.bookings.push({ key, appointmentId, tenantId: tenant.tenantId });
    stats.accepted += 1;
    if (slotNo <= CHECK_IN_SLOTS) {
      const checkedIn = await untilAnswered(() =>
        send('POST', `/appointments/${appointmentId}/check-in`, tenant.token),
      );
      if (checkedIn?.status === 200) {
        ledger.checkIns.push(appointmentId);
        stats.accepted += 1;
      } else if (checkedIn) {
        stats.violations.push(`check-in answered ${checkedIn.status}: ${JSON.stringify(checkedIn.json).slice(0, 200)}`);
      }
    }
    // Every other booking is paid in part at the cashier's desk, once its bill is there.
    if (slotNo % 2 === 0) toPay.push({ tenant, appointmentId, since: Date.now() });
  }

  async function paymentFlow(item: (typeof toPay)[number]): Promise<boolean> {
    const found = await send('GET', `/bills?appointmentId=${item.appointmentId}`, item.tenant.clerkToken);
    const bill = found.status === 200 ? (found.json.data as Record<string, unknown>[])[0] : undefined;
    if (!bill) return false; // not billed yet (Kafka away, or billing behind): try later
    const key = newId();
    const amountMinor = Math.floor(Number(bill.totalMinor) / 2);
    const paid = await untilAnswered(() =>
      send(
        'POST',
        `/bills/${String(bill.id)}/payments`,
        item.tenant.clerkToken,
        { method: 'cash', amountMinor, currency: String(bill.currency) },
        key,
      ),
    );
    if (!paid) return true;
    if (paid.status === 201 || paid.status === 200) {
      const payment = paid.json.payment as Record<string, unknown>;
      ledger.payments.push({ key, paymentId: String(payment.id), billId: String(bill.id), amountMinor });
      stats.accepted += 1;
    } else {
      stats.violations.push(`payment answered ${paid.status}: ${JSON.stringify(paid.json).slice(0, 200)}`);
    }
    return true;
  }

  async function cashier(): Promise<void> {
    // Runs until stopped; bills still waiting then stay unpaid (nothing was promised for them).
    while (!stopping) {
      const item = toPay.shift();
      if (!item) {
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      const done = await paymentFlow(item);
      if (!done) {
        if (Date.now() - item.since < operationTimeoutMs) toPay.push(item);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  const slotCounters = new Map<string, number>();
  async function desk(tenant: LoadTenant, n: number): Promise<void> {
    let patient = n;
    while (!stopping) {
      const slotNo = (slotCounters.get(tenant.tenantId) ?? 0) + 1;
      slotCounters.set(tenant.tenantId, slotNo);
      await bookingFlow(tenant, slotNo, (patient += 1));
      await new Promise((r) => setTimeout(r, thinkMs));
    }
  }

  const running = [
    ...options.tenants.flatMap((t) => Array.from({ length: options.workersPerTenant ?? 2 }, (_, i) => desk(t, i))),
    cashier(),
  ];
  return {
    ledger,
    stats,
    async stop() {
      stopping = true;
      await Promise.all(running);
    },
  };
}

/** The statuses of a run, e.g. "201:310 200:40 503:12". */
export function describeStatuses(stats: LoadStats): string {
  return Object.entries(stats.byStatus)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([s, n]) => `${s}:${n}`)
    .join(' ');
}
