/**
 * The audit trail's integrity on the running stack: a booking's events are
 * chained and anchored, GET /api/v1/audit/verify through nginx and
 * `scripts/hms audit verify` report the trail intact with the records checked,
 * and, once a database superuser deletes a record, both name the broken link.
 * The audit process exports the verification metrics and Prometheus has the
 * alert rules.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { eventually, testEnv } from '@hms/platform/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, newTenant, ROOT, slot, type DemoTenant } from './support/stack.js';

const run = promisify(execFile);
let tenant: DemoTenant;
let admin: pg.Client;

/** `scripts/hms audit verify` on the test profile: its output and exit code. */
async function cliVerify(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await run(path.join(ROOT, 'scripts', 'hms'), ['audit', 'verify', '--profile', 'test', ...args], {
      env: { ...process.env, HMS_PROFILE: 'test' },
      timeout: 60_000,
    });
    return { code: 0, out: stdout };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, out: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

beforeAll(async () => {
  tenant = await newTenant();
  admin = new pg.Client({ connectionString: testEnv().HMS_PG_ADMIN_URL });
  await admin.connect();
});

afterAll(async () => {
  await admin?.end();
});

describe('audit trail integrity, end to end', () => {
  it("reports a tenant's trail intact with the records checked, through nginx and from the command line", async () => {
    const booked = await call('POST', '/appointments', {
      token: tenant.token,
      headers: { 'idempotency-key': `audit-e2e-${tenant.tenantId}` },
      body: { patientId: tenant.patients[0]!.id, doctorId: tenant.nightDoctor.id, startsAt: slot(3) },
    });
    expect(booked.status).toBe(201);
    const id = String((booked.json.appointment as { id: string }).id);
    expect((await call('POST', `/appointments/${id}/check-in`, { token: tenant.token })).status).toBe(200);

    // booked, checked in, billed, queued: four records on the tenant's chain.
    const report = await eventually(
      async () => {
        const r = await call('GET', '/audit/verify', { token: tenant.token });
        expect(r.status).toBe(200);
        return (r.json.checked as number) >= 4 ? r.json : undefined;
      },
      { what: 'four audit records', timeoutMs: 60_000 },
    );
    expect(report).toEqual({
      intact: true,
      checked: 4,
      firstSeq: 1,
      lastSeq: 4,
      anchoredSeq: expect.any(Number),
      broken: null,
    });

    const from = new Date(Date.now() - 3_600_000).toISOString();
    const to = new Date(Date.now() + 3_600_000).toISOString();
    const windowed = await call('GET', `/audit/verify?from=${from}&to=${to}`, { token: tenant.token });
    expect(windowed.json).toMatchObject({ intact: true, checked: 4 });

    const cli = await cliVerify('--tenant', tenant.tenantId);
    expect(cli.out).toContain(`tenant ${tenant.tenantId}: intact, 4 records checked (seq 1 to 4)`);
    expect(cli.out).toContain('1 trail, 4 records checked: intact');
    expect(cli.code).toBe(0);
  });

  it('refuses a bad window with a problem naming the field, and an anonymous caller', async () => {
    const bad = await call('GET', '/audit/verify?from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z', {
      token: tenant.token,
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(bad.json).toMatchObject({ errors: [{ field: 'to', message: 'must be after from' }] });
    expect((await call('GET', '/audit/verify?from=soon', { token: tenant.token })).status).toBe(400);
    expect((await call('GET', '/audit/verify')).status).toBe(401);
  });

  it('names the broken link once a superuser deletes a record, through nginx and from the command line', async () => {
    const deleted = await admin.query('DELETE FROM audit.audit_log WHERE tenant_id = $1 AND seq = 2', [
      tenant.tenantId,
    ]);
    expect(deleted.rowCount).toBe(1);
    const r = await call('GET', '/audit/verify', { token: tenant.token });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      intact: false,
      checked: 1,
      broken: { seq: 2, problem: 'missing_record', reason: 'record 2 is missing: the record after seq 1 has seq 3' },
    });
    const cli = await cliVerify('--tenant', tenant.tenantId);
    expect(cli.out).toContain(`tenant ${tenant.tenantId}: BROKEN at seq 2 (missing-record)`);
    expect(cli.code).toBe(1);
  });

  it('exports the verification metrics from the audit process, and Prometheus has the alert rules', async () => {
    const metrics = `http://127.0.0.1:${process.env.HMS_AUDIT_OPS_PORT}/metrics`;
    // The scheduled verification runs right after the service starts.
    const text = await eventually(
      async () => {
        const body = await (await fetch(metrics)).text();
        const at = Number(/^hms_audit_trail_verified_timestamp_seconds\{[^}]*\} (\S+)$/m.exec(body)?.[1]);
        return at > 0 ? body : undefined;
      },
      { what: 'a recorded verification run', timeoutMs: 30_000 },
    );
    for (const family of [
      'hms_audit_trail_broken_tenants',
      'hms_audit_trail_verified_timestamp_seconds',
      'hms_audit_trail_verified_records',
      'hms_audit_anchor_last_run_timestamp_seconds',
      'hms_audit_checkpoints_written_total',
      'hms_audit_anchor_refusals_total',
    ]) {
      expect(text).toMatch(new RegExp(`^# TYPE ${family} `, 'm'));
    }
    const rules = (await (await fetch(`http://127.0.0.1:${process.env.HMS_PROMETHEUS_PORT}/api/v1/rules`)).json()) as {
      data: { groups: { name: string; rules: { name: string }[] }[] };
    };
    const audit = rules.data.groups.find((g) => g.name === 'hms-audit-trail');
    expect(audit?.rules.map((r) => r.name).sort()).toEqual([
      'AuditTrailAnchoringRefused',
      'AuditTrailAnchoringStalled',
      'AuditTrailBroken',
      'AuditTrailVerificationStale',
    ]);
  });
});
