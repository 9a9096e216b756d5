/**
 * `npm run chaos` (scripts/hms chaos): every fault scenario under load against
 * the running test stack, each ending with the invariant checker, then a table
 * of faults: requests sent, accepted, answers by status, whether the
 * invariants held, recovery time and the scenario's own figures.
 *
 *   node --import tsx e2e/chaos/run.ts [--short] [--only NAME[,NAME]] [--json FILE]
 *
 * Exits 1 when any scenario broke an invariant or an expectation.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { describeReport } from './invariants.js';
import { restoreStack, runScenario, SCENARIOS, table, type ScenarioResult } from './scenarios.js';

const { values } = parseArgs({
  options: { short: { type: 'boolean', default: false }, only: { type: 'string' }, json: { type: 'string' } },
});
const only = values.only?.split(',');
const chosen = SCENARIOS.filter((s) => !only || only.includes(s.name));
if (chosen.length === 0) {
  console.error(`no scenario named ${values.only}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  process.exit(2);
}
const scale = values.short ? 'short' : 'full';
const results: ScenarioResult[] = [];
for (const scenario of chosen) {
  const started = Date.now();
  console.log(`== ${scenario.name} (${scale})`);
  try {
    const result = await runScenario(scenario, scale);
    results.push(result);
    console.log(describeReport(result.report));
    for (const p of result.problems) console.log(`  PROBLEM ${p}`);
  } catch (error) {
    console.log(`  ERROR ${(error as Error).stack ?? String(error)}`);
    await restoreStack().catch(() => undefined);
    process.exitCode = 1;
  }
  console.log(`   ${((Date.now() - started) / 1000).toFixed(0)} s`);
}
console.log(`\n${table(results)}`);
if (values.json) writeFileSync(values.json, JSON.stringify(results, null, 2));
if (results.some((r) => !r.report.ok || r.problems.length > 0)) process.exitCode = 1;
process.exit();
