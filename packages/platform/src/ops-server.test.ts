import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';
import { createMetrics } from './metrics.js';
import { startOpsServer } from './ops-server.js';

describe('ops server', () => {
  it('tells anyone which checks pass, never why one fails; the reason goes to the log once', async () => {
    const lines: Record<string, unknown>[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
        done();
      },
    });
    const secret = 'password authentication failed for user "hms_billing" at 10.1.2.3:5432';
    let down = true;
    const ops = await startOpsServer({
      host: '127.0.0.1',
      port: 0,
      registry: createMetrics('test', { defaultMetrics: false }).registry,
      checks: [
        { name: 'postgres', critical: true, check: async () => (down ? Promise.reject(new Error(secret)) : undefined) },
        { name: 'kafka', critical: false, check: async () => undefined },
      ],
      isShuttingDown: () => false,
      logger: createLogger({ service: 'test', level: 'info', destination }),
    });
    try {
      const readyz = () => fetch(`http://127.0.0.1:${ops.port}/readyz`);
      for (let i = 0; i < 3; i += 1) {
        const r = await readyz();
        expect(r.status).toBe(503);
        const text = await r.text();
        expect(JSON.parse(text)).toEqual({
          ready: false,
          shuttingDown: false,
          checks: { postgres: 'failed', kafka: 'ok' },
        });
        expect(text).not.toMatch(/password|hms_billing|10\.1\.2\.3|ms"/);
      }
      const failures = lines.filter((l) => l.msg === 'readiness check failed');
      expect(failures).toEqual([expect.objectContaining({ check: 'postgres', critical: true, error: secret })]);
      down = false;
      expect((await readyz()).status).toBe(200);
      expect(lines.filter((l) => l.msg === 'readiness check recovered')).toHaveLength(1);
    } finally {
      await ops.close();
    }
  });
});
