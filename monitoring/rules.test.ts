/**
 * The alert rules as an SRE relies on them: every alert links a runbook that
 * exists and says what the alert means and what to do, has a severity the
 * Alertmanager routes know, and is shown by the promtool unit tests
 * (monitoring/tests, run by `npm test`) both firing on a series that should
 * fire it and quiet on one that should not.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SEVERITIES = ['critical', 'warning', 'info', 'none'];
/** Fires always, by design (a dead man's switch): it has no quiet case. */
const ALWAYS_FIRING = new Set(['Watchdog']);

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

async function yamlFiles(dir: string): Promise<{ file: string; doc: unknown }[]> {
  const names = (await readdir(path.join(ROOT, dir))).filter((f) => f.endsWith('.yml')).sort();
  return Promise.all(
    names.map(async (file) => ({ file, doc: parse(await readFile(path.join(ROOT, dir, file), 'utf8')) as unknown })),
  );
}

async function alerts(): Promise<Rule[]> {
  const files = await yamlFiles('monitoring/rules');
  return files.flatMap(({ doc }) =>
    (doc as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules.filter((r) => r.alert)),
  );
}

describe('alert rules', () => {
  it('every alert has a severity and a runbook that exists and covers meaning, confirmation, mitigation and recovery', async () => {
    const all = await alerts();
    expect(all.length).toBeGreaterThan(20);
    for (const rule of all) {
      const name = rule.alert!;
      expect(SEVERITIES, `${name} severity`).toContain(rule.labels?.severity);
      expect(rule.annotations?.runbook_url, name).toBe(`docs/runbooks/${name}.md`);
      expect(rule.annotations?.summary, `${name} summary`).toBeTruthy();
      const text = await readFile(path.join(ROOT, rule.annotations!.runbook_url!), 'utf8');
      for (const heading of ['## What it means', '## How to confirm', '## How to mitigate', '## How to recover']) {
        expect(text, `${name}: ${heading}`).toContain(heading);
      }
    }
  });

  it('every alert is shown firing and staying quiet by the promtool unit tests', async () => {
    const rulesFiles = (await yamlFiles('monitoring/rules')).map((f) => f.file);
    const tests = await yamlFiles('monitoring/tests');
    const tested = new Set<string>();
    const fired = new Set<string>();
    const quiet = new Set<string>();
    for (const { doc } of tests) {
      const suite = doc as {
        rule_files: string[];
        tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
      };
      for (const f of suite.rule_files) tested.add(path.basename(f));
      for (const t of suite.tests) {
        for (const case_ of t.alert_rule_test ?? []) {
          (case_.exp_alerts.length > 0 ? fired : quiet).add(case_.alertname);
        }
      }
    }
    expect([...tested].sort()).toEqual(expect.arrayContaining(rulesFiles));
    for (const rule of await alerts()) {
      const name = rule.alert!;
      expect(fired.has(name), `${name} is shown firing`).toBe(true);
      if (!ALWAYS_FIRING.has(name)) expect(quiet.has(name), `${name} is shown quiet`).toBe(true);
    }
  });

  it('the runbook index lists every runbook', async () => {
    const index = await readFile(path.join(ROOT, 'docs/runbooks/README.md'), 'utf8');
    for (const rule of await alerts()) expect(index).toContain(`(${rule.alert}.md)`);
  });
});
