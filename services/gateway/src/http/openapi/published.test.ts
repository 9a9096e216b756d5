import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { publishedDocumentText, PUBLISHED_DOCUMENT } from './published.js';

describe('the published OpenAPI document (packages/client/openapi.json)', () => {
  it('is exactly what the route contracts make (run `npm run openapi` after changing one)', async () => {
    expect(await readFile(PUBLISHED_DOCUMENT, 'utf8')).toBe(publishedDocumentText());
  });
});
