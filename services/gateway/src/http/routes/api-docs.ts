/**
 * The API's contracts and their docs page, public like any published contract:
 *   GET /api/v1/openapi.json   the OpenAPI 3.1 document (openapi/document.ts)
 *   GET /api/v1/asyncapi.json  the AsyncAPI 3.0 document of the Kafka events (@hms/proto)
 *   GET /api/docs              the reference page: Scalar's standalone bundle,
 *                              served from our own node_modules (no CDN); a
 *                              Content-Security-Policy keeps it on this origin.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router } from 'express';
import { buildAsyncApiDocument } from '@hms/proto';
import { z } from 'zod';
import { API_PREFIX } from '../api-prefix.js';
import { methodNotAllowed } from '../method-not-allowed.js';
import { publicRoute } from '../permissions.js';
import { API_VERSION, openApiJson } from '../openapi/document.js';
import { parseInput } from './validation.js';

const noQuery = { query: z.object({}).strict() };

const DOCS_HTML = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>HMS API reference</title>
  </head>
  <body>
    <div id="api-reference"></div>
    <script src="/api/docs/scalar.js"></script>
    <script src="/api/docs/init.js"></script>
  </body>
</html>
`;
// No fonts, telemetry or proxies from elsewhere: everything the page needs is served here.
const DOCS_INIT = `Scalar.createApiReference('#api-reference', {
  url: '${API_PREFIX}/openapi.json',
  withDefaultFonts: false,
  hideClientButton: true,
  telemetry: false,
  mcp: { disabled: true },
  agent: { disabled: true },
});
`;
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; font-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};

/**
 * Scalar's self-contained browser build, read once. Its stylesheet names web
 * fonts on Scalar's own host even with `withDefaultFonts: false`; they become
 * local() faces, so the page asks nothing of any other origin.
 */
let bundle: Promise<string> | undefined;
function scalarBundle(): Promise<string> {
  const entry = fileURLToPath(import.meta.resolve('@scalar/api-reference'));
  bundle ??= readFile(path.join(path.dirname(entry), 'browser', 'standalone.js'), 'utf8').then((js) =>
    js.replace(/url\(https:\/\/fonts\.scalar\.com\/[\w.-]+\) format\("woff2"\)/g, 'local("sans-serif")'),
  );
  return bundle;
}

let asyncApi: string | undefined;
const asyncApiJson = () => (asyncApi ??= JSON.stringify(buildAsyncApiDocument({ version: API_VERSION })));

export function apiDocsRoutes(): Router {
  const router = Router();
  router
    .route(`${API_PREFIX}/asyncapi.json`)
    .get(publicRoute('a published contract'), (req, res) => {
      parseInput(req, noQuery);
      res.setHeader('cache-control', 'no-cache');
      res.type('application/json').send(asyncApiJson());
    })
    .all(methodNotAllowed('GET'));
  router
    .route(`${API_PREFIX}/openapi.json`)
    .get(publicRoute('a published contract'), (req, res) => {
      parseInput(req, noQuery);
      res.setHeader('cache-control', 'no-cache');
      res.type('application/json').send(openApiJson());
    })
    .all(methodNotAllowed('GET'));
  router
    .route('/api/docs')
    .get(publicRoute('the page of the published contract'), (_req, res) => {
      res.set(SECURITY_HEADERS).set('cache-control', 'no-cache').type('text/html').send(DOCS_HTML);
    })
    .all(methodNotAllowed('GET'));
  router
    .route('/api/docs/init.js')
    .get(publicRoute('the page of the published contract'), (_req, res) => {
      res.set(SECURITY_HEADERS).type('application/javascript').send(DOCS_INIT);
    })
    .all(methodNotAllowed('GET'));
  router
    .route('/api/docs/scalar.js')
    .get(publicRoute('the page of the published contract'), async (_req, res) => {
      res
        .set(SECURITY_HEADERS)
        .set('cache-control', 'public, max-age=3600')
        .type('application/javascript')
        .send(await scalarBundle());
    })
    .all(methodNotAllowed('GET'));
  return router;
}
