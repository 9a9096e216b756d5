import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startHttpServer, type HttpServer } from './server.js';

const agent = new http.Agent({ keepAlive: true });
let server: HttpServer | undefined;
afterEach(async () => {
  await server?.close(100);
  agent.destroy();
});

function get(port: number, path: string): Promise<{ status: number; connection: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body }));
      })
      .on('error', reject);
  });
}

/** Answers after `?ms=`; `?stream` sends its headers at once and the body later. */
const slow: http.RequestListener = (req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  const ms = Number(url.searchParams.get('ms') ?? 0);
  if (url.searchParams.has('stream')) res.writeHead(200).write('a');
  setTimeout(() => res.end('done'), ms);
};

describe('startHttpServer close', () => {
  it('lets a request in flight finish, tells its client to reconnect, and closes at once after', async () => {
    server = await startHttpServer(slow, { host: '127.0.0.1', port: 0 });
    await get(server.port, '/'); // leaves an idle keep-alive connection behind
    const inFlight = get(server.port, '/?ms=300');
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    const closed = server.close(5_000);
    const answer = await inFlight;
    await closed;
    expect(answer).toMatchObject({ status: 200, connection: 'close', body: 'done' });
    // Without closing idle keep-alive sockets, close() would wait for the 5 s keep-alive timeout.
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('closes a keep-alive connection whose response had already started once it ends', async () => {
    server = await startHttpServer(slow, { host: '127.0.0.1', port: 0 });
    const streaming = get(server.port, '/?stream&ms=300');
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    const closed = server.close(5_000);
    expect((await streaming).body).toBe('adone');
    await closed;
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('cuts what is still open at the bound', async () => {
    server = await startHttpServer(slow, { host: '127.0.0.1', port: 0 });
    const hung = get(server.port, '/?ms=10000').catch((error: Error) => error);
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await server.close(200);
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(await hung).toBeInstanceOf(Error);
  });
});
