/**
 * Three suites, all against the real parts:
 * - unit: pure logic, `*.test.ts` beside the code;
 * - integration: `*.int.test.ts`, services started in-process against the
 *   real PostgreSQL, Redis and Kafka of the test stack;
 * - e2e: `e2e/*.e2e.test.ts`, through nginx to the running services;
 * - recovery: `e2e/*.recovery.test.ts`, the backup and point-in-time restore rehearsal;
 * - k8s: `helm/test/*.k8s.test.ts`, the Helm chart on the local Kubernetes control plane.
 * `scripts/hms test` starts the stack and runs them in that order.
 */
import { defineConfig } from 'vitest/config';

const ignored = ['**/node_modules/**', '**/dist/**'];
// As every service process: tracing with the instrumentations, before any test module loads
// (then the test-runner part: testing/preload.ts).
const preload = ['--import', '@hms/platform/register', '--import', '@hms/platform/testing/preload'];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{proto,packages,services,scripts,helm,monitoring}/**/*.test.ts'],
          exclude: [...ignored, '**/*.int.test.ts', '**/*.k8s.test.ts'],
          setupFiles: ['packages/platform/src/testing/setup.ts'],
          execArgv: preload,
          // Unit tests assert behaviour, never time: a loaded shared machine (the
          // first test of a file may load eslint, or build a long chain) must not
          // fail them by the clock.
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['{proto,packages,services}/**/*.int.test.ts'],
          exclude: ignored,
          setupFiles: ['packages/platform/src/testing/setup.ts'],
          execArgv: preload,
          // One file at a time: the files share one Kafka and one database.
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          // The Helm chart on the local control plane (scripts/k8s.sh).
          name: 'k8s',
          include: ['helm/**/*.k8s.test.ts'],
          exclude: ignored,
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 600_000,
        },
      },
      {
        test: {
          // Point-in-time restore rehearsal (scripts/hms restore): destructive, run after the e2e suite.
          name: 'recovery',
          include: ['e2e/**/*.recovery.test.ts'],
          exclude: ignored,
          setupFiles: ['packages/platform/src/testing/setup.ts'],
          execArgv: preload,
          fileParallelism: false,
          testTimeout: 600_000,
          hookTimeout: 180_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['e2e/**/*.e2e.test.ts'],
          exclude: ignored,
          setupFiles: ['packages/platform/src/testing/setup.ts'],
          execArgv: preload,
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
