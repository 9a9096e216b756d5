import { describe, expect, it } from 'vitest';
import { wire } from './queue-hub.js';

describe('wire', () => {
  it('frames an SSE frame as one HTTP/1.1 chunk: its size in bytes (hex), the frame, CRLF', () => {
    // Non-ASCII text (a room named in Hindi) is longer in bytes than in characters.
    const frame = 'id: 1\nevent: change\ndata: {"room":"कक्ष 3"}\n\n';
    const { chunk, text } = wire(frame);
    const size = Buffer.byteLength(frame);
    expect(size).toBeGreaterThan(frame.length);
    expect(chunk.toString()).toBe(`${size.toString(16)}\r\n${frame}\r\n`);
    expect(text.toString()).toBe(frame);
  });
});
