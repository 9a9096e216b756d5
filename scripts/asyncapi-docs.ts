/**
 * Writes docs/events-reference.md, the AsyncAPI document of the Kafka events
 * rendered for people (proto/src/asyncapi-markdown.ts):
 *
 *   npm run asyncapi
 *
 * A unit test (proto/src/asyncapi-markdown.test.ts) fails while the committed
 * page differs from what the document renders to.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { eventsReferenceMarkdown } from '../proto/src/asyncapi-markdown.js';

const page = fileURLToPath(new URL('../docs/events-reference.md', import.meta.url));
await writeFile(page, eventsReferenceMarkdown());
console.log(`asyncapi: wrote ${page}`);
