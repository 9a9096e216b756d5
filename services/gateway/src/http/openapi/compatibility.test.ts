/**
 * /api/v1 stays compatible: the document is compared with the latest release's
 * committed copy (packages/client/releases/openapi-<version>.json) by oasdiff
 * (built by scripts/install.sh), and any breaking change fails the test unless
 * the document's major version is higher than that release's. A release adds
 * its copy with `npm run openapi -- --release`.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { API_VERSION } from './document.js';
import { PUBLISHED_DOCUMENT, RELEASES_DIR, publishedDocumentText } from './published.js';

const run = promisify(execFile);
const OASDIFF = path.join(process.env.HMS_TOOLS ?? path.join(homedir(), '.local/share/hms-tools'), 'bin', 'oasdiff');

interface Change {
  id: string;
  text: string;
  level: number;
  operation?: string;
  path?: string;
}
/** oasdiff's level of a change that breaks clients (ERR). */
const BREAKING = 3;

const semver = (v: string) => v.split('.').map(Number) as [number, number, number];
const newer = (a: string, b: string) => {
  const [x, y] = [semver(a), semver(b)];
  for (let i = 0; i < 3; i += 1) if (x[i] !== y[i]) return x[i]! > y[i]!;
  return false;
};

async function breakingChanges(base: string, revision: string): Promise<Change[]> {
  const { stdout } = await run(OASDIFF, ['breaking', base, revision, '--format', 'json'], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return ((JSON.parse(stdout || '[]') as Change[] | null) ?? []).filter((c) => c.level >= BREAKING);
}

const work = mkdtemp(path.join(tmpdir(), 'hms-oasdiff-'));
afterAll(async () => rm(await work, { recursive: true, force: true }));

async function releases(): Promise<{ version: string; file: string }[]> {
  const files = (await readdir(RELEASES_DIR)).filter((f) => /^openapi-\d+\.\d+\.\d+\.json$/.test(f));
  return files
    .map((f) => ({ version: f.slice('openapi-'.length, -'.json'.length), file: path.join(RELEASES_DIR, f) }))
    .sort((a, b) => (newer(a.version, b.version) ? 1 : newer(b.version, a.version) ? -1 : 0));
}

describe('compatibility of /api/v1 with the previous release', () => {
  it('keeps one committed copy per release, none newer than this document, each of its own version', async () => {
    const list = await releases();
    expect(list.length).toBeGreaterThan(0);
    for (const r of list) {
      expect(newer(r.version, API_VERSION), `${r.version} is newer than ${API_VERSION}`).toBe(false);
      const doc = JSON.parse(await readFile(r.file, 'utf8')) as { info: { version: string } };
      expect(doc.info.version).toBe(r.version);
    }
  });

  it('has no breaking change against the latest release, unless the major version went up', async () => {
    const latest = (await releases()).at(-1)!;
    const current = path.join(await work, 'current.json');
    await writeFile(current, publishedDocumentText());
    const breaking = await breakingChanges(latest.file, current);
    const majorUp = semver(API_VERSION)[0] > semver(latest.version)[0];
    const listed = breaking.map((c) => `${c.operation ?? ''} ${c.path ?? ''}: ${c.text} (${c.id})`);
    expect(majorUp ? [] : listed, `breaking changes since ${latest.version} (API_VERSION ${API_VERSION})`).toEqual([]);
  });

  it('is a check that can fail: a removed operation and a removed response field are breaking', async () => {
    const doc = JSON.parse(await readFile(PUBLISHED_DOCUMENT, 'utf8')) as {
      paths: Record<string, unknown>;
      components: { schemas: Record<string, { properties: Record<string, unknown>; required: string[] }> };
    };
    delete doc.paths['/appointments/{id}'];
    const appointment = doc.components.schemas.Appointment!;
    delete appointment.properties.reason;
    appointment.required = appointment.required.filter((name) => name !== 'reason');
    const broken = path.join(await work, 'broken.json');
    await writeFile(broken, JSON.stringify(doc));
    const ids = new Set((await breakingChanges(PUBLISHED_DOCUMENT, broken)).map((c) => c.id));
    expect(ids).toContain('api-path-removed-without-deprecation');
    expect(ids).toContain('response-required-property-removed');
  });
});
