/**
 * Every HMS dashboard, as code. `npm run dashboards` writes them to
 * monitoring/grafana/dashboards/*.json, which the provisioning files load into a
 * stock Grafana; monitoring/grafana/dashboards.test.ts checks the JSON is what
 * this file generates, and e2e/dashboards.e2e.test.ts runs every query against
 * the live Prometheus of the test stack after a short load.
 */
import type { DashboardSpec, PanelSpec, RowSpec } from './panels.js';

const RI = '$__rate_interval';

/** p50, p95 and p99 of a histogram, summed by `by` (plus le). */
function quantiles(metric: string, selector: string, by: string[] = []): PanelSpec['queries'] {
  const group = ['le', ...by].join(', ');
  const legend = by.length ? by.map((l) => `{{${l}}}`).join(' ') + ' ' : '';
  return [0.5, 0.95, 0.99].map((q) => ({
    expr: `histogram_quantile(${q}, sum by (${group}) (rate(${metric}_bucket{${selector}}[${RI}])))`,
    legend: `${legend}p${Math.round(q * 100)}`,
  }));
}

/** 1 - good/all: a ratio that exists (0) whenever there is traffic. */
function errorRatio(metric: string, good: string, all: string, by: string[]): string {
  const b = by.length ? `sum by (${by.join(', ')})` : 'sum';
  return `1 - (${b} (rate(${metric}{${good}}[${RI}])) / ${b} (rate(${metric}{${all}}[${RI}])))`;
}

function grpcRows(job: string): RowSpec[] {
  const sel = `job="${job}"`;
  return [
    {
      title: 'gRPC: rate, errors, duration',
      panels: [
        {
          title: 'Calls per second by method and code',
          description: 'gRPC calls served, by method and status code.',
          unit: 'reqps',
          queries: [
            {
              expr: `sum by (grpc_method, grpc_code) (rate(hms_grpc_server_handling_seconds_count{${sel}}[${RI}]))`,
              legend: '{{grpc_method}} {{grpc_code}}',
            },
          ],
        },
        {
          title: 'Non-OK ratio by method',
          description:
            'Share of calls not answered OK (NOT_FOUND and INVALID_ARGUMENT included: the alert counts only server-side codes).',
          unit: 'percentunit',
          queries: [
            {
              expr: errorRatio('hms_grpc_server_handling_seconds_count', `${sel}, grpc_code="OK"`, sel, [
                'grpc_method',
              ]),
              legend: '{{grpc_method}}',
            },
          ],
        },
        {
          title: 'Duration by method (p50, p95, p99)',
          description: 'Server-side handling time. Exemplars link a sample of each bucket to its trace.',
          unit: 's',
          exemplars: true,
          width: 24,
          queries: quantiles('hms_grpc_server_handling_seconds', sel, ['grpc_method']),
        },
      ],
    },
  ];
}

function databaseRow(job: string): RowSpec {
  const sel = `job="${job}"`;
  return {
    title: 'Database (this service)',
    panels: [
      {
        title: 'Statement duration (p50, p95, p99)',
        description: 'Every statement of the write path as the service waited for it (network and locks included).',
        unit: 's',
        queries: quantiles('hms_db_statement_duration_seconds', sel),
      },
      {
        title: 'Statements slower than 100 ms per second',
        description:
          'Counted from the statement histogram; PostgreSQL logs each of them too (log_min_duration_statement = 100 ms).',
        unit: 'ops',
        queries: [
          {
            expr: `sum(rate(hms_db_statement_duration_seconds_count{${sel}}[${RI}])) - sum(rate(hms_db_statement_duration_seconds_bucket{${sel}, le="0.1"}[${RI}]))`,
            legend: 'slow',
          },
        ],
      },
      {
        title: 'Pool in use / max',
        description: 'Connections busy (total - idle) over DATABASE_POOL_MAX, per replica.',
        unit: 'percentunit',
        queries: [
          {
            expr: `(sum by (instance) (hms_db_pool_connections{${sel}, state="total"}) - sum by (instance) (hms_db_pool_connections{${sel}, state="idle"})) / sum by (instance) (hms_db_pool_max_connections{${sel}})`,
            legend: '{{instance}}',
          },
        ],
      },
      {
        title: 'Pool waits (p95, waiting now)',
        description: 'How long transactions waited for a connection, and requests waiting right now.',
        unit: 's',
        queries: [
          {
            expr: `histogram_quantile(0.95, sum by (le) (rate(hms_db_pool_acquire_seconds_bucket{${sel}}[${RI}])))`,
            legend: 'acquire p95',
          },
          { expr: `sum(hms_db_pool_connections{${sel}, state="waiting"})`, legend: 'waiting' },
        ],
      },
    ],
  };
}

function outboxRow(job: string): RowSpec {
  const sel = `job="${job}"`;
  return {
    title: 'Outbox (events this service produces)',
    panels: [
      {
        title: 'Published per second by topic',
        description: 'Events the relay published to Kafka.',
        unit: 'ops',
        queries: [{ expr: `sum by (topic) (rate(hms_outbox_published_total{${sel}}[${RI}]))`, legend: '{{topic}}' }],
      },
      {
        title: 'Backlog and oldest unpublished age',
        description: 'Committed, not yet on Kafka; and how long the oldest of them has waited.',
        unit: 'short',
        queries: [
          { expr: `max(hms_outbox_backlog{${sel}})`, legend: 'backlog' },
          { expr: `max(hms_outbox_oldest_unpublished_age_seconds{${sel}})`, legend: 'oldest age (s)' },
        ],
      },
    ],
  };
}

function consumerRow(job: string, group: string): RowSpec {
  return {
    title: `Consumer group ${group}`,
    panels: [
      {
        title: 'Lag by topic and partition',
        description: 'Events not yet consumed (each partition as its most behind replica reports it).',
        unit: 'short',
        queries: [
          {
            expr: `max by (topic, partition) (hms_kafka_consumer_lag{group="${group}"})`,
            legend: '{{topic}}/{{partition}}',
          },
        ],
      },
      {
        title: 'Events handled per second by outcome',
        description: 'processed, duplicate (redelivered, changed nothing), ignored, dead_lettered.',
        unit: 'ops',
        queries: [
          {
            expr: `sum by (outcome) (rate(hms_kafka_consumer_handling_seconds_count{job="${job}"}[${RI}]))`,
            legend: '{{outcome}}',
          },
        ],
      },
      {
        title: 'Freshness: commit to applied (p50, p95, p99)',
        description: "Seconds from the event's commit in its producer to its effect committed here.",
        unit: 's',
        queries: quantiles('hms_kafka_event_freshness_seconds', `group="${group}"`),
      },
      {
        title: 'Dead letters awaiting a decision',
        description: 'Letters on the group dead-letter topic not yet replayed or skipped (scripts/hms dlq).',
        unit: 'short',
        queries: [{ expr: `max(hms_kafka_dead_letters_pending{group="${group}"})`, legend: 'pending' }],
      },
    ],
  };
}

function processRow(job: string): RowSpec {
  const sel = `job="${job}"`;
  return {
    title: 'Process',
    panels: [
      {
        title: 'CPU (cores) per replica',
        description: 'CPU seconds per second: what the HPA CPU target compares with the request.',
        unit: 'short',
        queries: [
          { expr: `sum by (instance) (rate(process_cpu_seconds_total{${sel}}[${RI}]))`, legend: '{{instance}}' },
        ],
      },
      {
        title: 'Memory and event-loop lag',
        description: 'Resident memory per replica, and the p99 event-loop delay (a busy loop delays every request).',
        unit: 'bytes',
        queries: [
          { expr: `sum by (instance) (process_resident_memory_bytes{${sel}})`, legend: 'rss {{instance}}' },
          {
            expr: `max by (instance) (nodejs_eventloop_lag_p99_seconds{${sel}})`,
            legend: 'loop lag p99 (s) {{instance}}',
          },
        ],
      },
    ],
  };
}

function backendDashboard(job: string, title: string, description: string, extra: RowSpec[]): DashboardSpec {
  return {
    uid: `hms-${job}`,
    title: `HMS / ${title}`,
    description,
    rows: [...grpcRows(job), ...extra, databaseRow(job), processRow(job)],
  };
}

const overview: DashboardSpec = {
  uid: 'hms-overview',
  title: 'HMS / Overview',
  description:
    'Rate, errors and duration from nginx through the gateway to each service and the database; the SLOs; the host. Start here.',
  rows: [
    {
      title: 'SLOs (burn rate over 1 h: 1 = spending the 30-day budget exactly)',
      panels: [
        {
          title: 'Booking availability and latency',
          description: 'Error ratio over the last hour divided by the error budget (99.9 % and 95 % within 200 ms).',
          unit: 'short',
          kind: 'stat',
          queries: [
            { expr: 'slo:booking_availability:error_ratio_rate1h / 0.001', legend: 'availability' },
            { expr: 'slo:booking_latency:error_ratio_rate1h / 0.05', legend: 'latency' },
          ],
        },
        {
          title: 'Event freshness and live-queue push latency',
          description: 'Burn rate of the event freshness SLO per group, and of the live-queue push latency SLO.',
          unit: 'short',
          kind: 'stat',
          queries: [
            { expr: 'slo:event_freshness:error_ratio_rate1h / 0.01', legend: '{{group}}' },
            { expr: 'slo:live_queue_push_latency:error_ratio_rate1h / 0.01', legend: 'live queue' },
          ],
        },
      ],
    },
    {
      title: 'Edge (nginx)',
      panels: [
        {
          title: 'Edge certificate: days left',
          description:
            'Days until the certificate served over HTTPS expires, and whether a trusted HTTPS request succeeds (blackbox exporter, job tls). Alerts at 21 and 3 days.',
          unit: 'short',
          kind: 'stat',
          queries: [
            { expr: 'min(probe_ssl_earliest_cert_expiry{job="tls"} - time()) / 86400', legend: 'days left' },
            { expr: 'min(probe_success{job="tls"})', legend: 'HTTPS probe ok' },
          ],
        },
        {
          title: 'Requests per second at nginx',
          description: "All requests nginx accepted (stub_status); per-status figures are the gateway's below.",
          unit: 'reqps',
          queries: [{ expr: `sum(rate(nginx_http_requests_total[${RI}]))`, legend: 'requests' }],
        },
        {
          title: 'Connections',
          description: 'Client connections open at nginx, by state.',
          unit: 'short',
          queries: [
            { expr: 'sum(nginx_connections_active)', legend: 'active' },
            { expr: 'sum(nginx_connections_waiting)', legend: 'idle keep-alive' },
          ],
        },
      ],
    },
    {
      title: 'Gateway (REST)',
      panels: [
        {
          title: 'Requests per second by status',
          description: 'REST requests answered by the gateways.',
          unit: 'reqps',
          queries: [
            {
              expr: `sum by (status_code) (rate(hms_http_server_request_duration_seconds_count{job="gateway"}[${RI}]))`,
              legend: '{{status_code}}',
            },
          ],
        },
        {
          title: '5xx ratio',
          description:
            'Share of REST requests answered with a 5xx (the HttpServerErrorRatioHigh alert fires above 5 %).',
          unit: 'percentunit',
          queries: [
            {
              expr: errorRatio(
                'hms_http_server_request_duration_seconds_count',
                'job="gateway", status_code!~"5.."',
                'job="gateway"',
                [],
              ),
              legend: '5xx',
            },
          ],
        },
        {
          title: 'Duration (p50, p95, p99)',
          description: 'REST latency at the gateway. Exemplars open the trace of a request in each bucket.',
          unit: 's',
          exemplars: true,
          width: 24,
          queries: quantiles('hms_http_server_request_duration_seconds', 'job="gateway"'),
        },
      ],
    },
    {
      title: 'Services (gRPC)',
      panels: [
        {
          title: 'Calls per second by service',
          description: 'gRPC calls each backend served.',
          unit: 'reqps',
          queries: [{ expr: `sum by (job) (rate(hms_grpc_server_handling_seconds_count[${RI}]))`, legend: '{{job}}' }],
        },
        {
          title: 'Non-OK ratio by service',
          description: 'Share of calls not answered OK (client errors included).',
          unit: 'percentunit',
          queries: [
            {
              expr: errorRatio('hms_grpc_server_handling_seconds_count', 'grpc_code="OK"', '', ['job']),
              legend: '{{job}}',
            },
          ],
        },
        {
          title: 'p95 by service',
          description: 'Server-side handling time, 95th percentile.',
          unit: 's',
          exemplars: true,
          queries: [
            {
              expr: `histogram_quantile(0.95, sum by (job, le) (rate(hms_grpc_server_handling_seconds_bucket[${RI}])))`,
              legend: '{{job}}',
            },
          ],
        },
        {
          title: 'p99 by service',
          description: 'Server-side handling time, 99th percentile.',
          unit: 's',
          queries: [
            {
              expr: `histogram_quantile(0.99, sum by (job, le) (rate(hms_grpc_server_handling_seconds_bucket[${RI}])))`,
              legend: '{{job}}',
            },
          ],
        },
      ],
    },
    {
      title: 'Database',
      panels: [
        {
          title: 'Transactions per second',
          description: 'Commits and rollbacks in the hms database (PostgreSQL).',
          unit: 'ops',
          queries: [
            { expr: `sum(rate(pg_stat_database_xact_commit{datname="hms"}[${RI}]))`, legend: 'commits' },
            { expr: `sum(rate(pg_stat_database_xact_rollback{datname="hms"}[${RI}]))`, legend: 'rollbacks' },
          ],
        },
        {
          title: 'Statement p95 by service',
          description: 'As each service waits for its statements.',
          unit: 's',
          queries: [
            {
              expr: `histogram_quantile(0.95, sum by (job, le) (rate(hms_db_statement_duration_seconds_bucket[${RI}])))`,
              legend: '{{job}}',
            },
          ],
        },
      ],
    },
    {
      title: 'Host and monitoring',
      panels: [
        {
          title: 'Host CPU and load',
          description: 'CPU busy (all cores, 0-1) and the 1-minute load average (node exporter).',
          unit: 'short',
          queries: [
            { expr: `1 - avg(rate(node_cpu_seconds_total{mode="idle"}[${RI}]))`, legend: 'cpu busy' },
            { expr: 'max(node_load1)', legend: 'load1' },
          ],
        },
        {
          title: 'Targets up',
          description: 'Scrape targets Prometheus reaches, by job (ServiceDown fires for any that is not).',
          unit: 'short',
          queries: [{ expr: 'sum by (job) (up)', legend: '{{job}}' }],
        },
        {
          title: 'Alert notifications per second',
          description: 'Notifications Alertmanager sent, by integration (webhook locally).',
          unit: 'ops',
          queries: [
            {
              expr: `sum by (integration) (rate(alertmanager_notifications_total[${RI}]))`,
              legend: '{{integration}}',
            },
          ],
        },
        {
          title: 'Spans stored by Jaeger per second',
          description: 'Trace spans the trace backend received and stored.',
          unit: 'ops',
          queries: [{ expr: `sum(rate(jaeger_storage_requests_total[${RI}]))`, legend: 'storage requests' }],
        },
      ],
    },
  ],
};

const gateway: DashboardSpec = {
  uid: 'hms-gateway',
  title: 'HMS / gateway',
  description: 'The REST API: routes, statuses, latency, calls to the backends, caches, rate limits.',
  rows: [
    {
      title: 'REST: rate, errors, duration',
      panels: [
        {
          title: 'Requests per second by route',
          description: 'By method and route template.',
          unit: 'reqps',
          queries: [
            {
              expr: `sum by (method, route) (rate(hms_http_server_request_duration_seconds_count{job="gateway"}[${RI}]))`,
              legend: '{{method}} {{route}}',
            },
          ],
        },
        {
          title: 'Errors per second by route and status',
          description: 'Every 4xx and 5xx, by route: client mistakes and rejections are worth seeing too.',
          unit: 'reqps',
          queries: [
            {
              expr: `sum by (route, status_code) (rate(hms_http_server_request_duration_seconds_count{job="gateway", status_code=~"[45].."}[${RI}]))`,
              legend: '{{route}} {{status_code}}',
            },
          ],
        },
        {
          title: 'p95 by route',
          description: 'REST latency by route, 95th percentile; exemplars open traces.',
          unit: 's',
          exemplars: true,
          queries: [
            {
              expr: `histogram_quantile(0.95, sum by (method, route, le) (rate(hms_http_server_request_duration_seconds_bucket{job="gateway"}[${RI}])))`,
              legend: '{{method}} {{route}}',
            },
          ],
        },
        {
          title: 'p99 by route',
          description: 'REST latency by route, 99th percentile.',
          unit: 's',
          queries: [
            {
              expr: `histogram_quantile(0.99, sum by (method, route, le) (rate(hms_http_server_request_duration_seconds_bucket{job="gateway"}[${RI}])))`,
              legend: '{{method}} {{route}}',
            },
          ],
        },
        {
          title: 'Requests in flight per gateway',
          description: 'What the gateway HPA scales on (target 10 per pod).',
          unit: 'short',
          queries: [{ expr: 'sum by (instance) (hms_http_server_in_flight_requests)', legend: '{{instance}}' }],
        },
        {
          title: 'Rate-limit rejections per second',
          description: 'Requests refused with 429 by the tenant request budgets.',
          unit: 'reqps',
          queries: [{ expr: 'sum(tenant:hms_http_rate_limited:rate5m)', legend: '429' }],
        },
      ],
    },
    {
      title: 'Calls to the backends',
      panels: [
        {
          title: 'gRPC calls per second by service and code',
          description: 'As the gateway sees them (deadline and connection failures included).',
          unit: 'reqps',
          queries: [
            {
              expr: `sum by (grpc_service, grpc_code) (rate(hms_grpc_client_handling_seconds_count{job="gateway"}[${RI}]))`,
              legend: '{{grpc_service}} {{grpc_code}}',
            },
          ],
        },
        {
          title: 'gRPC call p95 by service',
          description: 'Round trip to each backend, 95th percentile.',
          unit: 's',
          queries: [
            {
              expr: `histogram_quantile(0.95, sum by (grpc_service, le) (rate(hms_grpc_client_handling_seconds_bucket{job="gateway"}[${RI}])))`,
              legend: '{{grpc_service}}',
            },
          ],
        },
      ],
    },
    {
      title: 'Caches',
      panels: [
        {
          title: 'Cache hit ratio by cache',
          description: 'Hits over all look-ups: tenants and verified token claims (and reference data where used).',
          unit: 'percentunit',
          queries: [
            {
              expr: `sum by (cache) (rate(hms_cache_lookups_total{job="gateway", result="hit"}[${RI}])) / sum by (cache) (rate(hms_cache_lookups_total{job="gateway"}[${RI}]))`,
              legend: '{{cache}}',
            },
          ],
        },
        {
          title: 'Cache look-ups per second',
          description: 'By cache and result.',
          unit: 'ops',
          queries: [
            {
              expr: `sum by (cache, result) (rate(hms_cache_lookups_total{job="gateway"}[${RI}]))`,
              legend: '{{cache}} {{result}}',
            },
          ],
        },
      ],
    },
    processRow('gateway'),
  ],
};

const kafka: DashboardSpec = {
  uid: 'hms-kafka',
  title: 'HMS / Kafka',
  description: 'Events: per-topic rates, consumer lag, the outboxes, dead letters, freshness.',
  rows: [
    {
      title: 'Per topic',
      panels: [
        {
          title: 'Published per second by topic',
          description: 'Events the outbox relays put on Kafka.',
          unit: 'ops',
          queries: [{ expr: `sum by (topic) (rate(hms_outbox_published_total[${RI}]))`, legend: '{{topic}}' }],
        },
        {
          title: 'Consumed per second by topic and group',
          description: 'Events each group handled (any outcome).',
          unit: 'ops',
          queries: [
            {
              expr: `sum by (job, topic) (rate(hms_kafka_consumer_handling_seconds_count[${RI}]))`,
              legend: '{{job}} {{topic}}',
            },
          ],
        },
      ],
    },
    {
      title: 'Consumers',
      panels: [
        {
          title: 'Lag by group',
          description: 'Events not yet consumed, summed over partitions (what the consumer HPAs scale on).',
          unit: 'short',
          queries: [{ expr: 'group:hms_kafka_consumer_lag:sum', legend: '{{group}}' }],
        },
        {
          title: 'Freshness p95 by group',
          description: 'Commit to applied, 95th percentile (the event freshness SLO: 99 % within 5 s).',
          unit: 's',
          queries: [
            {
              expr: `histogram_quantile(0.95, sum by (group, le) (rate(hms_kafka_event_freshness_seconds_bucket[${RI}])))`,
              legend: '{{group}}',
            },
          ],
        },
        {
          title: 'Stalled partitions',
          description: 'Longest time a group has not moved while events wait (0 when moving).',
          unit: 's',
          queries: [{ expr: 'max by (group) (hms_kafka_consumer_stalled_seconds)', legend: '{{group}}' }],
        },
        {
          title: 'Dead letters awaiting a decision',
          description: 'Per group (scripts/hms dlq list|replay|skip).',
          unit: 'short',
          queries: [{ expr: 'max by (group) (hms_kafka_dead_letters_pending)', legend: '{{group}}' }],
        },
      ],
    },
    {
      title: 'Outboxes',
      panels: [
        {
          title: 'Outbox backlog by service',
          description: 'Committed events not yet published (parked and waiting ones included).',
          unit: 'short',
          queries: [{ expr: 'max by (job) (hms_outbox_backlog)', legend: '{{job}}' }],
        },
        {
          title: 'Oldest unpublished age by service',
          description: 'How long the oldest of them has waited (alert at 60 s).',
          unit: 's',
          queries: [{ expr: 'max by (job) (hms_outbox_oldest_unpublished_age_seconds)', legend: '{{job}}' }],
        },
        {
          title: 'Parked and blocked events',
          description: 'Events Kafka refused for good, and later events of their keys held back.',
          unit: 'short',
          queries: [
            { expr: 'max by (job) (hms_outbox_parked_events)', legend: 'parked {{job}}' },
            { expr: 'max by (job) (hms_outbox_blocked_events)', legend: 'blocked {{job}}' },
          ],
        },
      ],
    },
  ],
};

const postgres: DashboardSpec = {
  uid: 'hms-postgres',
  title: 'HMS / PostgreSQL',
  description: 'Pools and waits, connections, slow and top statements, locks, replication.',
  rows: [
    {
      title: 'Pools (the services side)',
      panels: [
        {
          title: 'Pool in use / max by service',
          description: 'The busiest replica of each service (DatabasePoolSaturated at 90 %).',
          unit: 'percentunit',
          queries: [
            {
              expr: 'max by (job) ((sum without (state) (hms_db_pool_connections{state="total"}) - sum without (state) (hms_db_pool_connections{state="idle"})) / hms_db_pool_max_connections)',
              legend: '{{job}}',
            },
          ],
        },
        {
          title: 'Pool acquire p95 by service',
          description: 'Time transactions waited for a connection.',
          unit: 's',
          queries: [
            {
              expr: `histogram_quantile(0.95, sum by (job, le) (rate(hms_db_pool_acquire_seconds_bucket[${RI}])))`,
              legend: '{{job}}',
            },
          ],
        },
      ],
    },
    {
      title: 'Server',
      panels: [
        {
          title: 'Connections by role and state',
          description: 'Client backends, against max_connections.',
          unit: 'short',
          queries: [
            { expr: 'sum by (role, state) (pg_connections_count)', legend: '{{role}} {{state}}' },
            { expr: 'max(pg_settings_max_connections)', legend: 'max_connections' },
          ],
        },
        {
          title: 'Buffer cache hit ratio',
          description: 'Blocks found in shared buffers over all blocks read, hms database.',
          unit: 'percentunit',
          queries: [
            {
              expr: `sum(rate(pg_stat_database_blks_hit{datname="hms"}[${RI}])) / (sum(rate(pg_stat_database_blks_hit{datname="hms"}[${RI}])) + sum(rate(pg_stat_database_blks_read{datname="hms"}[${RI}])))`,
              legend: 'hit ratio',
            },
          ],
        },
        {
          title: 'Locks by mode, deadlocks',
          description: 'Locks held now, and deadlocks detected.',
          unit: 'short',
          queries: [
            { expr: 'sum by (mode) (pg_locks_count{datname="hms"})', legend: '{{mode}}' },
            { expr: `sum(increase(pg_stat_database_deadlocks{datname="hms"}[${RI}]))`, legend: 'deadlocks' },
          ],
        },
        {
          title: 'Replication',
          description: 'Streaming replicas and the replay lag of the furthest (0 and 0 on a single server).',
          unit: 's',
          queries: [
            { expr: 'max(pg_replication_standbys_standbys)', legend: 'replicas' },
            { expr: 'max(pg_replication_standbys_max_replay_lag_seconds)', legend: 'max replay lag' },
          ],
        },
      ],
    },
    {
      title: 'Statements',
      panels: [
        {
          title: 'Slow statements per second by service',
          description: 'Statements slower than 100 ms as the services ran them (PostgreSQL logs each too).',
          unit: 'ops',
          queries: [
            {
              expr: `sum by (job) (rate(hms_db_statement_duration_seconds_count[${RI}])) - sum by (job) (rate(hms_db_statement_duration_seconds_bucket{le="0.1"}[${RI}]))`,
              legend: '{{job}}',
            },
          ],
        },
        {
          title: 'Statements with a mean above 100 ms, by role',
          description: 'Distinct statements (pg_stat_statements) whose mean execution time exceeds 100 ms.',
          unit: 'short',
          queries: [{ expr: 'sum by (role) (pg_statements_slow_statements)', legend: '{{role}}' }],
        },
        {
          title: 'Top statements by execution time',
          description: 'The 15 statements with the most total execution time (normalised text, no values).',
          unit: 's',
          kind: 'table',
          width: 24,
          queries: [
            {
              expr: 'topk(15, sum by (role, statement) (pg_statements_top_exec_seconds))',
              legend: '{{role}} {{statement}}',
              instant: true,
            },
          ],
        },
      ],
    },
  ],
};

const redis: DashboardSpec = {
  uid: 'hms-redis',
  title: 'HMS / Redis and caches',
  description: 'Redis (rate limits, shared caches) and the hit ratios of the caches in front of it.',
  rows: [
    {
      title: 'Redis',
      panels: [
        {
          title: 'Commands per second',
          description: 'Commands Redis processed.',
          unit: 'ops',
          queries: [{ expr: `sum(rate(redis_commands_processed_total[${RI}]))`, legend: 'commands' }],
        },
        {
          title: 'Mean command time by command',
          description: 'Server-side time per call, by command.',
          unit: 's',
          queries: [
            {
              expr: `sum by (cmd) (rate(redis_commands_duration_seconds_total[${RI}])) / sum by (cmd) (rate(redis_commands_total[${RI}]))`,
              legend: '{{cmd}}',
            },
          ],
        },
        {
          title: 'Clients and memory',
          description: 'Connected clients, and memory used (bytes).',
          unit: 'short',
          queries: [
            { expr: 'sum(redis_connected_clients)', legend: 'clients' },
            { expr: 'sum(redis_memory_used_bytes)', legend: 'memory (bytes)' },
          ],
        },
        {
          title: 'Keyspace hit ratio',
          description: 'Reads of existing keys over all key reads (NaN while nothing reads keys).',
          unit: 'percentunit',
          queries: [
            {
              expr: `sum(rate(redis_keyspace_hits_total[${RI}])) / (sum(rate(redis_keyspace_hits_total[${RI}])) + sum(rate(redis_keyspace_misses_total[${RI}])))`,
              legend: 'hit ratio',
            },
          ],
        },
      ],
    },
    {
      title: 'Application caches',
      panels: [
        {
          title: 'Hit ratio by cache',
          description: 'In-process caches of every service (hms_cache_lookups_total).',
          unit: 'percentunit',
          queries: [
            {
              expr: `sum by (job, cache) (rate(hms_cache_lookups_total{result="hit"}[${RI}])) / sum by (job, cache) (rate(hms_cache_lookups_total[${RI}]))`,
              legend: '{{job}} {{cache}}',
            },
          ],
        },
        {
          title: 'Misses per second by cache',
          description: 'Each miss costs a database or Redis read.',
          unit: 'ops',
          queries: [
            {
              expr: `sum by (job, cache) (rate(hms_cache_lookups_total{result="miss"}[${RI}]))`,
              legend: '{{job}} {{cache}}',
            },
          ],
        },
      ],
    },
  ],
};

const liveQueues: DashboardSpec = {
  uid: 'hms-live-queues',
  title: 'HMS / live queues',
  description:
    'Doctors\u2019 live queues: how fast a check-in reaches the queue, queue reads, and the live streams (open streams, fan-out latency).',
  rows: [
    {
      title: 'Queue changes',
      panels: [
        {
          title: 'Commit to queue change (p50, p95, p99)',
          description:
            'Seconds from a check-in or cancellation committed to the queue updated: the live-queue push latency SLI (99 % within 2 s).',
          unit: 's',
          queries: quantiles('hms_kafka_event_freshness_seconds', 'group="hms.queue"'),
        },
        {
          title: 'Push latency SLO burn rate (1 h)',
          description: 'Error ratio over the last hour over the budget (1 %).',
          unit: 'short',
          kind: 'stat',
          queries: [{ expr: 'slo:live_queue_push_latency:error_ratio_rate1h / 0.01', legend: 'burn rate' }],
        },
        {
          title: 'Queue consumer lag',
          description: 'Appointment events the queue has not applied yet.',
          unit: 'short',
          queries: [{ expr: 'group:hms_kafka_consumer_lag:sum{group="hms.queue"}', legend: 'hms.queue' }],
        },
        {
          title: 'Queue reads per second and p95',
          description: 'GetQueue calls (the queue page and screens polling it).',
          unit: 'reqps',
          queries: [
            {
              expr: `sum(rate(hms_grpc_server_handling_seconds_count{job="queue", grpc_method="GetQueue"}[${RI}]))`,
              legend: 'reads/s',
            },
            {
              expr: `histogram_quantile(0.95, sum by (le) (rate(hms_grpc_server_handling_seconds_bucket{job="queue", grpc_method="GetQueue"}[${RI}])))`,
              legend: 'p95 (s)',
            },
          ],
        },
      ],
    },
    {
      title: 'Live streams',
      panels: [
        {
          title: 'Open streams per gateway',
          description: 'Live-queue streams (SSE) held open by each gateway.',
          unit: 'short',
          needs: 'live-streams',
          queries: [{ expr: 'sum by (instance) (hms_live_queue_streams)', legend: '{{instance}}' }],
        },
        {
          title: 'Fan-out latency (p95, p99)',
          description: 'From a queue change to the last open stream written.',
          unit: 's',
          needs: 'live-streams',
          queries: [0.95, 0.99].map((q) => ({
            expr: `histogram_quantile(${q}, sum by (le) (rate(hms_live_queue_fanout_seconds_bucket[${RI}])))`,
            legend: `p${Math.round(q * 100)}`,
          })),
        },
      ],
    },
  ],
};

const tenants: DashboardSpec = {
  uid: 'hms-tenants',
  title: 'HMS / tenants',
  description:
    'Top tenants by request rate, errors, p95/p99 and rate-limit rejections (recording rules over the gateway tenant label; at most TENANT_METRICS_MAX_TENANTS per gateway, the rest as _other).',
  rows: [
    {
      title: 'Top 10 tenants',
      panels: [
        {
          title: 'By request rate',
          description: 'Requests per second, all gateways.',
          unit: 'reqps',
          queries: [{ expr: 'topk(10, tenant:hms_http_requests:rate5m)', legend: '{{tenant}}' }],
        },
        {
          title: 'By 5xx ratio',
          description: 'Share of their requests answered with a 5xx.',
          unit: 'percentunit',
          queries: [{ expr: 'topk(10, tenant:hms_http_errors:ratio_rate5m)', legend: '{{tenant}}' }],
        },
        {
          title: 'By p95',
          description: 'REST latency, 95th percentile.',
          unit: 's',
          queries: [{ expr: 'topk(10, tenant:hms_http_latency:p95_5m)', legend: '{{tenant}}' }],
        },
        {
          title: 'By p99',
          description: 'REST latency, 99th percentile.',
          unit: 's',
          queries: [{ expr: 'topk(10, tenant:hms_http_latency:p99_5m)', legend: '{{tenant}}' }],
        },
        {
          title: 'By rate-limit rejections',
          description: 'Requests per second refused with 429.',
          unit: 'reqps',
          queries: [{ expr: 'topk(10, tenant:hms_http_rate_limited:rate5m)', legend: '{{tenant}}' }],
        },
        {
          title: 'Tenants breaching their SLO (last hour)',
          description:
            'Tenants with more than 0.1 % errors or a p95 above 200 ms over the hour, with enough traffic to judge (GET /api/v1/admin/metrics/problems lists them).',
          unit: 'short',
          kind: 'stat',
          queries: [{ expr: 'count(tenant:hms_slo_breach:1h) or vector(0)', legend: 'tenants' }],
        },
      ],
    },
    {
      title: 'The label bound',
      panels: [
        {
          title: 'Tenants labelled per gateway, and overflow',
          description: 'Tenants each gateway labels separately, and requests counted as _other because of the bound.',
          unit: 'short',
          queries: [
            { expr: 'max by (instance) (hms_tenant_metrics_tenants)', legend: 'labelled {{instance}}' },
            { expr: `sum(rate(hms_tenant_metrics_overflow_total[${RI}]))`, legend: 'overflow req/s' },
          ],
        },
      ],
    },
  ],
};

const autoscaling: DashboardSpec = {
  uid: 'hms-autoscaling',
  title: 'HMS / autoscaling',
  description:
    'The HPAs (docs/autoscaling.md): replicas and desired replicas from kube-state-metrics, and the inputs each HPA scales on.',
  rows: [
    {
      title: 'Replicas',
      panels: [
        {
          title: 'Current and desired replicas by HPA',
          description: 'What each HPA runs and wants (kube-state-metrics).',
          unit: 'short',
          needs: 'kubernetes',
          queries: [
            {
              expr: 'sum by (horizontalpodautoscaler) (kube_horizontalpodautoscaler_status_current_replicas)',
              legend: 'current {{horizontalpodautoscaler}}',
            },
            {
              expr: 'sum by (horizontalpodautoscaler) (kube_horizontalpodautoscaler_status_desired_replicas)',
              legend: 'desired {{horizontalpodautoscaler}}',
            },
          ],
        },
        {
          title: 'Headroom to maxReplicas',
          description: 'maxReplicas minus current replicas: 0 means the HPA can scale no further.',
          unit: 'short',
          needs: 'kubernetes',
          queries: [
            {
              expr: 'sum by (horizontalpodautoscaler) (kube_horizontalpodautoscaler_spec_max_replicas) - sum by (horizontalpodautoscaler) (kube_horizontalpodautoscaler_status_current_replicas)',
              legend: '{{horizontalpodautoscaler}}',
            },
          ],
        },
      ],
    },
    {
      title: 'HPA inputs',
      panels: [
        {
          title: 'CPU per pod against its request',
          description: 'CPU used over the CPU requested, per pod (target 70 %).',
          unit: 'percentunit',
          needs: 'kubernetes',
          queries: [
            {
              expr: `sum by (pod) (rate(container_cpu_usage_seconds_total{namespace="hms"}[${RI}])) / sum by (pod) (kube_pod_container_resource_requests{namespace="hms", resource="cpu"})`,
              legend: '{{pod}}',
            },
          ],
        },
        {
          title: 'Requests in flight per gateway (target 10)',
          description: 'The gateway HPA custom metric, as the custom-metrics pipeline reads it.',
          unit: 'short',
          queries: [{ expr: 'sum by (instance) (hms_http_server_in_flight_requests)', legend: '{{instance}}' }],
        },
        {
          title: 'Consumer lag per group (targets 500, 500, 1000 per pod)',
          description: 'The consumer HPAs external metric: lag summed over partitions.',
          unit: 'short',
          queries: [{ expr: 'group:hms_kafka_consumer_lag:sum', legend: '{{group}}' }],
        },
        {
          title: 'CPU per process (the local stack)',
          description: 'CPU seconds per second of each service process: what a pod would report.',
          unit: 'short',
          queries: [
            {
              expr: `sum by (job) (rate(process_cpu_seconds_total{job=~"gateway|appointments|billing|queue|audit"}[${RI}]))`,
              legend: '{{job}}',
            },
          ],
        },
      ],
    },
  ],
};

export const DASHBOARDS: DashboardSpec[] = [
  overview,
  gateway,
  backendDashboard(
    'appointments',
    'appointments',
    'Bookings, check-ins and reads of appointments; the events they raise.',
    [outboxRow('appointments')],
  ),
  backendDashboard('billing', 'billing', 'Bills from booking events; bill reads.', [
    outboxRow('billing'),
    consumerRow('billing', 'hms.billing'),
  ]),
  backendDashboard('queue', 'queue', 'Queue entries from check-in events; queue reads.', [
    outboxRow('queue'),
    consumerRow('queue', 'hms.queue'),
  ]),
  backendDashboard('audit', 'audit', 'The audit trail: every event recorded, queries, verification.', [
    consumerRow('audit', 'hms.audit'),
  ]),
  kafka,
  postgres,
  redis,
  liveQueues,
  tenants,
  autoscaling,
];
