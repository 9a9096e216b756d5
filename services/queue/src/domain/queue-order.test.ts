import { describe, expect, it } from 'vitest';
import { compareEntries, orderQueue, type Orderable } from './queue-order.js';
import type { QueueEntryStatus } from './types.js';

function entry(tokenNumber: number, status: QueueEntryStatus = 'WAITING', priority = 0): Orderable & { id: string } {
  return { id: `e${tokenNumber}`, tokenNumber, status, priority };
}

describe('orderQueue', () => {
  it('orders waiting entries by token and numbers them 1..n', () => {
    const ordered = orderQueue([entry(3), entry(1), entry(2)]);
    expect(ordered.map((e) => [e.tokenNumber, e.position])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
  });

  it('puts whoever is being served first, then the waiting, then the finished', () => {
    const ordered = orderQueue([
      entry(1, 'DONE'),
      entry(2, 'SKIPPED'),
      entry(3, 'WAITING'),
      entry(4, 'CALLED'),
      entry(5, 'IN_CONSULTATION'),
      entry(6, 'WAITING'),
    ]);
    expect(ordered.map((e) => `${e.tokenNumber}:${e.status}:${e.position}`)).toEqual([
      '5:IN_CONSULTATION:0',
      '4:CALLED:0',
      '3:WAITING:1',
      '6:WAITING:2',
      '1:DONE:0',
      '2:SKIPPED:0',
    ]);
  });

  it('calls higher priority first among the waiting, arrival order within a priority', () => {
    const ordered = orderQueue([
      entry(1),
      entry(2, 'WAITING', 5),
      entry(3),
      entry(4, 'WAITING', 5),
      entry(5, 'WAITING', 1),
    ]);
    expect(ordered.map((e) => [e.tokenNumber, e.position])).toEqual([
      [2, 1],
      [4, 2],
      [5, 3],
      [1, 4],
      [3, 5],
    ]);
  });

  it('does not let priority lift an entry out of its status group', () => {
    const ordered = orderQueue([entry(1, 'DONE', 9), entry(2, 'WAITING'), entry(3, 'CALLED'), entry(4, 'CALLED', 9)]);
    expect(ordered.map((e) => e.tokenNumber)).toEqual([3, 4, 2, 1]);
  });

  it('keeps the fields of the entries and leaves the input alone', () => {
    const input = [entry(2), entry(1)];
    const ordered = orderQueue(input);
    expect(ordered[0]).toEqual({ id: 'e1', tokenNumber: 1, status: 'WAITING', priority: 0, position: 1 });
    expect(input.map((e) => e.tokenNumber)).toEqual([2, 1]);
    expect(orderQueue([])).toEqual([]);
  });
});

describe('compareEntries', () => {
  it('is a consistent order (antisymmetric, equal only to itself)', () => {
    const all = [entry(1, 'DONE'), entry(2), entry(3, 'WAITING', 2), entry(4, 'CALLED'), entry(5, 'IN_CONSULTATION')];
    for (const a of all) {
      for (const b of all) {
        expect(Math.sign(compareEntries(a, b)) + Math.sign(compareEntries(b, a))).toBe(0);
        if (a !== b) expect(compareEntries(a, b)).not.toBe(0);
      }
    }
  });
});
