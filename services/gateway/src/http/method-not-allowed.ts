/**
 * The last handler of every route: a known path asked with a method it does
 * not serve is a 405 naming the methods it does (RFC 9110), not a 404 that
 * would send an integrator looking for a typo in the path.
 */
import type { RequestHandler } from 'express';
import { HttpProblem } from './problem.js';

export function methodNotAllowed(...allowed: string[]): RequestHandler {
  // Express answers HEAD with the GET handler, so a GET route allows it too.
  const allow = allowed.includes('GET') ? [...allowed, 'HEAD'] : allowed;
  return (req) => {
    throw new HttpProblem(
      405,
      'method-not-allowed',
      `${req.method} is not allowed here; use ${allowed.join(' or ')}`,
      [],
      { allow: allow.join(', ') },
    );
  };
}
