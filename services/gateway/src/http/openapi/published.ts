/** Where the published document lives and its exact text (scripts/openapi.ts writes it, a test compares). */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildOpenApiDocument } from './document.js';

export const PUBLISHED_DOCUMENT = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../../../packages/client/openapi.json',
);

export const publishedDocumentText = () => `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`;
