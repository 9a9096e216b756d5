/**
 * Signing in and out (no token needed; nginx limits these per address too):
 *
 *   POST /api/v1/auth/login     {tenant, username | email, password} -> access + refresh token
 *   POST /api/v1/auth/refresh   {refreshToken} -> a new pair; the old refresh token is spent
 *   POST /api/v1/auth/logout    {refreshToken}, or an access token: ends the session
 *   GET  /.well-known/jwks.json the public keys access tokens are signed with
 *
 * A refused sign-in says only that it was refused, whatever the reason.
 */
import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import type { Access } from '../../auth/access.js';
import type { AccessTokens } from '../../auth/access-tokens.js';
import { login, logout, refresh, refuseLogin, type SessionDeps, type SignedIn } from '../../domain/login.js';
import { API_PREFIX } from '../api-prefix.js';
import { identityOf, unauthorized, type Identity } from '../auth.js';
import type { LoginGuard } from '../login-guard.js';
import { methodNotAllowed } from '../method-not-allowed.js';
import { publicRoute } from '../permissions.js';
import { HttpProblem } from '../problem.js';
import { parseInput } from './validation.js';

const text = (max: number) => z.string({ error: 'must be a string' }).min(1, { error: 'required' }).max(max);

export const loginRequest = {
  body: z
    .object({
      tenant: text(100),
      username: text(254).optional(),
      email: text(254).optional(),
      password: z.string({ error: 'must be a string' }).min(1, { error: 'required' }).max(1024),
    })
    .strict()
    .refine((b) => (b.username === undefined) !== (b.email === undefined), {
      path: ['username'],
      error: 'give either username or email',
    }),
  query: z.object({}).strict(),
};

export const refreshRequest = {
  body: z.object({ refreshToken: text(200) }).strict(),
  query: z.object({}).strict(),
};

export const logoutRequest = {
  body: z.object({ refreshToken: text(200).optional() }).strict(),
  query: z.object({}).strict(),
};

export interface AuthRouteDeps {
  sessions: SessionDeps;
  tokens: AccessTokens;
  access: Access;
  guard: LoginGuard;
  /** JSON body parsing and the NUL check (what the API's guards do after authentication). */
  body: RequestHandler[];
  /** Authenticates when a bearer token is present (logout with an access token). */
  authenticateIfPresent: RequestHandler;
}

const INVALID_CREDENTIALS = () =>
  new HttpProblem(401, 'invalid-credentials', 'the tenant, username or password is wrong');

export function authRoutes(deps: AuthRouteDeps): Router {
  const router = Router();
  const client = (req: { ip?: string | undefined; get(name: string): string | undefined }) => ({
    ip: req.ip ?? '',
    userAgent: (req.get('user-agent') ?? '').slice(0, 200),
  });

  async function tokensFor(signedIn: SignedIn) {
    const { token, expiresAt } = await deps.tokens.sign({
      tenantId: signedIn.tenant.id,
      userId: signedIn.user.id,
      roles: signedIn.user.roles,
      permissionsVersion: signedIn.tenant.permissionsVersion,
      sessionId: signedIn.session.id,
    });
    return {
      tokenType: 'Bearer',
      accessToken: token,
      expiresIn: deps.tokens.ttlSeconds,
      expiresAt: expiresAt.toISOString(),
      refreshToken: signedIn.refreshToken.token,
      refreshTokenExpiresAt: signedIn.refreshToken.expiresAt.toISOString(),
      user: {
        id: signedIn.user.id,
        username: signedIn.user.username,
        displayName: signedIn.user.displayName,
        roles: signedIn.user.roles,
      },
      tenant: { id: signedIn.tenant.id, slug: signedIn.tenant.slug, name: signedIn.tenant.name },
    };
  }

  router
    .route(`${API_PREFIX}/auth/login`)
    .all(...deps.body)
    .post(publicRoute('signing in is how a token is had'), async (req, res) => {
      const { body } = parseInput(req, loginRequest);
      const identifier = (body.username ?? body.email)!;
      const who = client(req);
      const attempt = { tenant: body.tenant, identifier, ip: who.ip };
      const refusal = await deps.guard.admit(attempt);
      if (refusal) {
        await refuseLogin(deps.sessions, attempt, refusal.reason, who);
        throw refusal.refused;
      }
      const outcome = await login(deps.sessions, {
        tenant: body.tenant,
        identifier,
        password: body.password,
        client: who,
      });
      if (!outcome.ok) {
        await deps.guard.failed(attempt);
        throw INVALID_CREDENTIALS();
      }
      res.set('cache-control', 'no-store');
      res.json(await tokensFor(outcome.signedIn));
    })
    .all(methodNotAllowed('POST'));

  router
    .route(`${API_PREFIX}/auth/refresh`)
    .all(...deps.body)
    .post(publicRoute('the refresh token is the credential'), async (req, res) => {
      const { body } = parseInput(req, refreshRequest);
      const outcome = await refresh(deps.sessions, { refreshToken: body.refreshToken, client: client(req) });
      if (!outcome.ok) {
        if (outcome.reason === 'reused' && outcome.sessionId) {
          const tenantId = body.refreshToken.split('.')[1]!;
          await deps.access.sessionEnded(tenantId, outcome.sessionId);
        }
        throw unauthorized(
          outcome.reason === 'reused'
            ? 'this refresh token was used already; the session has ended, sign in again'
            : 'the refresh token is not valid; sign in again',
        );
      }
      res.set('cache-control', 'no-store');
      res.json(await tokensFor(outcome.signedIn));
    })
    .all(methodNotAllowed('POST'));

  router
    .route(`${API_PREFIX}/auth/logout`)
    .all(...deps.body, deps.authenticateIfPresent)
    .post(publicRoute('the refresh or access token given is the credential'), async (req, res) => {
      const { body } = parseInput(req, logoutRequest);
      const identity = res.locals.identity as Identity | undefined;
      let ended: { tenantId: string; sessionId: string } | undefined;
      if (body.refreshToken) {
        ended = await logout(deps.sessions, { refreshToken: body.refreshToken });
      } else if (identity?.sessionId) {
        ended = await logout(deps.sessions, { tenantId: identity.tenant.id, sessionId: identity.sessionId });
      } else {
        identityOf(res);
        throw new HttpProblem(400, 'validation-failed', 'the request is not valid', [
          { field: 'refreshToken', message: 'required (or sign out with the access token of a session)' },
        ]);
      }
      if (!ended) throw unauthorized('the refresh token is not valid');
      await deps.access.sessionEnded(ended.tenantId, ended.sessionId);
      res.status(204).end();
    })
    .all(methodNotAllowed('POST'));

  router
    .route('/.well-known/jwks.json')
    .get(publicRoute('public keys are public'), async (_req, res) => {
      res.set('cache-control', 'public, max-age=300');
      res.json(await deps.tokens.jwks());
    })
    .all(methodNotAllowed('GET'));

  return router;
}
