/**
 * The published contract through nginx: the OpenAPI document the stack serves,
 * the checker every e2e reply goes through (support/contract.ts) catching a
 * reply that breaks it, and the docs page rendering in a real browser from
 * this origin alone.
 */
import { randomUUID } from 'node:crypto';
import { createHmsClient, type HmsClient } from '@hms/client';
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

/** The typed client, with every reply it gets checked against the document like call()'s. */
function typedClient(token: string): HmsClient {
  return createHmsClient({
    baseUrl: apiBase(),
    token,
    fetch: async (request: Request) => {
      const response = await fetch(request);
      const text = await response.clone().text();
      const body: unknown = text && /json/.test(response.headers.get('content-type') ?? '') ? JSON.parse(text) : text;
      const path = new URL(request.url).pathname.slice(new URL(apiBase()).pathname.length);
      const broken = contract.violation(
        request.method,
        path,
        response.status,
        response.headers.get('content-type'),
        body,
      );
      if (broken) throw new Error(`the reply breaks the OpenAPI document: ${broken}`);
      return response;
    },
  });
}

describe('the typed client (@hms/client, generated from the document)', () => {
  it('books, checks in, finds the bill and pays it, typed end to end', async () => {
    const api = typedClient(tenant.token);
    const booked = await api.POST('/appointments', {
      body: { patientId: tenant.patients[1]!.id, doctorId: tenant.nightDoctor.id, startsAt: slot(4) },
      params: { header: { 'Idempotency-Key': randomUUID() } },
    });
    expect(booked.response.status, JSON.stringify(booked.error)).toBe(201);
    const appointment = booked.data!.appointment;
    const checkedIn = await api.POST('/appointments/{id}/check-in', { params: { path: { id: appointment.id } } });
    expect(checkedIn.data?.appointment.status).toBe('checked_in');

    // The bill is made by billing's consumer of appointment.booked: it appears within seconds.
    let billId: string | undefined;
    for (let i = 0; i < 60 && !billId; i += 1) {
      const bills = await api.GET('/bills', { params: { query: { appointmentId: appointment.id } } });
      billId = bills.data?.data[0]?.id;
      if (!billId) await new Promise((r) => setTimeout(r, 250));
    }
    expect(billId).toBeDefined();
    const bill = await api.GET('/bills/{id}', { params: { path: { id: billId! } } });
    const due = bill.data!.bill.dueMinor;
    expect(due).toBe(appointment.consultationFeeMinor + appointment.hospitalFeeMinor);

    const paid = await api.POST('/bills/{id}/payments', {
      params: { path: { id: billId! }, header: { 'Idempotency-Key': randomUUID() } },
      body: { method: 'upi', amountMinor: due, currency: bill.data!.bill.currency, reference: 'UPI-E2E-1' },
    });
    expect(paid.response.status, JSON.stringify(paid.error)).toBe(201);
    expect(paid.data?.bill.status).toBe('paid');
    expect(paid.data?.payment.amountMinor).toBe(due);

    // An error is typed too: problem+json with the fields that are wrong.
    const refused = await api.POST('/bills/{id}/payments', {
      params: { path: { id: billId! }, header: { 'Idempotency-Key': randomUUID() } },
      body: { method: 'upi', amountMinor: 0, currency: 'INR' },
    });
    expect(refused.response.status).toBe(400);
    expect(refused.error?.errors?.map((e) => e.field)).toContain('amountMinor');
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
