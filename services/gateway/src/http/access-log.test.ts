import { createLogger, createMetrics, runWithContext, type Database, type PendingEvent } from '@hms/platform';
import { describe, expect, it } from 'vitest';
import { createAccessLog, type RecordRead } from './access-log.js';

const tenantA = '0192f0a0-0000-7000-8000-00000000000a';
const tenantB = '0192f0a0-0000-7000-8000-00000000000b';
const read = (entityId: string): RecordRead => ({
  entityType: 'vitals',
  entityId,
  patientId: '0192f0a0-0000-7000-8000-0000000000a1',
  route: 'GET /api/v1/appointments/:id/vitals',
});

/**
 * A database whose transactions only collect what they emit, each commit held
 * until the test lets it go (or fails it), to see when a durable read settles.
 */
function heldDatabase() {
  const commits: { tenantId: string; events: PendingEvent[]; commit: () => void; fail: (e: Error) => void }[] = [];
  const database = {
    async transaction(tenantId: string | null, fn: (tx: never) => Promise<unknown>) {
      const events: PendingEvent[] = [];
      await fn({ tenantId, emit: (...e: PendingEvent[]) => events.push(...e) } as never);
      await new Promise<void>((commit, fail) => commits.push({ tenantId: tenantId!, events, commit, fail }));
    },
  } as unknown as Database;
  return { database, commits };
}

function logOn(database: Database) {
  return createAccessLog({
    database,
    // The interval never fires in these tests: only durable reads start writes.
    flushIntervalMs: 3_600_000,
    maxPending: 100,
    logger: createLogger({ service: 'access-log-test', level: 'silent' }),
    metrics: createMetrics('access-log-test', { defaultMetrics: false }),
  });
}

const as = <T>(tenantId: string, userId: string, fn: () => T) =>
  runWithContext({ requestId: `req-${userId}`, tenantId, userId }, fn);
const tick = () => new Promise((r) => setImmediate(r));
const settled = async (p: Promise<unknown>) => {
  let done: string = 'pending';
  p.then(
    () => (done = 'resolved'),
    () => (done = 'rejected'),
  );
  await tick();
  return done;
};

describe('the access log, durably', () => {
  it('writes concurrent reads in one transaction and answers each only once it has committed', async () => {
    const { database, commits } = heldDatabase();
    const log = logOn(database);
    const first = as(tenantA, 'dr-1', () => log.recordDurably(read('0192f0a0-0000-7000-8000-000000000001')));
    const second = as(tenantA, 'nurse-2', () => log.recordDurably(read('0192f0a0-0000-7000-8000-000000000002')));
    // A batched read of the same tenant rides along.
    as(tenantA, 'clerk-3', () => log.record({ ...read('0192f0a0-0000-7000-8000-000000000003'), entityType: 'bill' }));
    await tick();
    expect(commits).toHaveLength(1);
    expect(commits[0]!.events.map((e) => e.actor?.id)).toEqual(['dr-1', 'nurse-2', 'clerk-3']);
    expect(commits[0]!.events[0]!.def.type).toBe('record.accessed');
    expect(commits[0]!.events[0]).toMatchObject({
      tenantId: tenantA,
      subject: 'vitals/0192f0a0-0000-7000-8000-000000000001',
    });
    expect(await settled(first)).toBe('pending');
    commits[0]!.commit();
    await expect(first).resolves.toBeUndefined();
    await expect(second).resolves.toBeUndefined();
  });

  it('puts reads that arrive during a write into the next one, as a group', async () => {
    const { database, commits } = heldDatabase();
    const log = logOn(database);
    const first = as(tenantA, 'dr-1', () => log.recordDurably(read('0192f0a0-0000-7000-8000-000000000001')));
    await tick();
    const later = [
      as(tenantA, 'dr-2', () => log.recordDurably(read('0192f0a0-0000-7000-8000-000000000002'))),
      as(tenantA, 'dr-3', () => log.recordDurably(read('0192f0a0-0000-7000-8000-000000000003'))),
    ];
    await tick();
    expect(commits).toHaveLength(1);
    commits[0]!.commit();
    await first;
    await tick();
    await tick();
    expect(commits).toHaveLength(2);
    expect(commits[1]!.events.map((e) => e.actor?.id)).toEqual(['dr-2', 'dr-3']);
    expect(await settled(Promise.all(later))).toBe('pending');
    commits[1]!.commit();
    await Promise.all(later);
  });

  it('refuses the reads of a tenant whose write failed, keeps its batched reads, and answers other tenants', async () => {
    const { database, commits } = heldDatabase();
    const log = logOn(database);
    const refused = as(tenantA, 'dr-1', () => log.recordDurably(read('0192f0a0-0000-7000-8000-000000000001')));
    as(tenantA, 'clerk-2', () => log.record(read('0192f0a0-0000-7000-8000-000000000002')));
    const answered = as(tenantB, 'dr-9', () => log.recordDurably(read('0192f0a0-0000-7000-8000-000000000009')));
    await tick();
    commits[0]!.fail(new Error('outbox write failed'));
    await expect(refused).rejects.toThrow('outbox write failed');
    await tick();
    expect(commits[1]!.tenantId).toBe(tenantB);
    commits[1]!.commit();
    await expect(answered).resolves.toBeUndefined();
    // The refused read is not retried (it was not answered); the batched one is.
    const retry = log.flush();
    await tick();
    expect(commits[2]!.events.map((e) => e.actor?.id)).toEqual(['clerk-2']);
    commits[2]!.commit();
    await retry;
  });

  it('refuses a read it cannot attribute to a tenant and a caller', async () => {
    const { database, commits } = heldDatabase();
    const log = logOn(database);
    await expect(log.recordDurably(read('0192f0a0-0000-7000-8000-000000000001'))).rejects.toThrow(/tenant/);
    await tick();
    expect(commits).toHaveLength(0);
  });
});
