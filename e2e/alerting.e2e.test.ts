/**
 * The alerting path of the test stack: Prometheus evaluates the rules and sends
 * what fires to Alertmanager, which routes by severity to the local webhook
 * receiver (scripts/alert-receiver.mjs): critical to `pager`, warning to
 * `ticket`, the always-firing Watchdog to `heartbeat`.
 */
import { randomUUID } from 'node:crypto';
import { eventually } from '@hms/platform/testing';
import { describe, expect, it } from 'vitest';
import { alertmanagerUrl, prometheusUrl, receiverUrl } from './support/observability.js';

interface Notification {
  receiver: string;
  status: string;
  alerts: {
    status: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
    generatorURL: string;
  }[];
}

async function received(): Promise<Notification[]> {
  return (await (await fetch(receiverUrl('/notifications'))).json()) as Notification[];
}

async function arrival(alertname: string, extra: Record<string, string> = {}): Promise<Notification> {
  return eventually(
    async () =>
      (await received()).find((n) =>
        n.alerts.some(
          (a) => a.labels.alertname === alertname && Object.entries(extra).every(([k, v]) => a.labels[k] === v),
        ),
      ),
    { what: `${alertname} at the receiver`, timeoutMs: 90_000, intervalMs: 1_000 },
  );
}

describe('alerting', () => {
  it('Prometheus sends its firing Watchdog through Alertmanager to the heartbeat receiver', async () => {
    const managers = (await (await fetch(prometheusUrl('/api/v1/alertmanagers'))).json()) as {
      data: { activeAlertmanagers: { url: string }[] };
    };
    expect(managers.data.activeAlertmanagers.map((a) => a.url)).toEqual([alertmanagerUrl('/api/v2/alerts')]);
    const watchdog = await arrival('Watchdog');
    expect(watchdog.receiver).toBe('heartbeat');
    const alert = watchdog.alerts.find((a) => a.labels.alertname === 'Watchdog')!;
    expect(alert.status).toBe('firing');
    // Made by the test stack's Prometheus, with its runbook.
    expect(alert.generatorURL).toContain(`:${process.env.HMS_PROMETHEUS_PORT}/`);
    expect(alert.annotations.runbook_url).toBe('docs/runbooks/Watchdog.md');
  });

  it('routes each severity to its own receiver', async () => {
    const run = randomUUID();
    const post = await fetch(alertmanagerUrl('/api/v2/alerts'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(
        ['critical', 'warning'].map((severity) => ({
          labels: { alertname: 'E2ERoutingCheck', severity, run },
          annotations: { summary: `a ${severity} alert from the alerting e2e test` },
          generatorURL: 'http://127.0.0.1/e2e',
        })),
      ),
    });
    expect(post.status).toBe(200);
    const page = await arrival('E2ERoutingCheck', { run, severity: 'critical' });
    const ticket = await arrival('E2ERoutingCheck', { run, severity: 'warning' });
    expect(page.receiver).toBe('pager');
    expect(ticket.receiver).toBe('ticket');
    // Each went to its own receiver only.
    const elsewhere = (await received()).filter(
      (n) => n.alerts.some((a) => a.labels.run === run) && !['pager', 'ticket'].includes(n.receiver),
    );
    expect(elsewhere).toEqual([]);
  });
});
