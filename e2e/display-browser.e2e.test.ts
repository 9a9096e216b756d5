/**
 * The waiting-room display in a real browser: Debian's chromium (installed by
 * scripts/install.sh), driven by playwright-core, opens the page through
 * nginx with a display token. A "call next" at the desk shows on the page
 * within a second and is announced to screen readers; after the gateways
 * restart the page reconnects by itself and catches up on what it missed. A
 * screenshot is kept in .hms/test-reports.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiBase, call, newTenant, ROOT, stack, type DemoTenant } from './support/stack.js';

/** What the page functions use of the browser's document (they run in Chromium, not here). */
interface Doc {
  querySelector(selector: string): { textContent: string | null } | null;
  querySelectorAll(selector: string): Iterable<{ textContent: string | null }>;
}

let tenant: DemoTenant;
let browser: Browser;
let page: Page;
const REPORTS = path.join(ROOT, '.hms', 'test-reports');

beforeAll(async () => {
  tenant = await newTenant();
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    // Root cannot use Chromium's sandbox (CI and these machines run as root).
    args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
  });
});

afterAll(async () => {
  await browser?.close();
});

const servingToken = (p: Page) =>
  p.evaluate(() =>
    [...(globalThis as unknown as { document: Doc }).document.querySelectorAll('.serving .token')].map(
      (e) => e.textContent ?? '',
    ),
  );

describe('the waiting-room display in Chromium', () => {
  it('shows a called token within a second, announces it, and catches up after the gateways restart', async () => {
    const doctor = tenant.doctors[0]!;
    const issued = await call('POST', '/display-tokens', {
      token: tenant.token,
      body: { name: 'Waiting room, ground floor', doctorIds: [doctor.id] },
    });
    expect(issued.status).toBe(201);
    for (const p of tenant.patients.slice(0, 4)) {
      const r = await call('POST', `/queues/${doctor.id}/walk-ins`, { token: tenant.token, body: { patientId: p.id } });
      expect(r.status).toBe(201);
    }
    const base = apiBase().replace(/\/api\/v1$/, '');
    page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    await page.goto(`${base}/display/queues?doctors=${doctor.id}#token=${String(issued.json.token)}`);
    await page.waitForFunction(
      (name) =>
        (globalThis as unknown as { document: Doc }).document.querySelector('section.queue h2')?.textContent === name,
      doctor.fullName,
    );
    expect(await page.textContent('header h1')).toMatch(/^E2E /);
    expect(await page.locator('ol.next li').count()).toBe(4);

    const callNext = async (room: string) => {
      const r = await call('POST', `/queues/${doctor.id}/call-next`, { token: tenant.token, body: { room } });
      expect(r.status).toBe(200);
      return String((r.json.entry as { tokenNumber: number }).tokenNumber);
    };
    const started = Date.now();
    const first = await callNext('Room 3');
    await page.waitForFunction(
      (t) =>
        [...(globalThis as unknown as { document: Doc }).document.querySelectorAll('.serving .token')].some(
          (e) => e.textContent === t,
        ),
      first,
      {
        timeout: 1_000,
        polling: 'raf',
      },
    );
    const elapsed = Date.now() - started;
    expect(elapsed).toBeLessThan(1_000);
    expect(await page.textContent('#announcer')).toBe(`Token ${first}, please go to Room 3.`);
    await mkdir(REPORTS, { recursive: true });
    await page.screenshot({ path: path.join(REPORTS, 'display-waiting-room.png'), fullPage: true });

    // Both gateways restart one after the other; a patient is called in between.
    await stack('hms', 'services', 'restart', 'gateway-1');
    const missed = await callNext('Room 4');
    await stack('hms', 'services', 'restart', 'gateway-2');
    await page.waitForFunction(
      (t) =>
        [...(globalThis as unknown as { document: Doc }).document.querySelectorAll('.serving .token')].some(
          (e) => e.textContent === t,
        ),
      missed,
      {
        timeout: 30_000,
      },
    );
    expect(await servingToken(page)).toContain(missed);
    // Still the same page: it reconnected by itself, and the line moved on.
    expect(await page.locator('ol.next li').count()).toBe(2);
    const after = await callNext('Room 5');
    await page.waitForFunction(
      (t) =>
        [...(globalThis as unknown as { document: Doc }).document.querySelectorAll('.serving .token')].some(
          (e) => e.textContent === t,
        ),
      after,
      {
        timeout: 5_000,
      },
    );
    await page.screenshot({ path: path.join(REPORTS, 'display-after-restart.png'), fullPage: true });
  });
});
