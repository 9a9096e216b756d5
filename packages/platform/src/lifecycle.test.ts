import { describe, expect, it } from 'vitest';
import { createLifecycle } from './lifecycle.js';
import { createLogger } from './logger.js';
import { runChecks } from './ops-server.js';

const logger = createLogger({ service: 'test', level: 'silent' });

describe('lifecycle', () => {
  it('closes in reverse order of registration, once, and flags shutting down at once', async () => {
    const order: string[] = [];
    const lifecycle = createLifecycle({ logger, timeoutMs: 1_000 });
    lifecycle.onShutdown('pool', () => {
      order.push('pool');
    });
    lifecycle.onShutdown('server', async () => {
      expect(lifecycle.shuttingDown).toBe(true);
      expect(lifecycle.signal.aborted).toBe(true);
      order.push('server');
    });
    const [a, b] = await Promise.all([lifecycle.shutdown('test'), lifecycle.shutdown('again')]);
    expect([a, b]).toEqual([true, true]);
    expect(order).toEqual(['server', 'pool']);
  });

  it('keeps closing after a failing close and reports a hung one', async () => {
    const order: string[] = [];
    const lifecycle = createLifecycle({ logger, timeoutMs: 200 });
    lifecycle.onShutdown('hangs', () => new Promise(() => undefined));
    lifecycle.onShutdown('fails', () => {
      order.push('fails');
      throw new Error('boom');
    });
    expect(await lifecycle.shutdown('test')).toBe(false);
    expect(order).toEqual(['fails']);
  });
});

describe('readiness', () => {
  it('fails only on critical checks, times out slow checks, and is never ready while shutting down', async () => {
    const ok = { name: 'db', critical: true, check: async () => undefined };
    const downButOptional = { name: 'kafka', critical: false, check: async () => Promise.reject(new Error('away')) };
    const slow = { name: 'slow', critical: true, check: () => new Promise<void>((r) => setTimeout(r, 500)) };
    const report = await runChecks([ok, downButOptional], false);
    expect(report.ready).toBe(true);
    expect(report.checks.kafka).toMatchObject({ ok: false, critical: false, error: 'away' });
    const timedOut = await runChecks([ok, slow], false, 50);
    expect(timedOut.ready).toBe(false);
    expect(timedOut.checks.slow?.error).toMatch(/timed out/);
    expect((await runChecks([ok], true)).ready).toBe(false);
  });
});
