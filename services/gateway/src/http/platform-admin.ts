/**
 * TEMPORARY guard for platform-wide endpoints (/admin/metrics/*): the caller's
 * user id must be on PLATFORM_ADMIN_USERS. It stands in for the "platform
 * admin" permission the identity work brings; when that lands, replace this
 * guard with the permission check and drop the config key. Kept apart so the
 * switch is one line in routes/admin-metrics.ts.
 */
import type { RequestHandler } from 'express';
import { currentContext } from '@hms/platform';
import { HttpProblem } from './problem.js';

export function requirePlatformAdmin(allowList: readonly string[]): RequestHandler {
  const admins = new Set(allowList);
  return (_req, _res, next) => {
    const userId = currentContext()?.userId;
    if (!userId || !admins.has(userId)) {
      throw new HttpProblem(403, 'not-platform-admin', 'only platform administrators may read platform metrics');
    }
    next();
  };
}
