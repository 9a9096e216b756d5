/**
 * Start-up and graceful shutdown. Each component registers its close as it is
 * started; on SIGTERM/SIGINT readiness turns false at once, and the closes run
 * in reverse order of registration (stop intake first, pools last) within one
 * overall time bound. Every init has its close.
 */
import type { Logger } from './logger.js';

type Close = () => Promise<void> | void;

export interface Lifecycle {
  /** Registers a close; closes run last-registered first. */
  onShutdown(name: string, close: Close): void;
  /** True from the first shutdown signal on; readiness reports it. */
  readonly shuttingDown: boolean;
  /** Aborts when shutdown starts: background loops watch it to stop retrying. */
  readonly signal: AbortSignal;
  /** Runs every close once; resolves true when all finished within the bound. */
  shutdown(reason: string): Promise<boolean>;
  /** Shuts down and exits on SIGTERM and SIGINT. */
  handleSignals(): void;
}

export function createLifecycle(options: {
  logger: Logger;
  timeoutMs: number;
  /** Wait between turning unready and closing, so load balancers stop sending first. */
  drainDelayMs?: number;
}): Lifecycle {
  const closes: { name: string; close: Close }[] = [];
  let shuttingDown = false;
  const aborter = new AbortController();
  let done: Promise<boolean> | undefined;

  async function runCloses(reason: string): Promise<boolean> {
    shuttingDown = true;
    aborter.abort();
    options.logger.info({ reason }, 'shutting down');
    if (options.drainDelayMs) await new Promise((r) => setTimeout(r, options.drainDelayMs));
    const all = (async () => {
      for (const { name, close } of [...closes].reverse()) {
        const started = Date.now();
        try {
          await close();
          options.logger.debug({ component: name, ms: Date.now() - started }, 'closed');
        } catch (error) {
          options.logger.error({ err: error, component: name }, 'close failed');
        }
      }
      return true;
    })();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), options.timeoutMs);
    });
    const finished = await Promise.race([all, timeout]);
    clearTimeout(timer);
    if (finished) options.logger.info('shutdown complete');
    else options.logger.error({ timeoutMs: options.timeoutMs }, 'shutdown timed out');
    return finished;
  }

  const lifecycle: Lifecycle = {
    onShutdown(name, close) {
      closes.push({ name, close });
    },
    get shuttingDown() {
      return shuttingDown;
    },
    signal: aborter.signal,
    shutdown(reason) {
      done ??= runCloses(reason);
      return done;
    },
    handleSignals() {
      for (const signal of ['SIGTERM', 'SIGINT'] as const) {
        process.once(signal, () => {
          void lifecycle.shutdown(signal).then((ok) => process.exit(ok ? 0 : 1));
        });
      }
    },
  };
  return lifecycle;
}
