import { describe, expect, it } from 'vitest';
import { orderLine, orderQueue, passesOf, pickNext, type Orderable } from './queue-order.js';
import type { PriorityClass, QueueEntryStatus } from './types.js';

const rules = { maxPriorityPasses: 2 };

/** Entry n arrived at minute n. */
function entry(
  n: number,
  priority: PriorityClass = 'NORMAL',
  status: QueueEntryStatus = 'WAITING',
  extra: Partial<Orderable> = {},
): Orderable {
  return {
    id: `e${n}`,
    tokenNumber: n,
    priority,
    status,
    joinedAt: new Date(Date.UTC(2030, 0, 7, 4, n)),
    callNumber: undefined,
    heldUntilCall: 0,
    calledAt: undefined,
    ...extra,
  };
}
const tokens = (list: { tokenNumber: number }[]) => list.map((e) => e.tokenNumber);

describe('the calling order', () => {
  it('is arrival order among equals', () => {
    expect(tokens(orderLine([entry(3), entry(1), entry(2)], 0, rules))).toEqual([1, 2, 3]);
  });

  it('calls EMERGENCY before SENIOR and DISABLED, and those before NORMAL, each by arrival', () => {
    const line = [entry(1), entry(2, 'SENIOR'), entry(3, 'EMERGENCY'), entry(4, 'DISABLED'), entry(5, 'EMERGENCY')];
    expect(tokens(orderLine(line, 0, { maxPriorityPasses: 50 }))).toEqual([3, 5, 2, 4, 1]);
  });

  it('lets at most maxPriorityPasses priority patients pass one who arrived before them', () => {
    const line = [entry(1), entry(2, 'SENIOR'), entry(3, 'SENIOR'), entry(4, 'SENIOR'), entry(5, 'SENIOR')];
    // Two seniors pass token 1, then token 1 is called before the third.
    expect(tokens(orderLine(line, 0, rules))).toEqual([2, 3, 1, 4, 5]);
    expect(tokens(orderLine(line, 0, { maxPriorityPasses: 1 }))).toEqual([2, 1, 3, 4, 5]);
  });

  it('counts passes already suffered today, from who was called after arriving later', () => {
    const called = [entry(2, 'SENIOR', 'DONE', { callNumber: 1 }), entry(3, 'SENIOR', 'DONE', { callNumber: 2 })];
    const waiting = entry(1);
    expect(passesOf(waiting, called)).toBe(2);
    // A senior who arrived before token 1 did not pass it.
    expect(passesOf(entry(5), [entry(4, 'SENIOR', 'DONE', { callNumber: 1 })])).toBe(0);
    const next = pickNext([waiting, entry(4, 'SENIOR')], 2, new Map([[waiting.id, 2]]), rules);
    expect(next?.id).toBe('e1');
  });

  it('never holds back an emergency for the fairness bound', () => {
    const line = [entry(1), entry(2, 'EMERGENCY')];
    expect(pickNext(line, 5, new Map([['e1', 9]]), rules)?.id).toBe('e2');
  });

  it('holds a skipped patient back until enough calls have been made, unless nobody else is left', () => {
    const skipped = entry(1, 'NORMAL', 'SKIPPED', { heldUntilCall: 3 });
    expect(tokens(orderLine([skipped, entry(2), entry(3), entry(4)], 1, rules))).toEqual([2, 3, 1, 4]);
    expect(pickNext([skipped], 1, new Map(), rules)?.id).toBe('e1');
  });
});

describe('orderQueue', () => {
  it('lists those being served, then the line with positions 1..n, then those out of the queue', () => {
    const ordered = orderQueue(
      [
        entry(1, 'NORMAL', 'DONE'),
        entry(2, 'NORMAL', 'NO_SHOW'),
        entry(3),
        entry(4, 'NORMAL', 'CALLED', { calledAt: new Date(Date.UTC(2030, 0, 7, 5)) }),
        entry(5, 'NORMAL', 'CALLED', { calledAt: new Date(Date.UTC(2030, 0, 7, 4)) }),
        entry(6, 'SENIOR'),
        entry(7, 'NORMAL', 'TRANSFERRED'),
      ],
      0,
      rules,
    );
    expect(ordered.map((e) => `${e.tokenNumber}:${e.status}:${e.position}`)).toEqual([
      '5:CALLED:0',
      '4:CALLED:0',
      '6:WAITING:1',
      '3:WAITING:2',
      '1:DONE:0',
      '2:NO_SHOW:0',
      '7:TRANSFERRED:0',
    ]);
  });

  it('leaves its input alone', () => {
    const input = [entry(2), entry(1)];
    orderQueue(input, 0, rules);
    expect(tokens(input)).toEqual([2, 1]);
    expect(orderQueue([], 0, rules)).toEqual([]);
  });
});

describe('the line over a whole day', () => {
  /** The order by definition: pickNext again and again, each pick a call. */
  function byRepeatedPicks(entries: Orderable[], calls: number, maxPriorityPasses: number): number[] {
    const called = entries.filter((e) => e.callNumber !== undefined && e.status === 'DONE');
    let remaining = entries.filter((e) => e.status === 'WAITING' || e.status === 'SKIPPED');
    const passes = new Map(remaining.map((e) => [e.id, passesOf(e, called)]));
    const picked: number[] = [];
    for (let call = calls; remaining.length > 0; call += 1) {
      const next = pickNext(remaining, call, passes, { maxPriorityPasses })!;
      picked.push(next.tokenNumber);
      remaining = remaining.filter((e) => e !== next);
      for (const e of remaining) {
        const rankOf = (x: Orderable) => ({ NORMAL: 0, SENIOR: 1, DISABLED: 1, EMERGENCY: 2 })[x.priority];
        const earlier =
          e.joinedAt.getTime() < next.joinedAt.getTime() ||
          (e.joinedAt.getTime() === next.joinedAt.getTime() && e.tokenNumber < next.tokenNumber);
        if (rankOf(next) > rankOf(e) && earlier) passes.set(e.id, (passes.get(e.id) ?? 0) + 1);
      }
    }
    return picked;
  }

  it('is what picking the next patient again and again gives, on random days', () => {
    // A small deterministic generator, so a failure can be replayed.
    let seed = 12345;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const priorities: PriorityClass[] = ['NORMAL', 'NORMAL', 'NORMAL', 'SENIOR', 'DISABLED', 'EMERGENCY'];
    for (let day = 0; day < 200; day += 1) {
      const size = 1 + Math.floor(random() * 60);
      const calls = Math.floor(random() * 10);
      const entries = Array.from({ length: size }, (_, i) => {
        const done = random() < 0.2;
        return entry(
          i + 1,
          priorities[Math.floor(random() * priorities.length)],
          done ? 'DONE' : random() < 0.1 ? 'SKIPPED' : 'WAITING',
          {
            // Some arrive in the same minute (the token breaks the tie), some are held back after a skip.
            joinedAt: new Date(Date.UTC(2030, 0, 7, 4, Math.floor(i / 2))),
            heldUntilCall: random() < 0.15 ? calls + Math.floor(random() * 5) : 0,
            callNumber: done ? i + 1 : undefined,
          },
        );
      });
      const maxPriorityPasses = 1 + Math.floor(random() * 3);
      expect(tokens(orderLine(entries, calls, { maxPriorityPasses })), `day ${day}`).toEqual(
        byRepeatedPicks(entries, calls, maxPriorityPasses),
      );
    }
  });
});
