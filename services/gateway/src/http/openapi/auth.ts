/** The contracts of signing in and out, and the public keys (routes/auth.ts). */
import { loginRequest, logoutRequest, refreshRequest } from '../routes/auth.js';
import { contracts } from './contract.js';
import { JwksSchema, SessionTokensSchema } from './schemas.js';

const tag = 'Authentication';
const noStore = {
  'Cache-Control': { description: 'no-store: tokens are never cached', schema: { type: 'string' as const } },
};

export const authContracts = contracts(
  {
    method: 'post',
    path: '/api/v1/auth/login',
    operationId: 'login',
    tag,
    summary: 'Sign in with the tenant, a username or e-mail, and the password: an access and a refresh token',
    description:
      'A refused sign-in says only that it was refused (401), whatever the reason. Repeated failures for one ' +
      'account or address are refused for a while (429 with Retry-After).',
    auth: 'public',
    request: loginRequest,
    example: { tenant: 'city-clinic', username: 'reception', password: 'correct horse battery staple' },
    responses: { 200: { description: 'Signed in', schema: SessionTokensSchema, headers: noStore } },
    errors: [401, 413, 415, 429],
  },
  {
    method: 'post',
    path: '/api/v1/auth/refresh',
    operationId: 'refreshSession',
    tag,
    summary: 'Trade a refresh token for a new pair (the old refresh token is spent)',
    description: 'A refresh token used twice ends its session: both uses get 401, and the user signs in again.',
    auth: 'public',
    request: refreshRequest,
    example: { refreshToken: 'hmsr_…' },
    responses: { 200: { description: 'A new pair', schema: SessionTokensSchema, headers: noStore } },
    errors: [401, 413, 415, 429],
  },
  {
    method: 'post',
    path: '/api/v1/auth/logout',
    operationId: 'logout',
    tag,
    summary: 'End a session, by its refresh token or with its access token',
    auth: 'public',
    request: logoutRequest,
    example: { refreshToken: 'hmsr_…' },
    responses: { 204: { description: 'The session has ended' } },
    errors: [401, 413, 415, 429],
  },
  {
    method: 'get',
    path: '/.well-known/jwks.json',
    operationId: 'getJsonWebKeys',
    tag,
    summary: 'The public keys access tokens are signed with (RFC 7517), to verify them without asking HMS',
    auth: 'public',
    responses: { 200: { description: 'The key set', schema: JwksSchema } },
  },
);
