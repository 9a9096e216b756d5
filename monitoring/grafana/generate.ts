/**
 * Writes every dashboard of dashboards.ts to monitoring/grafana/dashboards/<uid>.json
 * (what the provisioning files load), or with --check only compares and exits 1
 * when a file differs.
 *
 *   npm run dashboards            write
 *   npm run dashboards -- --check compare (the unit test does the same)
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { DASHBOARDS } from './dashboards.js';
import { buildDashboard } from './panels.js';

export const DASHBOARDS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'dashboards');

/** File name and content of each dashboard, formatted as the repository's prettier check wants it. */
export async function renderDashboards(): Promise<{ file: string; json: string }[]> {
  return Promise.all(
    DASHBOARDS.map(async (spec) => {
      const file = path.join(DASHBOARDS_DIR, `${spec.uid}.json`);
      const options = { ...(await resolveConfig(file)), filepath: file };
      return { file, json: await format(JSON.stringify(buildDashboard(spec)), options) };
    }),
  );
}

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const { file, json } of await renderDashboards()) {
    const current = await readFile(file, 'utf8').catch(() => '');
    if (current === json) continue;
    if (check) {
      console.error(`${path.relative(process.cwd(), file)} is not what dashboards.ts generates (npm run dashboards)`);
      stale += 1;
    } else {
      await writeFile(file, json);
      process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
    }
  }
  process.exitCode = stale > 0 ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) await main();
