/**
 * The point-in-time restore rehearsal (docs/operations.md, "Backups and
 * point-in-time recovery"): bookings and payments, a base backup, more
 * bookings and payments (only in the archived WAL), then one booking after the
 * chosen instant and an accidental DROP TABLE in billing; `scripts/hms restore
 * --to` the instant before: every booking and payment up to it is there (the
 * invariant checker: one bill each, every event audited once, the chain
 * intact), the later booking is not, and the services work on the restored
 * database. Destructive: its own vitest project, run after the e2e suite.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { newId } from '@hms/platform';
import { eventually, testEnv } from '@hms/platform/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChecker, describeReport, emptyLedger, type Checker, type Ledger } from './chaos/invariants.js';
import { call, newTenant, ROOT, slot, tokenFor, type DemoTenant } from './support/stack.js';

const run = promisify(execFile);
let tenant: DemoTenant;
let clerk: string;
let checker: Checker;
const ledger: Ledger = emptyLedger();

async function hms(...args: string[]): Promise<string> {
  const { stdout } = await run(path.join(ROOT, 'scripts', 'hms'), [...args, '--profile', 'test'], {
    env: { ...process.env, HMS_PROFILE: 'test' },
    timeout: 600_000,
  });
  return stdout;
}

async function book(n: number, record = true): Promise<string> {
  const key = newId();
  if (record) ledger.bookingKeysSent.push(key);
  const r = await call('POST', '/appointments', {
    token: tenant.token,
    headers: { 'idempotency-key': key },
    body: {
      patientId: tenant.patients[n % tenant.patients.length]!.id,
      doctorId: tenant.nightDoctor.id,
      startsAt: slot(n),
    },
  });
  expect(r.status).toBe(201);
  const id = String((r.json.appointment as Record<string, unknown>).id);
  if (record) ledger.bookings.push({ key, appointmentId: id, tenantId: tenant.tenantId });
  return id;
}

async function pay(appointmentId: string): Promise<void> {
  const bill = await eventually(
    async () => {
      const r = await call('GET', `/bills?appointmentId=${appointmentId}`, { token: clerk });
      return (r.json.data as Record<string, unknown>[] | undefined)?.[0];
    },
    { what: `the bill of ${appointmentId}`, timeoutMs: 60_000 },
  );
  const key = newId();
  const amountMinor = 10_000;
  const r = await call('POST', `/bills/${String(bill.id)}/payments`, {
    token: clerk,
    headers: { 'idempotency-key': key },
    body: { method: 'cash', amountMinor, currency: bill.currency },
  });
  expect(r.status).toBe(201);
  const payment = r.json.payment as Record<string, unknown>;
  ledger.payments.push({ key, paymentId: String(payment.id), billId: String(bill.id), amountMinor });
}

beforeAll(async () => {
  tenant = await newTenant();
  clerk = await tokenFor(tenant.tenantId, 'restore-cashier', ['BILLING_CLERK']);
  ledger.tenantIds.push(tenant.tenantId);
  checker = createChecker();
});

afterAll(async () => {
  await checker.close();
});

describe('backup and point-in-time restore', () => {
  it('restores to the moment before an accidental DROP TABLE in billing: nothing accepted before it is lost', async () => {
    for (let n = 1; n <= 6; n += 1) await pay(await book(n));
    await hms('backup');
    // After the backup: recoverable only by replaying the archived WAL.
    for (let n = 7; n <= 12; n += 1) await pay(await book(n));
    const settled = await checker.settle(ledger, 120_000);
    expect(settled.waitingFor).toBe('');

    const target = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 1_100));
    const late = await book(13, false); // after the target: must be gone after the restore
    const admin = new pg.Client({ connectionString: testEnv().HMS_PG_ADMIN_URL });
    await admin.connect();
    try {
      await admin.query('DROP TABLE billing.payments CASCADE');
    } finally {
      await admin.end();
    }
    const lost = await call('GET', `/bills/${ledger.payments[0]!.billId}/payments`, { token: clerk });
    expect(lost.status).toBeGreaterThanOrEqual(500); // the accident is visible

    const started = Date.now();
    await hms('restore', '--to', target);
    const restoreMs = Date.now() - started;
    console.log(`restore to ${target} (services down, PITR, services up): ${restoreMs} ms`);

    const report = await checker.check(ledger, { settleTimeoutMs: 180_000 });
    expect(
      report.checks.filter((c) => !c.ok),
      describeReport(report),
    ).toEqual([]);
    expect(ledger.bookings).toHaveLength(12);
    expect(ledger.payments).toHaveLength(12);
    const gone = await call('GET', `/appointments/${late}`, { token: tenant.token });
    expect(gone.status).toBe(404);
    for (const p of ledger.payments) {
      const r = await call('GET', `/bills/${p.billId}/payments`, { token: clerk });
      expect(r.status).toBe(200);
      expect((r.json.data as Record<string, unknown>[]).map((x) => x.id)).toContain(p.paymentId);
    }
    // The services work on the restored database: a new booking is billed and paid.
    await pay(await book(40));
    const after = await checker.check(ledger, { settleTimeoutMs: 120_000 });
    expect(
      after.checks.filter((c) => !c.ok),
      describeReport(after),
    ).toEqual([]);
  });
});
