/**
 * What SREs rely on, checked on the running processes: liveness and readiness
 * of every service, the metric families each exports, and Prometheus scraping
 * every target with the alert rules loaded.
 */
import { readFile } from 'node:fs/promises';
import { eventually } from '@hms/platform/testing';
import { describe, expect, it } from 'vitest';

const env = process.env;
const opsPorts: Record<string, string[]> = {
  appointments: [env.HMS_APPOINTMENTS_OPS_PORT ?? ''],
  billing: [env.HMS_BILLING_OPS_PORT ?? ''],
  queue: [env.HMS_QUEUE_OPS_PORT ?? ''],
  audit: [env.HMS_AUDIT_OPS_PORT ?? ''],
  gateway: (env.HMS_GATEWAY_OPS_PORTS ?? '').split(' ').filter(Boolean),
};

const common = ['process_cpu_seconds_total', 'nodejs_eventloop_lag_seconds', 'hms_db_pool_connections'];
const expected: Record<string, string[]> = {
  appointments: [
    ...common,
    'hms_grpc_server_handling_seconds',
    'hms_outbox_backlog',
    'hms_outbox_oldest_unpublished_age_seconds',
    'hms_outbox_published_total',
    'hms_outbox_parked_events',
    'hms_outbox_blocked_events',
  ],
  billing: [
    ...common,
    'hms_grpc_server_handling_seconds',
    'hms_outbox_backlog',
    'hms_kafka_consumer_lag',
    'hms_kafka_consumer_handling_seconds',
    'hms_kafka_dead_letters_total',
    'hms_kafka_dead_letters_pending',
    'hms_kafka_consumer_stalled_seconds',
  ],
  queue: [
    ...common,
    'hms_grpc_server_handling_seconds',
    'hms_outbox_backlog',
    'hms_kafka_consumer_lag',
    'hms_kafka_consumer_handling_seconds',
  ],
  audit: [
    ...common,
    'hms_grpc_server_handling_seconds',
    'hms_kafka_consumer_lag',
    'hms_kafka_consumer_handling_seconds',
    'hms_kafka_dead_letters_pending',
    'hms_kafka_consumer_stalled_seconds',
    'hms_messaging_pruned_rows_total',
  ],
  gateway: [
    ...common,
    'hms_http_server_request_duration_seconds',
    'hms_http_server_in_flight_requests',
    'hms_grpc_client_handling_seconds',
  ],
};

describe('operations', () => {
  it('every service is live and ready, with its database checked', async () => {
    for (const [service, ports] of Object.entries(opsPorts)) {
      expect(ports.length, service).toBeGreaterThan(0);
      for (const port of ports) {
        expect((await fetch(`http://127.0.0.1:${port}/livez`)).status).toBe(200);
        const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
        expect(ready.status, `${service} :${port}`).toBe(200);
        const report = (await ready.json()) as { ready: boolean; checks: Record<string, string> };
        expect(report.ready).toBe(true);
        expect(report.checks.postgres).toBe('ok');
        // Names and ok/failed only: nothing about why, or how long, to an anonymous caller.
        expect(Object.values(report.checks).every((v) => v === 'ok' || v === 'failed')).toBe(true);
      }
    }
  });

  it('every service listens on loopback only: REST, gRPC and ops ports', async () => {
    const ports = [
      ...Object.values(opsPorts).flat(),
      ...(env.HMS_GATEWAY_PORTS ?? '').split(' ').filter(Boolean),
      ...['APPOINTMENTS', 'BILLING', 'QUEUE', 'AUDIT'].map((s) => env[`HMS_${s}_GRPC_PORT`] ?? ''),
    ].map(Number);
    expect(ports.every((p) => p > 0)).toBe(true);
    const listening = await listeningSockets();
    for (const port of ports) {
      const sockets = listening.filter((s) => s.port === port);
      expect(sockets.length, `something listens on :${port}`).toBeGreaterThan(0);
      for (const s of sockets) expect(s.address, `:${port}`).toBe('127.0.0.1');
    }
  });

  it('every service exports the metric families the dashboards and alerts use', async () => {
    for (const [service, ports] of Object.entries(opsPorts)) {
      const text = await (await fetch(`http://127.0.0.1:${ports[0]}/metrics`)).text();
      const families = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
      for (const family of expected[service]!) expect(families, `${service} exports ${family}`).toContain(family);
      expect(text).toMatch(new RegExp(`service="${service}"`));
    }
  });

  it('Prometheus scrapes every process, exporter and monitoring part, and has the alert rules loaded', async () => {
    const prometheus = `http://127.0.0.1:${env.HMS_PROMETHEUS_PORT}`;
    const targets = await eventually(
      async () => {
        const body = (await (await fetch(`${prometheus}/api/v1/targets`)).json()) as {
          data: { activeTargets: { labels: { job: string }; health: string }[] };
        };
        const active = body.data.activeTargets;
        return active.length >= 14 && active.every((t) => t.health === 'up') ? active : undefined;
      },
      { what: 'every target up', timeoutMs: 30_000, intervalMs: 1_000 },
    );
    expect(new Set(targets.map((t) => t.labels.job))).toEqual(
      new Set([
        ...['gateway', 'appointments', 'billing', 'queue', 'audit'],
        ...['postgres', 'redis', 'nginx', 'node'],
        // The edge over HTTPS, through the blackbox exporter.
        'tls',
        ...['prometheus', 'alertmanager', 'jaeger'],
      ]),
    );
    const rules = (await (await fetch(`${prometheus}/api/v1/rules`)).json()) as {
      data: { groups: { rules: { name: string }[] }[] };
    };
    const names = rules.data.groups.flatMap((g) => g.rules.map((r) => r.name));
    expect(names).toEqual(
      expect.arrayContaining([
        'ServiceDown',
        'TLSCertificateExpiresSoon',
        'ClinicalReadsRefused',
        'OutboxBacklogHigh',
        'KafkaConsumerLagHigh',
        'OutboxOldestUnpublishedTooOld',
        'OutboxEventParked',
        'OutboxEventsBlockedBehindParked',
        'KafkaDeadLettersPending',
        'KafkaConsumerStalled',
        'KafkaConsumerStalledNearRetention',
        'KafkaConsumerGroupNotReporting',
        'KafkaConsumerLagGrowing',
        'DatabasePoolSaturated',
        'PostgresDown',
        'RedisDown',
        'Watchdog',
        'SLOBookingAvailabilityBudgetBurn',
        'SLOBookingLatencyBudgetBurn',
        'SLOEventFreshnessBudgetBurn',
        'SLOLiveQueuePushLatencyBudgetBurn',
        'tenant:hms_slo_breach:1h',
      ]),
    );
  });
});

/** Listening TCP sockets of this machine, from the kernel's own tables (IPv4 and IPv6). */
async function listeningSockets(): Promise<{ address: string; port: number }[]> {
  const sockets: { address: string; port: number }[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const lines = (await readFile(file, 'utf8')).trim().split('\n').slice(1);
    for (const line of lines) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (state !== '0A' || !local) continue; // 0A: LISTEN
      const [hex, port] = local.split(':');
      sockets.push({ address: addressOf(hex!), port: parseInt(port!, 16) });
    }
  }
  return sockets;
}

/** /proc/net/tcp writes IPv4 addresses as little-endian hex; IPv6 ones as four such words. */
function addressOf(hex: string): string {
  if (hex.length === 8) {
    return (hex.match(/../g) ?? [])
      .reverse()
      .map((b) => parseInt(b, 16))
      .join('.');
  }
  if (hex === '00000000000000000000000000000000') return '::';
  if (hex === '00000000000000000000000001000000') return '::1';
  if (hex.startsWith('0000000000000000FFFF0000')) return addressOf(hex.slice(24));
  return hex;
}
