/**
 * Polls `probe` until it returns a value that is not undefined (or stops
 * throwing), for results that arrive through Kafka. Fails with the last error
 * after `timeoutMs`, so a test still fails when the result never comes.
 */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
      last = undefined;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      const reason = last instanceof Error ? `: ${last.message}` : '';
      throw new Error(`timed out waiting for ${options.what ?? 'condition'}${reason}`, { cause: last });
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 100));
  }
}
