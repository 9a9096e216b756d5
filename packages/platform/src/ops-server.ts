/**
 * The operations endpoint of every service, on its own port: /metrics for
 * Prometheus, /livez (the process answers) and /readyz (the dependencies it
 * cannot serve without answer, and it is not shutting down). Nothing here
 * asks who is calling, so /readyz names each check and says ok or failed,
 * never why: an error's text (a host, a user, a driver's message) goes to the
 * log, once when a check starts failing.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from './logger.js';
import { OPENMETRICS_CONTENT_TYPE, openMetricsText, type Registry } from './metrics.js';

export interface HealthCheck {
  name: string;
  /**
   * Critical checks decide readiness. A non-critical one is reported but does
   * not take the instance out of service: e.g. Kafka for a producer whose
   * outbox keeps accepting work while the broker is away.
   */
  critical: boolean;
  check(): Promise<void>;
}

export interface ReadinessReport {
  ready: boolean;
  shuttingDown: boolean;
  checks: Record<string, { ok: boolean; critical: boolean; error?: string; ms: number }>;
}

export async function runChecks(
  checks: HealthCheck[],
  shuttingDown: boolean,
  timeoutMs = 2_000,
): Promise<ReadinessReport> {
  const results = await Promise.all(
    checks.map(async (c) => {
      const started = Date.now();
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          c.check(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
        return [c.name, { ok: true, critical: c.critical, ms: Date.now() - started }] as const;
      } catch (error) {
        const message = (error as Error).message || String(error);
        return [c.name, { ok: false, critical: c.critical, error: message, ms: Date.now() - started }] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const report = Object.fromEntries(results);
  const ready = !shuttingDown && results.every(([, r]) => r.ok || !r.critical);
  return { ready, shuttingDown, checks: report };
}

/** What anyone may see of a readiness report: check names, ok or failed. */
export interface PublicReadiness {
  ready: boolean;
  shuttingDown: boolean;
  checks: Record<string, 'ok' | 'failed'>;
}

export function publicReadiness(report: ReadinessReport): PublicReadiness {
  return {
    ready: report.ready,
    shuttingDown: report.shuttingDown,
    checks: Object.fromEntries(Object.entries(report.checks).map(([name, c]) => [name, c.ok ? 'ok' : 'failed'])),
  };
}

export interface OpsServer {
  port: number;
  close(): Promise<void>;
}

export async function startOpsServer(options: {
  port: number;
  host?: string;
  registry: Registry;
  checks: HealthCheck[];
  isShuttingDown: () => boolean;
  logger: Logger;
}): Promise<OpsServer> {
  // Each check's last outcome: a failure is logged when it starts, a recovery when it ends.
  const lastOk = new Map<string, boolean>();
  function logChanges(report: ReadinessReport): void {
    for (const [name, c] of Object.entries(report.checks)) {
      if (lastOk.get(name) === c.ok) continue;
      if (!c.ok) options.logger.warn({ check: name, critical: c.critical, error: c.error }, 'readiness check failed');
      else if (lastOk.has(name)) options.logger.info({ check: name }, 'readiness check recovered');
      lastOk.set(name, c.ok);
    }
  }
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (status: number, body: string, type: string) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (req.method !== 'GET') return reply(405, 'method not allowed\n', 'text/plain');
    if (path === '/livez') return reply(200, 'ok\n', 'text/plain');
    if (path === '/readyz') {
      void runChecks(options.checks, options.isShuttingDown()).then((report) => {
        logChanges(report);
        reply(report.ready ? 200 : 503, `${JSON.stringify(publicReadiness(report))}\n`, 'application/json');
      });
      return;
    }
    if (path === '/metrics') {
      // Prometheus asks for OpenMetrics first: that format carries the exemplars.
      const openMetrics = (req.headers.accept ?? '').includes('application/openmetrics-text');
      (openMetrics ? openMetricsText(options.registry) : options.registry.metrics())
        .then((text) => reply(200, text, openMetrics ? OPENMETRICS_CONTENT_TYPE : options.registry.contentType))
        .catch((error: unknown) => {
          options.logger.error({ err: error }, 'metrics collection failed');
          reply(500, 'metrics collection failed\n', 'text/plain');
        });
      return;
    }
    reply(404, 'not found\n', 'text/plain');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  options.logger.info({ port }, 'ops server listening (/metrics, /livez, /readyz)');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
