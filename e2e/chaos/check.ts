/**
 * The invariant checker on its own, for a ledger a load run wrote (JSON of
 * the Ledger type in invariants.ts):
 *
 *   scripts/with-test-env node --import tsx e2e/chaos/check.ts LEDGER.json
 *
 * Prints each check; exits 1 when one fails.
 */
import { readFileSync } from 'node:fs';
import { createChecker, describeReport, type Ledger } from './invariants.js';

const file = process.argv[2];
if (!file) {
  console.error('usage: e2e/chaos/check.ts LEDGER.json');
  process.exit(2);
}
const ledger = JSON.parse(readFileSync(file, 'utf8')) as Ledger;
const checker = createChecker();
try {
  const report = await checker.check(ledger);
  console.log(describeReport(report));
  console.log(report.ok ? `invariants hold (settled in ${report.settledMs} ms)` : 'INVARIANTS BROKEN');
  process.exitCode = report.ok ? 0 : 1;
} finally {
  await checker.close();
}
