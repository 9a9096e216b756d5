import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { HttpProblem } from './problem.js';
import { createPrometheusReader } from './prometheus.js';

async function problemOf(promise: Promise<unknown>): Promise<HttpProblem> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HttpProblem);
  return error as HttpProblem;
}

describe('Prometheus reader', () => {
  it('answers 503 with Retry-After when no Prometheus is configured or it does not answer', async () => {
    const unset = await problemOf(createPrometheusReader({ url: undefined, timeoutMs: 500 }).query('up'));
    expect(unset).toMatchObject({ status: 503, slug: 'metrics-unavailable', headers: { 'retry-after': '10' } });
    // A port nothing listens on (taken and released).
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((r) => server.close(() => r()));
    const away = await problemOf(
      createPrometheusReader({ url: `http://127.0.0.1:${port}`, timeoutMs: 500 }).query('up'),
    );
    expect(away.status).toBe(503);
  });
});
