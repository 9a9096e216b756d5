import type { IncomingMessage } from 'node:http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { describe, expect, it } from 'vitest';
import { hmsInstrumentations } from './instrumentations.js';

const http = hmsInstrumentations({ enabled: false }).find((i) => i instanceof HttpInstrumentation)!;
const ignored = (url: string, accept?: string) =>
  http.getConfig().ignoreIncomingRequestHook!({ url, headers: accept ? { accept } : {} } as IncomingMessage);

describe('the http instrumentation', () => {
  it('makes no span for probes, scrapes and live event streams', () => {
    expect(ignored('/metrics')).toBe(true);
    expect(ignored('/readyz')).toBe(true);
    expect(ignored('/api/v1/queues/0194a2b8-7c1e-7000-8000-000000000001/stream?date=2026-11-24')).toBe(true);
    expect(ignored('/api/v1/anything', 'text/event-stream')).toBe(true);
  });

  it('traces every other request', () => {
    expect(ignored('/api/v1/appointments')).toBe(false);
    expect(ignored('/api/v1/queues/0194a2b8-7c1e-7000-8000-000000000001', 'application/json')).toBe(false);
    expect(ignored('/api/v1/streamlined')).toBe(false);
  });
});
