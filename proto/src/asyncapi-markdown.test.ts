import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { buildAsyncApiDocument } from './asyncapi.js';
import { eventsReferenceMarkdown, renderAsyncApiMarkdown } from './asyncapi-markdown.js';
import { EVENTS, TOPICS } from './events.js';

const PAGE = new URL('../../docs/events-reference.md', import.meta.url);

describe('the events reference page (docs/events-reference.md)', () => {
  it('is committed exactly as the AsyncAPI document renders (npm run asyncapi)', async () => {
    expect(await readFile(PAGE, 'utf8')).toBe(eventsReferenceMarkdown());
  });

  it('has every topic, every event type with its payload fields, and the CloudEvents headers', () => {
    const page = renderAsyncApiMarkdown(buildAsyncApiDocument({ version: '1.0.0' }));
    for (const topic of Object.values(TOPICS)) expect(page).toContain(`## \`${topic}\``);
    for (const def of Object.values(EVENTS)) {
      expect(page).toContain(`### ${def.type}\n`);
      expect(page).toContain(`Payload \`${def.messageType}\``);
    }
    for (const header of ['ce_id', 'ce_type', 'ce_source', 'ce_time', 'ce_subject', 'content-type']) {
      expect(page).toContain(`| \`${header}\``);
    }
    // A payload's fields in their proto3 JSON types, and a link to a type a payload uses, which has its table.
    expect(page).toMatch(/\| `consultationFeeMinor` \| string \(int64\) \|/);
    expect(page).toMatch(/\| `startsAt` \| string \(date-time, RFC 3339, UTC\) \|/);
    const links = [...page.matchAll(/\]\(#([a-z0-9_-]+)\)/g)].map((m) => m[1]!);
    const headings = new Set(
      [...page.matchAll(/^#+ (.+)$/gm)].map((m) => m[1]!.toLowerCase().replace(/[^a-z0-9 _-]/g, '')),
    );
    expect(links.length).toBeGreaterThan(30);
    for (const link of links) expect(headings, link).toContain(link);
  });
});
