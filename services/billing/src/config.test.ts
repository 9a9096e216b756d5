import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));

describe('configuration at start', () => {
  it('stops the process with a message naming each bad or missing key', () => {
    const run = spawnSync(process.execPath, [main], {
      env: { PATH: process.env.PATH, KAFKA_BROKERS: 'localhost:9092', GRPC_PORT: 'ninety' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.status).toBe(78);
    expect(run.stderr).toMatch(/invalid configuration/);
    expect(run.stderr).toMatch(/DATABASE_URL: .*PostgreSQL URL/);
    expect(run.stderr).toMatch(/GRPC_PORT: /);
    expect(run.stderr).toMatch(/INTERNAL_TOKEN_PUBLIC_KEYS: /);
    expect(run.stderr).not.toMatch(/KAFKA_BROKERS/);
  });
});
