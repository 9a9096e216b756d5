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
import type { Duplex } from 'node:stream';

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
  server.on('clientError', answerUnreadableRequest);
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

const CLIENT_ERRORS: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout'],
};

/**
 * A request Node's parser refuses (a NUL or another forbidden byte in a header,
 * a malformed request line) never reaches Express; it still gets problem+json.
 */
function answerUnreadableRequest(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable || error.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const [status, title] = CLIENT_ERRORS[error.code ?? ''] ?? [400, 'Bad Request'];
  const body = JSON.stringify({
    type: 'urn:hms:problem:unreadable-request',
    title,
    status,
    detail: 'the request cannot be read as HTTP',
  });
  socket.end(
    `HTTP/1.1 ${status} ${title}\r\ncontent-type: application/problem+json\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}
