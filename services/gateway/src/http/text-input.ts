/**
 * One rule for every text a request carries: no NUL character (U+0000). It
 * would reach a backend and PostgreSQL, which cannot store it in text (a 500
 * before this). Checked once for every route, after the body is parsed and
 * before the route reads anything: path parameters, query, body (values and
 * field names, at any depth) and the headers passed on to backends. One 400
 * names every such field.
 */
import type { RequestHandler } from 'express';
import { nulViolations, type FieldViolation } from '@hms/platform';
import { HttpProblem } from './problem.js';
import { headerName } from './routes/validation.js';

/** Headers whose values travel on to a backend (Node's parser already refuses NUL in any header). */
const FORWARDED_HEADERS = ['idempotency-key'];

export const refuseNulCharacters: RequestHandler = (req, _res, next) => {
  const violations: FieldViolation[] = [
    ...nulViolations(req.params ?? {}),
    ...nulViolations(req.query ?? {}),
    ...nulViolations(req.body ?? {}),
  ];
  for (const name of FORWARDED_HEADERS) {
    for (const v of nulViolations(req.headers[name] ?? '')) violations.push({ ...v, field: headerName(name) });
  }
  if (violations.length > 0) {
    throw new HttpProblem(400, 'validation-failed', 'the request is not valid', violations);
  }
  next();
};
