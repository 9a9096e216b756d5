/**
 * The published contract through nginx: the OpenAPI document the stack serves,
 * the checker every e2e reply goes through (support/contract.ts) catching a
 * reply that breaks it, and the docs page rendering in a real browser from
 * this origin alone.
 */
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contractOf, type ContractChecker } from './support/contract.js';
import { apiBase, call, newTenant, slot, type DemoTenant } from './support/stack.js';

let tenant: DemoTenant;
let contract: ContractChecker;
let browser: Browser | undefined;

beforeAll(async () => {
  tenant = await newTenant();
  contract = await contractOf(apiBase());
});
afterAll(async () => {
  await browser?.close();
});

describe('the OpenAPI document', () => {
  it('is served without a token, as OpenAPI 3.1, with every operation the e2e suites use', async () => {
    const reply = await call('GET', '/openapi.json');
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
    expect(reply.json.openapi).toBe('3.1.0');
    const ids = Object.values(contract.document.paths).flatMap((item) =>
      Object.values(item).map((op) => op.operationId),
    );
    expect(ids).toEqual(
      expect.arrayContaining(['bookAppointment', 'checkInAppointment', 'recordPayment', 'streamQueue']),
    );
  });

  it('catches a reply that breaks it: an undocumented status, a wrong content type, a body off its schema', async () => {
    const booked = await call('POST', '/appointments', {
      token: tenant.token,
      body: { patientId: tenant.patients[0]!.id, doctorId: tenant.nightDoctor.id, startsAt: slot(3) },
    });
    expect(booked.status).toBe(201);
    const path = '/appointments';
    expect(contract.violation('POST', path, 201, 'application/json', booked.body)).toBeUndefined();
    expect(contract.violation('POST', path, 418, 'application/problem+json', {})).toMatch(/not 418/);
    expect(contract.violation('POST', path, 201, 'text/html', '<p>')).toMatch(/content type text\/html/);
    const appointment = booked.json.appointment as Record<string, unknown>;
    expect(
      contract.violation('POST', path, 201, 'application/json', {
        appointment: { ...appointment, consultationFeeMinor: 1.5 },
      }),
    ).toMatch(/consultationFeeMinor/);
    expect(
      contract.violation('POST', path, 201, 'application/json', { appointment: { ...appointment, extra: 1 } }),
    ).toMatch(/additional properties/);
    expect(contract.violation('POST', path, 400, 'application/problem+json', { title: 'x' })).toMatch(
      /required property 'status'/,
    );
    expect(contract.violation('PATCH', path, 200, 'application/json', {})).toMatch(/no patch/);
  });
});

describe('the docs page', () => {
  it('renders the reference from this origin alone (no CDN)', async () => {
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
    });
    const page = await browser.newPage();
    const origin = new URL(apiBase()).origin;
    const elsewhere: string[] = [];
    page.on('request', (request) => {
      const url = request.url();
      if (!url.startsWith(origin) && !url.startsWith('data:') && !url.startsWith('blob:')) elsewhere.push(url);
    });
    const response = await page.goto(`${origin}/api/docs`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    // Operation summaries come from the document: the page fetched it and rendered it.
    await page.getByText('Book a slot with a doctor').first().waitFor({ timeout: 60_000 });
    await page.getByText('HMS REST API').first().waitFor({ timeout: 10_000 });
    expect(elsewhere, elsewhere.join('\n')).toEqual([]);
  });
});
