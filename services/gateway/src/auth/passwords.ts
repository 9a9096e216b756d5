/**
 * Passwords as argon2id hashes (@node-rs/argon2, OWASP's parameters: 19 MiB,
 * 2 passes). Deliberately slow (tens of milliseconds of CPU): it runs on
 * sign-in, password changes and user creation only, all of them rate-limited,
 * never per request.
 */
import { randomBytes } from 'node:crypto';
import { hash, verify, type Algorithm } from '@node-rs/argon2';
import type { PasswordHasher } from '../domain/identity-store.js';

// Argon2id is 2 in the binding's enum (a const enum, which isolated modules cannot read).
const OPTIONS = { algorithm: 2 as Algorithm.Argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export function createPasswordHasher(): PasswordHasher {
  // A hash of nothing anyone knows: verifying against it costs what a real verification does.
  let decoy: Promise<string> | undefined;
  return {
    hash: (password) => hash(password, OPTIONS),
    async verify(passwordHash, password) {
      try {
        return await verify(passwordHash, password);
      } catch {
        return false;
      }
    },
    async waste(password) {
      decoy ??= hash(randomBytes(32).toString('base64url'), OPTIONS);
      await verify(await decoy, password).catch(() => false);
    },
  };
}
