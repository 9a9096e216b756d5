/**
 * Writes the published OpenAPI document, packages/client/openapi.json, from
 * the gateway's route contracts, then regenerates the typed client from it:
 *
 *   npm run openapi                 the document as the contracts say
 *   npm run openapi -- --release    also keep it as the release of its version,
 *                                   packages/client/releases/openapi-<version>.json
 *
 * A unit test (services/gateway/src/http/openapi/published.test.ts) fails
 * while the file differs from what the contracts say; another
 * (compatibility.test.ts) compares it with the latest release's copy.
 */
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { API_VERSION } from '../services/gateway/src/http/openapi/document.js';
import {
  publishedDocumentText,
  PUBLISHED_DOCUMENT,
  RELEASES_DIR,
} from '../services/gateway/src/http/openapi/published.js';

const { values } = parseArgs({ options: { release: { type: 'boolean', default: false } } });
const text = publishedDocumentText();
await writeFile(PUBLISHED_DOCUMENT, text);
console.log(`openapi: wrote ${PUBLISHED_DOCUMENT}`);
if (values.release) {
  const file = path.join(RELEASES_DIR, `openapi-${API_VERSION}.json`);
  const earlier = await readFile(file, 'utf8').catch(() => undefined);
  if (earlier !== undefined && earlier !== text) {
    console.error(
      `openapi: ${file} holds another document of ${API_VERSION}: a release is never rewritten; raise API_VERSION`,
    );
    process.exit(1);
  }
  await writeFile(file, text);
  console.log(`openapi: kept ${file} as release ${API_VERSION}`);
}
// The client's types follow the document (scripts/generate.sh regenerates only what is stale).
execFileSync(path.join(import.meta.dirname, 'generate.sh'), { stdio: 'inherit' });
