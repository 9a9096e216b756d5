/**
 * The REST API's HTTP server and its graceful close. Node's server.close()
 * only stops accepting: a keep-alive connection whose request is in flight
 * stays open until the keep-alive timeout, and a client may send another
 * request on it meanwhile. So on close every response still to be sent says
 * `Connection: close`, idle connections are closed as they become idle, and
 * whatever is still open at the bound is cut.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HttpServer {
  port: number;
  /** Stops accepting, lets requests in flight finish within `boundMs`, then closes every connection. */
  close(boundMs: number): Promise<void>;
}

export async function startHttpServer(
  handler: http.RequestListener,
  options: { host: string; port: number },
): Promise<HttpServer> {
  const server = http.createServer();
  const inFlight = new Set<http.ServerResponse>();
  let closing = false;
  // Before the handler, so the header is set before anything could be sent.
  server.on('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
    if (closing) res.setHeader('connection', 'close');
    inFlight.add(res);
    res.once('close', () => {
      inFlight.delete(res);
      if (closing) setImmediate(() => server.closeIdleConnections());
    });
  });
  server.on('request', handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  let closed: Promise<void> | undefined;
  return {
    port: (server.address() as AddressInfo).port,
    close(boundMs) {
      closed ??= new Promise<void>((resolve) => {
        closing = true;
        for (const res of inFlight) if (!res.headersSent) res.setHeader('connection', 'close');
        const bound = setTimeout(() => server.closeAllConnections(), boundMs);
        server.close(() => {
          clearTimeout(bound);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closed;
    },
  };
}
