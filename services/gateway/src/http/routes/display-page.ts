/**
 * GET /display/queues?doctors=<id>,...: the waiting-room page (src/display),
 * and its stylesheet and script. Public: the page holds no data; what it shows
 * comes from the queue streams, which need the display's token. A strict
 * Content-Security-Policy lets the page reach its own origin only.
 */
import { Router } from 'express';
import { z } from 'zod';
import { DISPLAY_CSS, DISPLAY_HTML, DISPLAY_JS } from '../../display/page.js';
import { methodNotAllowed } from '../method-not-allowed.js';
import { publicRoute } from '../permissions.js';
import { parseInput } from './validation.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const displayPageRequest = {
  query: z
    .object({
      doctors: z.string({ error: 'required: 1 to 5 doctor ids, comma-separated' }).refine((v) => {
        const ids = v.split(',');
        return ids.length >= 1 && ids.length <= 5 && ids.every((id) => UUID.test(id));
      }, 'must be 1 to 5 doctor ids, comma-separated'),
    })
    .strict(),
};

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-cache',
};

export function displayPageRoutes(): Router {
  const router = Router();
  const asset = (type: string, body: string) =>
    router
      .route(`/display/display.${type === 'text/css' ? 'css' : 'js'}`)
      .get(publicRoute('static assets of the waiting-room page'), (_req, res) => {
        res.set(SECURITY_HEADERS).type(type).send(body);
      })
      .all(methodNotAllowed('GET'));
  asset('text/css', DISPLAY_CSS);
  asset('application/javascript', DISPLAY_JS);
  router
    .route('/display/queues')
    .get(
      publicRoute('the page holds no data; the display token it is opened with is checked by the stream'),
      (req, res) => {
        parseInput(req, displayPageRequest);
        res.set(SECURITY_HEADERS).type('text/html').send(DISPLAY_HTML);
      },
    )
    .all(methodNotAllowed('GET'));
  return router;
}
