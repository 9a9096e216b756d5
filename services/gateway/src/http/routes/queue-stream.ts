/**
 * GET /queues/{doctorId}/stream: the doctor's queue as Server-Sent Events.
 * First a snapshot, then each change with a growing id; Last-Event-ID resumes
 * with no gap and no duplicate; a heartbeat comment every 15 s. Staff tokens
 * see any queue of their tenant, a display token only its doctors'. Caps per
 * queue and per token (the tenant's plan) and per process are checked before
 * any stream starts: over one, 429 problem+json with Retry-After.
 */
import { createHash } from 'node:crypto';
import { Router, type RequestHandler } from 'express';
import { Counter, localParts, type Metrics } from '@hms/platform';
import { z } from 'zod';
import type { DisplayToken, DisplayTokenRepository } from '../../db/display-token.repository.js';
import type { Tenant } from '../../db/tenant.repository.js';
import { parseEventId } from '../../live/queue-json.js';
import { LiveUnavailableError, type LiveClient, type QueueHub } from '../../live/queue-hub.js';
import { API_PREFIX } from '../api-prefix.js';
import type { DoctorDirectory } from '../doctors.js';
import { methodNotAllowed } from '../method-not-allowed.js';
import { requires } from '../permissions.js';
import type { StreamCapsOf } from '../plan-limits.js';
import { HttpProblem } from '../problem.js';
import { calendarDate, parseInput, uuid } from './validation.js';

export const streamRequest = {
  params: z.object({ doctorId: uuid }),
  query: z.object({ date: calendarDate.optional() }).strict(),
};

export interface StreamDeps {
  hub: QueueHub;
  doctors: DoctorDirectory;
  capsOf: StreamCapsOf;
  maxStreamsPerProcess: number;
  displayTokens: DisplayTokenRepository;
  /** Closes this gateway's streams of a revoked display token at once. */
  metrics: Metrics;
}

/** Seconds a refused client should wait: streams come and go, a short wait usually finds room. */
const RETRY_AFTER_SECONDS = '5';

export function queueStreamRoutes(deps: StreamDeps, guards: RequestHandler[]): Router {
  const router = Router();
  const perQueue = new Map<string, number>();
  const perToken = new Map<string, number>();
  const refused = new Counter({
    name: 'hms_sse_streams_refused_total',
    help: 'Live queue streams refused before they started, by cap (queue, token, process)',
    labelNames: ['cap'],
    registers: [deps.metrics.registry],
  });
  const bump = (map: Map<string, number>, key: string, by: number) => {
    const n = (map.get(key) ?? 0) + by;
    if (n <= 0) map.delete(key);
    else map.set(key, n);
  };
  const refuse = (cap: string, detail: string) => {
    refused.inc({ cap });
    return new HttpProblem(429, 'too-many-streams', detail, [], { 'retry-after': RETRY_AFTER_SECONDS });
  };

  // Every heartbeat: displays whose token was revoked are closed; streams following
  // "today" are closed when the doctor's day rolls over (they reconnect to the new one).
  // Both are decided once per token and per queue day, not per client: a gateway holds
  // thousands of streams, and a heartbeat must not cost a time-zone conversion for each.
  deps.hub.onHeartbeat(async () => {
    const byToken = new Map<string, LiveClient[]>();
    const now = new Date();
    const rolledOver = new Map<string, boolean>();
    deps.hub.forEachClient((client, sub) => {
      if (client.displayTokenId) {
        const clients = byToken.get(client.displayTokenId);
        if (clients) clients.push(client);
        else byToken.set(client.displayTokenId, [client]);
      }
      if (!client.followsToday) return;
      let over = rolledOver.get(sub.id);
      if (over === undefined) {
        const zone = sub.state?.timeZone;
        over = zone !== undefined && localParts(now, zone).date !== sub.key.serviceDate;
        rolledOver.set(sub.id, over);
      }
      if (over) client.res.end();
    });
    if (byToken.size === 0) return;
    for (const id of await deps.displayTokens.revokedAmong([...byToken.keys()])) {
      for (const client of byToken.get(id) ?? []) client.res.end();
    }
  });

  router
    .route(`${API_PREFIX}/queues/:doctorId/stream`)
    .all(...guards)
    .get(requires('queues.read', { displays: true }), async (req, res) => {
      const { params, query } = parseInput(req, streamRequest);
      const tenant = res.locals.tenant as Tenant;
      const display = res.locals.display as DisplayToken | undefined;
      if (display && !display.doctorIds.includes(params.doctorId)) {
        throw new HttpProblem(403, 'forbidden', "this display token may not watch that doctor's queue");
      }
      const doctor = await deps.doctors.find(params.doctorId);
      const serviceDate = query.date ?? localParts(new Date(), doctor.timeZone).date;
      const caps = deps.capsOf(tenant);
      const queueKey = `${tenant.id}:${params.doctorId}:${serviceDate}`;
      const bearer = req.get('authorization') ?? '';
      const tokenKey = display ? `display:${display.id}` : createHash('sha256').update(bearer).digest('base64url');
      if (deps.hub.openStreams >= deps.maxStreamsPerProcess) {
        throw refuse('process', 'this gateway holds as many live streams as it may; retry shortly');
      }
      if ((perQueue.get(queueKey) ?? 0) >= caps.perQueue) {
        throw refuse('queue', `this queue already has ${caps.perQueue} live streams here`);
      }
      if ((perToken.get(tokenKey) ?? 0) >= caps.perToken) {
        throw refuse('token', `this token already has ${caps.perToken} live streams open`);
      }
      // Counted from here, so that concurrent connects cannot all slip under a cap.
      bump(perQueue, queueKey, 1);
      bump(perToken, tokenKey, 1);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        bump(perQueue, queueKey, -1);
        bump(perToken, tokenKey, -1);
      };
      let sub;
      try {
        sub = await deps.hub.subscribe(
          { tenantId: tenant.id, doctorId: params.doctorId, serviceDate },
          { clinicName: tenant.name, doctorName: doctor.fullName },
        );
      } catch (error) {
        release();
        if (error instanceof LiveUnavailableError) {
          throw new HttpProblem(503, 'service-unavailable', 'the live queue is not available; retry shortly', [], {
            'retry-after': '2',
          });
        }
        throw error;
      }
      if (req.socket.destroyed) {
        release();
        return;
      }
      res.status(200);
      res.setHeader('content-type', 'text/event-stream; charset=utf-8');
      res.setHeader('cache-control', 'no-cache, no-transform');
      res.setHeader('x-accel-buffering', 'no');
      res.flushHeaders();
      res.write('retry: 2000\n\n');
      const resume = parseEventId(req.get('last-event-id'));
      const client: LiveClient = {
        res,
        view: display ? 'display' : 'staff',
        lastSeq: 0,
        pending: undefined,
        displayTokenId: display?.id,
        followsToday: query.date === undefined,
        onClose: () => undefined,
      };
      const current = sub;
      res.once('close', () => {
        release();
        deps.hub.detach(current, client);
      });
      await deps.hub.attach(sub, client, resume && resume.serviceDate === serviceDate ? resume.seq : undefined);
    })
    .all(methodNotAllowed('GET'));
  return router;
}
