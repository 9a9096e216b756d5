/**
 * Writes the published OpenAPI document, packages/client/openapi.json, from
 * the gateway's route contracts (the typed client is generated from it):
 *
 *   npm run openapi
 *
 * A unit test (services/gateway/src/http/openapi/published.test.ts) fails
 * while the file differs from what the contracts say.
 */
import { writeFile } from 'node:fs/promises';
import { publishedDocumentText, PUBLISHED_DOCUMENT } from '../services/gateway/src/http/openapi/published.js';

await writeFile(PUBLISHED_DOCUMENT, publishedDocumentText());
console.log(`openapi: wrote ${PUBLISHED_DOCUMENT}`);
