/**
 * The shipped ICD-10-CM list (data/icd10cm/codes.tsv) and the migration that
 * loads it agree row for row, and the list is what its README says it is.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFile(new URL(path, root), 'utf8');

describe('the ICD-10-CM code list', () => {
  it('is loaded by its migration exactly as the data file has it', async () => {
    const tsv = (await read('data/icd10cm/codes.tsv'))
      .trimEnd()
      .split('\n')
      .map((line) => line.split('\t') as [string, string]);
    const sql = await read('prisma/migrations/20261127000200_icd10cm_codes/migration.sql');
    const rows = [...sql.matchAll(/^\('((?:[^']|'')*)', '((?:[^']|'')*)'\)[,;]$/gm)].map(
      (m) => [m[1]!.replaceAll("''", "'"), m[2]!.replaceAll("''", "'")] as [string, string],
    );
    expect(rows.length).toBe(tsv.length);
    expect(rows).toEqual(tsv);
  });

  it('holds categories and subcategories, sorted, each once, with titles', async () => {
    const lines = (await read('data/icd10cm/codes.tsv')).trimEnd().split('\n');
    const codes = lines.map((l) => l.split('\t')[0]!);
    expect(codes.length).toBeGreaterThan(9_000);
    expect(new Set(codes).size).toBe(codes.length);
    expect([...codes].sort()).toEqual(codes);
    for (const line of lines) expect(line).toMatch(/^[A-UZ][0-9A-Z][0-9A-Z](\.[0-9A-Z])?\t\S.*$/);
    expect(lines).toContain('J45.9\tOther and unspecified asthma');
    expect(lines).toContain('I10\tEssential (primary) hypertension');
  });
});
