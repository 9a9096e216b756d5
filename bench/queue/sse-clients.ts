/**
 * A child process of the SSE benchmark holding its share of the clients
 * (ulimit -n raised by the parent). Told over IPC to connect, it opens every
 * stream, reports once all have their snapshot, records each change event
 * with when it arrived, and hands the records over when asked.
 */
import http from 'node:http';

interface Start {
  kind: 'connect';
  port: number;
  /** [doctorId, token] per client. */
  clients: [string, string][];
  concurrency: number;
}

interface Received {
  doctorId: string;
  seq: number;
  /** When the change committed (the event's `at`), ms. */
  at: number;
  receivedAt: number;
}

const received: Received[] = [];
const sockets: http.ClientRequest[] = [];
let failed = 0;

function open(port: number, doctorId: string, token: string): Promise<void> {
  return new Promise((resolve) => {
    const req = http.get(
      {
        host: '127.0.0.1',
        port,
        path: `/api/v1/queues/${doctorId}/stream`,
        headers: { authorization: `Bearer ${token}` },
        agent: false,
      },
      (res) => {
        if (res.statusCode !== 200) {
          failed += 1;
          res.resume();
          resolve();
          return;
        }
        let buffer = '';
        let ready = false;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          const now = Date.now();
          buffer += chunk;
          let cut;
          while ((cut = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            if (block.includes('event: snapshot') && !ready) {
              ready = true;
              resolve();
            } else if (block.includes('event: change')) {
              const data = JSON.parse(block.slice(block.indexOf('data: ') + 6)) as { seq: number; at: string };
              received.push({ doctorId, seq: data.seq, at: Date.parse(data.at), receivedAt: now });
            }
          }
        });
        res.on('error', () => undefined);
      },
    );
    req.on('error', () => {
      failed += 1;
      resolve();
    });
    sockets.push(req);
  });
}

process.on('message', async (message: Start | { kind: 'report' } | { kind: 'close' }) => {
  if (message.kind === 'connect') {
    let next = 0;
    await Promise.all(
      Array.from({ length: message.concurrency }, async () => {
        while (next < message.clients.length) {
          const [doctorId, token] = message.clients[next++]!;
          await open(message.port, doctorId, token);
        }
      }),
    );
    process.send!({ kind: 'connected', ok: message.clients.length - failed, failed });
  } else if (message.kind === 'report') {
    process.send!({ kind: 'report', received: received.splice(0) });
  } else {
    for (const s of sockets) s.destroy();
    process.send!({ kind: 'closed' });
    setTimeout(() => process.exit(0), 100);
  }
});
