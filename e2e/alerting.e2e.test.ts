/**
 * The alerting path of the test stack: Prometheus evaluates the rules and sends
 * what fires to Alertmanager, which routes by severity to the local webhook
 * receiver (scripts/alert-receiver.mjs): critical to `pager`, warning to
 * `ticket`, the always-firing Watchdog to `heartbeat`.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { get } from 'node:https';
import path from 'node:path';
import { eventually } from '@hms/platform/testing';
import { describe, expect, it } from 'vitest';
import { alertmanagerUrl, prometheusUrl, promQuery, receiverUrl } from './support/observability.js';

/** GET over HTTPS to nginx's TLS listener, trusting `ca` (or only the system's CAs). */
function httpsGet(pathname: string, ca?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = get(
      { host: 'localhost', port: Number(process.env.HMS_NGINX_TLS_PORT), path: pathname, ca, timeout: 5_000 },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    request.on('error', reject);
  });
}

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

  it("serves the API over HTTPS with the stack's own certificate, and Prometheus knows when it expires", async () => {
    const ca = await readFile(path.join(process.env.HMS_HOME ?? '', 'tls', 'ca.pem'), 'utf8');
    // The whole edge over TLS: nginx, then a gateway (the public key set needs no token).
    const jwks = await httpsGet('/.well-known/jwks.json', ca);
    expect(jwks.status).toBe(200);
    expect((JSON.parse(jwks.body) as { keys: unknown[] }).keys.length).toBeGreaterThan(0);
    // A client that does not trust the stack's CA is refused at the handshake.
    await expect(httpsGet('/nginx-health')).rejects.toThrow(/certificate/i);
    // The blackbox exporter's view, which the certificate alerts (monitoring/rules/tls.yml) read.
    const probed = await eventually(
      async () => {
        const days = await promQuery('min(probe_ssl_earliest_cert_expiry{job="tls"} - time()) / 86400');
        const ok = await promQuery('min(probe_success{job="tls"})');
        const left = days.data?.result[0]?.value?.[1];
        return left !== undefined && ok.data?.result[0]?.value?.[1] === '1' ? Number(left) : undefined;
      },
      { what: 'a successful HTTPS probe of the edge', timeoutMs: 60_000, intervalMs: 1_000 },
    );
    // Made for HMS_TLS_CERT_DAYS (90 by default) and renewed when a third of that is left.
    expect(probed).toBeGreaterThan(29);
    expect(probed).toBeLessThanOrEqual(Number(process.env.HMS_TLS_CERT_DAYS ?? 90));
  });
});
