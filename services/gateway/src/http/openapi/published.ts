/** Where the published document lives and its exact text (scripts/openapi.ts writes it, a test compares). */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildOpenApiDocument } from './document.js';

const CLIENT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../../packages/client');
export const PUBLISHED_DOCUMENT = path.join(CLIENT, 'openapi.json');
/** The document of each release, `openapi-<version>.json`, as it was published (compatibility.test.ts). */
export const RELEASES_DIR = path.join(CLIENT, 'releases');

export const publishedDocumentText = () => `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`;
