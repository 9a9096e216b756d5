/**
 * Brute force against sign-in, in three budgets (all in Redis, shared by the
 * gateways; each gateway its share when Redis is away):
 *
 * - attempts per account and address: 5 per 15 minutes (seed 002/004), then 429;
 * - failures per address, over all accounts: LOGIN_FAILURES_PER_IP per 15
 *   minutes (credential stuffing), then 429;
 * - failures per account, from anywhere: LOGIN_FAILURES_BEFORE_LOCKOUT per 15
 *   minutes, then the account is locked for the rest of the window: a 429
 *   problem `account-locked` with Retry-After.
 *
 * Accounts are counted by what the client typed, whether it exists or not, so
 * neither a limit nor a lockout tells anyone which accounts exist.
 */
import { RateLimiterRes } from 'rate-limiter-flexible';
import { ENDPOINT_CLASSES } from '../domain/plans.js';
import { HttpProblem } from './problem.js';
import type { Budget, RateLimits } from './rate-limit.js';

export interface LoginGuard {
  /** Before checking the password: a 429 problem (and its trail reason) when the attempt may not be made. */
  admit(attempt: Attempt): Promise<{ refused: HttpProblem; reason: 'locked_out' | 'rate_limited' } | undefined>;
  /** After a wrong password (or unknown user): counts against the address and the account. */
  failed(attempt: Attempt): Promise<void>;
}

export interface Attempt {
  tenant: string;
  identifier: string;
  ip: string;
}

export function createLoginGuard(options: {
  limits: RateLimits;
  failuresPerIp: number;
  failuresBeforeLockout: number;
}): LoginGuard {
  const window = ENDPOINT_CLASSES.login.durationSeconds;
  const account = (a: Attempt) => `${a.tenant.trim().toLowerCase()}:${a.identifier.trim().toLowerCase()}`;
  const attempts = (a: Attempt): Budget => ({
    policy: 'login',
    key: `${account(a)}:${a.ip}`,
    points: ENDPOINT_CLASSES.login.points,
    durationSeconds: window,
  });
  const ipFailures = (a: Attempt): Budget => ({
    policy: 'login-address-failures',
    key: a.ip,
    points: options.failuresPerIp,
    durationSeconds: window,
  });
  const accountFailures = (a: Attempt): Budget => ({
    policy: 'login-account-failures',
    key: account(a),
    points: options.failuresBeforeLockout,
    durationSeconds: window,
  });
  const tooMany = (retry: number) =>
    new HttpProblem(429, 'too-many-attempts', 'too many sign-in attempts; retry later', [], {
      'retry-after': String(Math.max(1, retry)),
    });

  return {
    async admit(a) {
      const lock = await options.limits.peek(accountFailures(a));
      if (lock && lock.remaining === 0) {
        const refused = new HttpProblem(
          429,
          'account-locked',
          'this account is locked after too many failed sign-ins; retry later',
          [],
          { 'retry-after': String(Math.max(1, lock.resetSeconds)) },
        );
        return { refused, reason: 'locked_out' };
      }
      const address = await options.limits.peek(ipFailures(a));
      if (address && address.remaining === 0) return { refused: tooMany(address.resetSeconds), reason: 'rate_limited' };
      try {
        await options.limits.spend([attempts(a)]);
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        return { refused: tooMany(Math.ceil(rejection.msBeforeNext / 1000)), reason: 'rate_limited' };
      }
      return undefined;
    },
    async failed(a) {
      const spendIgnoringRefusal = (b: Budget) =>
        options.limits.spend([b]).catch((rejection: unknown) => {
          // The limit is reached: the next attempt is refused (admit), this one is already answered.
          if (!(rejection instanceof RateLimiterRes)) throw rejection;
          return [];
        });
      await Promise.all([spendIgnoringRefusal(ipFailures(a)), spendIgnoringRefusal(accountFailures(a))]);
    },
  };
}
