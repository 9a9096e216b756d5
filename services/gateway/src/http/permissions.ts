/**
 * What each route needs, declared beside its handler in one line:
 *
 *   .get(requires('appointments.read'), async (req, res) => { ... })
 *   .post(requires('appointments.book', { limit: 'booking' }), async (req, res) => { ... })
 *   .post(publicRoute('signing in needs no token'), async (req, res) => { ... })
 *   .get(requires('queues.read', { displays: true }), ...)   a waiting-room display may call it too
 *
 * `requires` refuses a caller without the permission (403 naming it) and spends
 * the endpoint class's budget when one is given; the backends check the same
 * permission again (grpc MethodPermissions). A test walks every route of the
 * app and fails on any method that declares neither (routes.test.ts).
 */
import type { RequestHandler } from 'express';
import type { Permission } from '@hms/proto';
import type { EndpointClass } from '../domain/plans.js';
import { identityOf } from './auth.js';
import { HttpProblem } from './problem.js';
import type { RateLimits } from './rate-limit.js';

const DECLARED = Symbol.for('hms.gateway.permission');

type Declared = RequestHandler & { [DECLARED]?: { permission: Permission | 'public'; limit?: EndpointClass } };

/** The app's rate limits, for endpoint classes (createApp sets app.locals.rateLimits). */
export const RATE_LIMITS = 'rateLimits';

export function requires(
  permission: Permission,
  options: {
    limit?: Exclude<EndpointClass, 'login'>;
    /** Waiting-room display tokens may call it too (their scope, checked by the route: their doctors). */
    displays?: boolean;
  } = {},
): RequestHandler {
  const handler: Declared = async (req, res, next) => {
    if (options.displays && res.locals.display && !res.locals.identity) return next();
    const identity = identityOf(res);
    if (!identity.permissions.has(permission)) {
      throw new HttpProblem(403, 'forbidden', `this needs the permission ${permission}`);
    }
    if (options.limit) {
      const limits = req.app.locals[RATE_LIMITS] as RateLimits;
      await limits.spendClass(options.limit, identity, res);
    }
    next();
  };
  handler[DECLARED] = { permission, ...(options.limit ? { limit: options.limit } : {}) };
  return handler;
}

/** A route anyone may call (signing in, the public keys): said out loud, with why. */
export function publicRoute(_why: string): RequestHandler {
  const handler: Declared = (_req, _res, next) => next();
  handler[DECLARED] = { permission: 'public' };
  return handler;
}

/** The permission a handler declares, if it is one of the above. */
export function declarationOf(
  handler: unknown,
): { permission: Permission | 'public'; limit?: EndpointClass } | undefined {
  return typeof handler === 'function' ? (handler as Declared)[DECLARED] : undefined;
}
