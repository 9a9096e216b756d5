import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runWithContext } from './context.js';
import { createLogger } from './logger.js';
import { currentTraceId, withSpan } from './tracing.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createLogger({ service: 'billing', level: 'info', destination }) };
}

describe('logger', () => {
  it('writes JSON lines naming the service, request, tenant and trace', async () => {
    const { lines, logger } = capture();
    let traceId = '';
    await withSpan('request', {}, async () => {
      traceId = currentTraceId();
      runWithContext({ requestId: 'req-7', tenantId: 'tenant-1' }, () => logger.info({ billId: 'b1' }, 'bill created'));
    });
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(lines[0]).toMatchObject({
      level: 'info',
      service: 'billing',
      requestId: 'req-7',
      tenantId: 'tenant-1',
      traceId,
      billId: 'b1',
      msg: 'bill created',
    });
    expect(new Date(String(lines[0]!.time)).toISOString()).toBe(lines[0]!.time);
  });

  it('leaves out what is not known outside a request', () => {
    const { lines, logger } = capture();
    logger.info('starting');
    expect(lines[0]).toMatchObject({ service: 'billing', msg: 'starting' });
    expect(lines[0]).not.toHaveProperty('requestId');
    expect(lines[0]).not.toHaveProperty('traceId');
  });
});
