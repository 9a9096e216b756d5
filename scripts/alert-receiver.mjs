// @ts-check
/**
 * The local stack's stand-in for a pager and a ticket queue: Alertmanager's
 * webhook receivers (monitoring/alertmanager/alertmanager.yml.template) post
 * here, one path per receiver (/hooks/pager, /hooks/ticket, ...). Each
 * notification is logged as one JSON line (the receiver, and per alert its
 * name, status, severity and summary) and the newest 500 are kept in memory
 * for GET /notifications, which the alerting test reads.
 *
 *   node scripts/alert-receiver.mjs   (scripts/infra.sh starts it; plain JavaScript,
 *                                      so it needs no installed packages)
 *
 * Listens on 127.0.0.1:HMS_ALERT_RECEIVER_PORT.
 */
import { createServer } from 'node:http';

/**
 * @typedef {{ status: string, labels: Record<string, string>, annotations: Record<string, string>, generatorURL: string }} Alert
 * @typedef {{ receivedAt: string, receiver: string, status: string, alerts: Alert[] }} Notification
 */

const KEEP = 500;
const MAX_BODY = 1024 * 1024;
const port = Number(process.env.HMS_ALERT_RECEIVER_PORT);
if (!Number.isInteger(port) || port <= 0) {
  process.stderr.write('alert-receiver: HMS_ALERT_RECEIVER_PORT is not set\n');
  process.exit(2);
}

/** @type {Notification[]} */
const kept = [];

/** @param {import('node:http').IncomingMessage} req */
async function bodyOf(req) {
  let size = 0;
  /** @type {Buffer[]} */
  const chunks = [];
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY) throw new Error('body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (req.method === 'GET' && url.pathname === '/notifications') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(kept));
    return;
  }
  const hook = /^\/hooks\/([\w-]{1,40})$/.exec(url.pathname);
  if (req.method !== 'POST' || !hook) {
    res.writeHead(404).end();
    return;
  }
  receive(hook[1] ?? '', req).then(
    () => res.writeHead(200).end(),
    (error) => res.writeHead(400, { 'content-type': 'text/plain' }).end(String(error)),
  );
});

/**
 * @param {string} receiver
 * @param {import('node:http').IncomingMessage} req
 */
async function receive(receiver, req) {
  /** @type {Partial<Notification>} */
  const body = JSON.parse(await bodyOf(req));
  /** @type {Notification} */
  const notification = {
    receivedAt: new Date().toISOString(),
    receiver,
    status: String(body.status ?? ''),
    alerts: Array.isArray(body.alerts) ? body.alerts : [],
  };
  kept.push(notification);
  if (kept.length > KEEP) kept.splice(0, kept.length - KEEP);
  for (const alert of notification.alerts) {
    process.stdout.write(
      JSON.stringify({
        time: notification.receivedAt,
        receiver,
        status: alert.status,
        alertname: alert.labels?.alertname,
        severity: alert.labels?.severity,
        summary: alert.annotations?.summary,
        runbook_url: alert.annotations?.runbook_url,
      }) + '\n',
    );
  }
}

server.listen(port, '127.0.0.1');
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
