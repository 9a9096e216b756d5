/**
 * A Server-Sent Events client for tests, on node:http so that every part can
 * be controlled: headers (Authorization, Last-Event-ID), reading or not
 * reading (a slow client), and closing at any moment. Parses events as the
 * HTML standard says (fields, comments, blank-line dispatch).
 */
import http from 'node:http';

export interface SseEvent {
  id: string;
  event: string;
  data: string;
  /** data parsed as JSON. */
  json: Record<string, unknown>;
}

export interface SseStream {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body when the server refused (not 200). */
  body: string;
  events: SseEvent[];
  comments: number;
  /** Resolves when the server closed the stream. */
  ended: Promise<void>;
  /** Waits until `predicate` holds for the events received. */
  waitFor(predicate: (events: SseEvent[]) => boolean, timeoutMs?: number, what?: string): Promise<SseEvent[]>;
  close(): void;
}

export function openSse(
  url: string,
  options: { headers?: Record<string, string>; read?: boolean; agent?: http.Agent } = {},
): Promise<SseStream> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, {
      headers: { accept: 'text/event-stream', ...options.headers },
      agent: options.agent ?? false,
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const events: SseEvent[] = [];
      const waiters = new Set<() => void>();
      let buffer = '';
      let body = '';
      let comments = 0;
      let endResolve!: () => void;
      const ended = new Promise<void>((r) => (endResolve = r));
      const stream: SseStream = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        get body() {
          return body;
        },
        events,
        get comments() {
          return comments;
        },
        ended,
        waitFor(predicate, timeoutMs = 10_000, what = 'events') {
          return new Promise((ok, fail) => {
            const check = () => {
              if (!predicate(events)) return false;
              waiters.delete(check);
              clearTimeout(timer);
              ok(events);
              return true;
            };
            const timer = setTimeout(() => {
              waiters.delete(check);
              fail(
                new Error(`timed out waiting for ${what}; got ${events.map((e) => `${e.event}#${e.id}`).join(', ')}`),
              );
            }, timeoutMs);
            if (!check()) waiters.add(check);
          });
        },
        close: () => {
          req.destroy();
          res.destroy();
        },
      };
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (stream.status !== 200) {
          body += chunk;
          return;
        }
        buffer += chunk;
        let cut;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          let id = '';
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) {
              comments += 1;
              continue;
            }
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'id') id = value;
            else if (field === 'event') event = value;
            else if (field === 'data') data.push(value);
          }
          if (data.length === 0) continue;
          const text = data.join('\n');
          events.push({ id, event, data: text, json: JSON.parse(text) as Record<string, unknown> });
        }
        for (const waiter of [...waiters]) waiter();
      });
      res.on('end', endResolve);
      res.on('close', endResolve);
      if (options.read === false) res.pause();
      resolve(stream);
    });
  });
}
