/**
 * The fault scenarios of `npm run chaos` in their short form (10 s outages
 * instead of 60 s), each under load through nginx and each ending with the
 * invariant checker: nothing the API accepted lost or doubled, every event
 * audited once, the chains intact, no dead letter, payments within totals, and
 * the edge's contract kept (no 500, 503s with Retry-After, no hang).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { describeReport } from './chaos/invariants.js';
import {
  killNine,
  networkFaults,
  kafkaDown,
  postgresRestart,
  redisDown,
  restoreStack,
  runScenario,
  table,
  type Scenario,
  type ScenarioResult,
} from './chaos/scenarios.js';

const results: ScenarioResult[] = [];

afterAll(async () => {
  // Whatever a failed scenario left stopped is started again for the suites after this one.
  await restoreStack();
  if (results.length > 0) console.log(`\n${table(results)}`);
});

async function survives(scenario: Scenario): Promise<ScenarioResult> {
  const result = await runScenario(scenario, 'short');
  results.push(result);
  expect(result.problems, describeReport(result.report)).toEqual([]);
  expect(result.report.checks.filter((c) => !c.ok)).toEqual([]);
  expect(result.stats.accepted).toBeGreaterThan(20);
  expect(result.stats.byStatus['500'] ?? 0).toBe(0);
  return result;
}

// A scenario with its restarts, settling and checks takes minutes on a loaded machine.
const SCENARIO_TIMEOUT_MS = 480_000;

describe('faults under load (short forms of npm run chaos)', () => {
  it(
    'Kafka down: every accepted effect arrives once, lag back to 0 within 30 s of the broker',
    async () => {
      const r = await survives(kafkaDown);
      expect(r.figures.lagZeroMs).toBeLessThanOrEqual(30_000);
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    'Redis down: bookings and reads go on, the live stream delivers again after it returns',
    async () => {
      const r = await survives(redisDown);
      expect(r.figures.failuresWhileDown).toBe(0);
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    'PostgreSQL restarted: 503 problem+json with Retry-After, no hang, readiness down and up, nothing lost',
    async () => {
      const r = await survives(postgresRestart);
      expect(Number(r.figures['503s'])).toBeGreaterThan(0);
      expect(r.stats.hangs).toBe(0);
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    'kill -9 of each service and of the broker at random moments, then restarted: nothing lost or doubled',
    async () => {
      await survives(killNine);
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    'network faults through toxiproxy (latency, timeout, resets, bandwidth; Kafka too): bounded answers, healthy within 10 s',
    async () => {
      const r = await survives(networkFaults);
      expect(r.stats.hangs).toBe(0);
      // Five toxics on PostgreSQL, billing's gRPC port and Redis, two in front of the broker.
      expect(Object.keys(r.figures).filter((k) => k.endsWith('RecoveredMs'))).toHaveLength(7);
      expect(r.figures).toHaveProperty('kafkaResetRecoveredMs');
    },
    SCENARIO_TIMEOUT_MS,
  );
});
