/**
 * When each API key was last used: noted in memory on every request (a map
 * write), written every few seconds, one statement per tenant. Precise to the
 * interval, and free on the request's path.
 */
import type { Logger, ManagedPart } from '@hms/platform';
import type { IdentityStore } from '../domain/identity-store.js';

export interface ApiKeyUsage extends ManagedPart {
  used(tenantId: string, id: string): void;
  flush(): Promise<void>;
}

export function createApiKeyUsage(options: { store: IdentityStore; intervalMs: number; logger: Logger }): ApiKeyUsage {
  let seen = new Map<string, Map<string, Date>>();
  let timer: NodeJS.Timeout | undefined;
  async function flush(): Promise<void> {
    const batch = seen;
    seen = new Map();
    for (const [tenantId, used] of batch) {
      try {
        await options.store.change(tenantId, (tx) => tx.touchApiKeys(used));
      } catch (error) {
        options.logger.warn({ err: error, tenantId }, 'API key last-used times not written; next time');
      }
    }
  }
  return {
    name: 'api key usage',
    start() {
      timer = setInterval(() => void flush(), options.intervalMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      await flush();
    },
    flush,
    used(tenantId, id) {
      let keys = seen.get(tenantId);
      if (!keys) seen.set(tenantId, (keys = new Map()));
      keys.set(id, new Date());
    },
  };
}
