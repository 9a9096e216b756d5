/**
 * examples/consumer: a consumer written only against the published event
 * contract (AsyncAPI + CloudEvents headers), run as its own process against the
 * test stack's Kafka, receives the booking and the payment made through the API.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { testEnv } from '@hms/platform/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { apiBase, call, newTenant, ROOT, slot } from './support/stack.js';

let consumer: ChildProcess | undefined;
afterAll(() => {
  consumer?.kill('SIGTERM');
});

type Line = {
  ready?: boolean;
  type?: string;
  subject?: string;
  id?: string;
  time?: string;
  data?: Record<string, unknown>;
};

describe('the example consumer (examples/consumer)', () => {
  it('receives a booking and its payment from the published contract alone', async () => {
    const tenant = await newTenant();
    consumer = spawn('node', [path.join(ROOT, 'examples/consumer/consume.mjs')], {
      env: {
        PATH: process.env.PATH ?? '',
        HMS_API: apiBase(),
        KAFKA_BROKERS: testEnv().HMS_KAFKA_BROKERS,
        TENANT: tenant.tenantId,
        TYPES: 'appointment.booked,payment.recorded',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines: Line[] = [];
    const waiters: (() => void)[] = [];
    createInterface({ input: consumer.stdout! }).on('line', (text) => {
      lines.push(JSON.parse(text) as Line);
      for (const w of waiters.splice(0)) w();
    });
    const waitFor = async (what: string, test: (l: Line) => boolean, ms = 60_000) => {
      const until = Date.now() + ms;
      while (!lines.some(test)) {
        if (Date.now() > until) throw new Error(`the consumer never printed ${what}: ${JSON.stringify(lines)}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 500);
        });
      }
      return lines.find(test)!;
    };
    await waitFor('ready', (l) => l.ready === true);

    const booked = await call('POST', '/appointments', {
      token: tenant.token,
      body: { patientId: tenant.patients[0]!.id, doctorId: tenant.nightDoctor.id, startsAt: slot(5) },
    });
    expect(booked.status).toBe(201);
    const appointment = booked.json.appointment as { id: string };
    const seen = await waitFor('appointment.booked', (l) => l.type === 'appointment.booked');
    expect(seen.subject).toBe(`appointment/${appointment.id}`);
    expect(seen.data?.appointmentId).toBe(appointment.id);
    expect(Number.isNaN(Date.parse(seen.time ?? ''))).toBe(false);

    let bill: { id: string; dueMinor: number; currency: string } | undefined;
    for (let i = 0; i < 60 && !bill; i += 1) {
      const bills = await call('GET', `/bills?appointmentId=${appointment.id}`, { token: tenant.token });
      bill = (bills.json.data as (typeof bill)[] | undefined)?.[0];
      if (!bill) await new Promise((r) => setTimeout(r, 250));
    }
    const paid = await call('POST', `/bills/${bill!.id}/payments`, {
      token: tenant.token,
      headers: { 'idempotency-key': randomUUID() },
      body: { method: 'cash', amountMinor: bill!.dueMinor, currency: bill!.currency },
    });
    expect(paid.status).toBe(201);
    const payment = await waitFor('payment.recorded', (l) => l.type === 'payment.recorded');
    expect(payment.data?.billId).toBe(bill!.id);
    expect(String(payment.data?.amountMinor)).toBe(String(bill!.dueMinor));
  });
});
