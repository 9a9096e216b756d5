import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';
import { scheduledTask } from './scheduled.js';

const logger = createLogger({ service: 'test', level: 'silent' });

/** Resolves when `condition` holds, polling the event loop (no timing is asserted). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 1));
}

describe('scheduledTask', () => {
  it('runs at start when asked, then on its interval, never two runs at once', async () => {
    let active = 0;
    let overlapped = false;
    let runs = 0;
    const task = scheduledTask({
      name: 'test',
      intervalMs: 1,
      logger,
      firstRun: 'await',
      async run() {
        active += 1;
        overlapped ||= active > 1;
        await new Promise((resolve) => setTimeout(resolve, 2));
        active -= 1;
        runs += 1;
      },
    });
    await task.start?.();
    expect(runs).toBe(1);
    await Promise.all([task.runNow(), task.runNow()]);
    await until(() => runs >= 6);
    await task.stop();
    const stoppedAt = runs;
    expect(active).toBe(0);
    expect(overlapped).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(runs).toBe(stoppedAt);
  });

  it('keeps its schedule after a failed run, and a first run that must succeed fails start', async () => {
    let calls = 0;
    const flaky = scheduledTask({
      name: 'flaky',
      intervalMs: 1,
      logger,
      firstRun: 'soon',
      async run() {
        calls += 1;
        if (calls === 1) throw new Error('first run fails');
      },
    });
    await flaky.start?.();
    await until(() => calls >= 3);
    await flaky.stop();

    const failing = scheduledTask({
      name: 'failing',
      intervalMs: 1_000,
      logger,
      firstRun: 'await',
      run: async () => Promise.reject(new Error('no database')),
    });
    await expect(failing.start?.()).rejects.toThrow('no database');
    await failing.stop();
  });

  it('hands the run a signal that aborts on stop, and stop waits for the run in hand', async () => {
    let sawAbort = false;
    let finished = false;
    const task = scheduledTask({
      name: 'long',
      intervalMs: 60_000,
      logger,
      async run(signal) {
        await until(() => signal.aborted);
        sawAbort = true;
        finished = true;
      },
    });
    await task.start?.();
    const run = task.runNow();
    await task.stop();
    expect(sawAbort).toBe(true);
    expect(finished).toBe(true);
    expect(await run).toBe(true);
  });
});
