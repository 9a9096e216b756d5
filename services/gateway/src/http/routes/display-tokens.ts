/**
 * /display-tokens: issue, list and revoke the tokens waiting-room screens use.
 * Staff only (a display token is refused here like on every other route);
 * the token is shown once, at issue. Revoking closes this gateway's streams
 * of the token at once, the other gateways' at their next heartbeat.
 */
import { Router, type RequestHandler } from 'express';
import { currentContext, newId } from '@hms/platform';
import { z } from 'zod';
import type { DisplayToken, DisplayTokenRepository } from '../../db/display-token.repository.js';
import { newDisplaySecret, type DisplayAuth } from '../display-auth.js';
import type { DoctorDirectory } from '../doctors.js';
import type { QueueHub } from '../../live/queue-hub.js';
import { API_PREFIX } from '../api-prefix.js';
import { methodNotAllowed } from '../method-not-allowed.js';
import { requires } from '../permissions.js';
import { HttpProblem } from '../problem.js';
import { parseInput, uuid } from './validation.js';

const noQuery = z.object({}).strict();
export const issueRequest = {
  query: noQuery,
  body: z
    .object({
      name: z
        .string({ error: 'must be a string' })
        .trim()
        .min(1, { error: 'must not be empty' })
        .max(100, { error: 'must be at most 100 characters' }),
      doctorIds: z
        .array(uuid, { error: 'must be a list of doctor ids' })
        .min(1, { error: 'must name 1 to 5 doctors' })
        .max(5, { error: 'must name 1 to 5 doctors' }),
    })
    .strict(),
};
export const revokeRequest = { params: z.object({ id: uuid }), query: noQuery };

function tokenJson(t: DisplayToken) {
  return {
    id: t.id,
    name: t.name,
    doctorIds: t.doctorIds,
    createdBy: t.createdBy,
    createdAt: t.createdAt.toISOString(),
    revokedAt: t.revokedAt?.toISOString() ?? null,
  };
}

export function displayTokenRoutes(
  deps: { tokens: DisplayTokenRepository; auth: DisplayAuth; doctors: DoctorDirectory; hub: QueueHub },
  guards: RequestHandler[],
): Router {
  const router = Router();

  router
    .route(`${API_PREFIX}/display-tokens`)
    .all(...guards)
    .post(requires('queue_displays.manage'), async (req, res) => {
      const { body } = parseInput(req, issueRequest);
      const doctorIds = [...new Set(body.doctorIds.map((id) => id.toLowerCase()))];
      // Each doctor must be the tenant's (a 404 names the first that is not).
      for (const doctorId of doctorIds) await deps.doctors.find(doctorId);
      const ctx = currentContext()!;
      const id = newId();
      const { token, secretHash } = newDisplaySecret(id);
      const saved = await deps.tokens.create(
        { id, tenantId: ctx.tenantId!, name: body.name, doctorIds, createdBy: ctx.userId ?? '' },
        secretHash,
      );
      res.location(`${API_PREFIX}/display-tokens/${id}`);
      res.status(201).json({ displayToken: tokenJson(saved), token });
    })
    .get(requires('queue_displays.manage'), async (req, res) => {
      parseInput(req, { query: noQuery });
      res.json({ data: (await deps.tokens.list(currentContext()!.tenantId!)).map(tokenJson) });
    })
    .all(methodNotAllowed('GET', 'POST'));

  router
    .route(`${API_PREFIX}/display-tokens/:id`)
    .all(...guards)
    .delete(requires('queue_displays.manage'), async (req, res) => {
      const { params } = parseInput(req, revokeRequest);
      const id = params.id.toLowerCase();
      if (!(await deps.tokens.revoke(currentContext()!.tenantId!, id))) {
        throw new HttpProblem(404, 'not-found', `display token ${id} does not exist`);
      }
      deps.auth.forget(id);
      deps.hub.forEachClient((client) => {
        if (client.displayTokenId === id) client.res.end();
      });
      res.status(204).end();
    })
    .all(methodNotAllowed('DELETE'));

  return router;
}
