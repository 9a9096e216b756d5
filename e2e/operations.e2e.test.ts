/**
 * What SREs rely on, checked on the running processes: liveness and readiness
 * of every service, the metric families each exports, and Prometheus scraping
 * every target with the alert rules loaded.
 */
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
        const report = (await ready.json()) as { ready: boolean; checks: Record<string, { ok: boolean }> };
        expect(report.ready).toBe(true);
        expect(report.checks.postgres?.ok).toBe(true);
      }
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

  it('Prometheus scrapes every process and has the alert rules loaded', async () => {
    const prometheus = `http://127.0.0.1:${env.HMS_PROMETHEUS_PORT}`;
    const targets = await eventually(
      async () => {
        const body = (await (await fetch(`${prometheus}/api/v1/targets`)).json()) as {
          data: { activeTargets: { labels: { job: string }; health: string }[] };
        };
        const active = body.data.activeTargets;
        return active.length >= 6 && active.every((t) => t.health === 'up') ? active : undefined;
      },
      { what: 'every target up', timeoutMs: 30_000, intervalMs: 1_000 },
    );
    expect(new Set(targets.map((t) => t.labels.job))).toEqual(
      new Set(['gateway', 'appointments', 'billing', 'queue', 'audit']),
    );
    const rules = (await (await fetch(`${prometheus}/api/v1/rules`)).json()) as {
      data: { groups: { rules: { name: string }[] }[] };
    };
    const names = rules.data.groups.flatMap((g) => g.rules.map((r) => r.name));
    expect(names).toEqual(
      expect.arrayContaining([
        'ServiceDown',
        'OutboxBacklogHigh',
        'KafkaConsumerLagHigh',
        'OutboxOldestUnpublishedTooOld',
        'OutboxEventParked',
        'OutboxEventsBlockedBehindParked',
        'KafkaDeadLettersPending',
        'KafkaConsumerStalled',
        'KafkaConsumerStalledNearRetention',
        'KafkaConsumerGroupNotReporting',
      ]),
    );
  });
});
