/**
 * The permission each route needs, declared where the route is. Today every
 * authenticated staff user holds every permission (the development tokens
 * carry no roles); the identity work checks the user's roles here, so the
 * routes already name what they need and nothing else changes.
 */
import type { RequestHandler } from 'express';

export type Permission =
  | 'queue:read'
  | 'queue:operate'
  | 'queue:configure'
  | 'queue-displays:manage'
  | 'patients:read'
  | 'patients:write'
  | 'directory:read'
  | 'directory:manage'
  | 'calendars:manage'
  | 'slots:hold'
  | 'appointments:read'
  | 'appointments:write'
  | 'scheduling:configure'
  | 'dashboard:read';

export function requirePermission(permission: Permission): RequestHandler {
  return (_req, res, next) => {
    res.locals.permission = permission;
    next();
  };
}
