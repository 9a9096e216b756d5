import { fileURLToPath } from 'node:url';

/**
 * Runs `main` when the module at `moduleUrl` is the process's entry point (not
 * when a test imports it); a failure to start is printed and exits 1.
 */
export function runMain(moduleUrl: string, main: () => Promise<unknown>): void {
  if (process.argv[1] !== fileURLToPath(moduleUrl)) return;
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
