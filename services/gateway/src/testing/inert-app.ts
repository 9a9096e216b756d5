/**
 * The gateway's Express app built from inert parts, for the tests that read
 * its routes (routes.test.ts: each declares its permission;
 * openapi/document.test.ts: each is in the OpenAPI document): enough to list
 * the routes, never to serve one.
 */
import { createLogger, createMetrics } from '@hms/platform';
import type { RequestHandler } from 'express';
import { createApp, type AppDeps } from '../http/app.js';
import { declarationOf } from '../http/permissions.js';

interface Layer {
  route?: { path: string; methods: Record<string, boolean>; stack: { method?: string; handle: unknown }[] };
  handle: { stack?: Layer[] };
}

export interface ServedRoute {
  /** Upper case, e.g. GET. */
  method: string;
  /** As the router declares it, e.g. /api/v1/bills/:id. */
  path: string;
  /** The permission its handler declares (`requires`), `public` (`publicRoute`), or undefined. */
  needs: string | undefined;
}

/** Every method of every route of the app (the `.all()` of a 405 is not one), with what it declares. */
export function routesOf(app: ReturnType<typeof createApp>): ServedRoute[] {
  const found: ServedRoute[] = [];
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const method of Object.keys(layer.route.methods).filter((m) => m !== '_all')) {
          const declared = layer.route.stack
            .filter((l) => l.method === method)
            .map((l) => declarationOf(l.handle))
            .find(Boolean);
          found.push({ method: method.toUpperCase(), path: layer.route.path, needs: declared?.permission });
        }
      } else if (layer.handle.stack) {
        walk(layer.handle.stack);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
  return found;
}

const pass: RequestHandler = (_req, _res, next) => next();

export function inertApp(): ReturnType<typeof createApp> {
  const inert = {} as never;
  const deps: AppDeps = {
    logger: createLogger({ service: 'routes-test', level: 'silent' }),
    metrics: createMetrics('routes-test', { defaultMetrics: false }),
    backends: new Proxy({}, { get: () => ({ call: {} }) }) as never,
    doctors: inert,
    authentication: {
      access: inert,
      tokens: { ttlSeconds: 900 } as never,
      apiKeys: inert,
      failuresPerIpPerMinute: 60,
      apiKeyUsed: () => undefined,
    },
    limits: { budgets: pass } as never,
    loginGuard: inert,
    sessions: inert,
    admin: inert,
    accessLog: inert,
    trustProxy: 'loopback',
    auditVerifyDeadlineMs: 20_000,
    prometheus: inert,
    hub: { onHeartbeat: () => undefined } as never,
    displayTokens: inert,
    displayTokenCacheTtlMs: 5_000,
    streamCapsOf: () => ({ perQueue: 1, perToken: 1 }),
    maxStreamsPerProcess: 1,
    queueReads: { maxAgeMs: 1_000, maxBytes: 1_000_000 },
  };
  return createApp(deps);
}
