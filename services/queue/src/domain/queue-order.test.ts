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
