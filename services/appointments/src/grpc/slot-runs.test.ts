import { fromTimestamp } from '@hms/proto';
import { describe, expect, it } from 'vitest';
import type { SlotWithStatus } from '../domain/types.js';
import { slotRunMessages } from './messages.js';

const MINUTE = 60_000;
const at = (iso: string) => new Date(iso);
function slot(startsAt: string, minutes: number, serviceDate: string, status: SlotWithStatus['status'] = 'FREE') {
  const start = at(startsAt);
  return { startsAt: start, endsAt: new Date(start.getTime() + minutes * MINUTE), serviceDate, status };
}

/** The runs laid out again as one slot each, as the gateway does. */
function expand(runs: ReturnType<typeof slotRunMessages>): SlotWithStatus[] {
  return runs.flatMap((run) =>
    run.statuses.map((status, i) => {
      const startsAt = new Date(fromTimestamp(run.startsAt)!.getTime() + i * run.slotMinutes * MINUTE);
      return {
        startsAt,
        endsAt: new Date(startsAt.getTime() + run.slotMinutes * MINUTE),
        serviceDate: run.serviceDate,
        status: status.replace('SLOT_STATUS_', '') as SlotWithStatus['status'],
      };
    }),
  );
}

describe('slots packed as runs', () => {
  it('packs a week of 15-minute slots round the clock into one run per local day', () => {
    // 2030-01-07 00:00 to 2030-01-14 00:00 in Kolkata (UTC+5:30): 672 slots over 7 local days.
    const slots: SlotWithStatus[] = [];
    const first = Date.parse('2030-01-06T18:30:00Z');
    for (let i = 0; i < 7 * 96; i += 1) {
      const startsAt = new Date(first + i * 15 * MINUTE);
      const serviceDate = new Date(startsAt.getTime() + 330 * MINUTE).toISOString().slice(0, 10);
      slots.push({
        startsAt,
        endsAt: new Date(startsAt.getTime() + 15 * MINUTE),
        serviceDate,
        status: i % 7 === 0 ? 'BOOKED' : i % 11 === 0 ? 'HELD' : 'FREE',
      });
    }
    const runs = slotRunMessages(slots);
    expect(runs.map((r) => [r.serviceDate, r.statuses.length, r.slotMinutes])).toEqual(
      ['07', '08', '09', '10', '11', '12', '13'].map((d) => [`2030-01-${d}`, 96, 15]),
    );
    expect(expand(runs)).toEqual(slots);
  });

  it('starts a new run at a gap, at another slot length and at another local day', () => {
    const slots = [
      slot('2030-01-07T09:00:00Z', 15, '2030-01-07'),
      slot('2030-01-07T09:15:00Z', 15, '2030-01-07', 'BOOKED'),
      // A lunch break: a gap.
      slot('2030-01-07T13:00:00Z', 15, '2030-01-07', 'HELD'),
      // An extra session of 20-minute slots straight after.
      slot('2030-01-07T13:15:00Z', 20, '2030-01-07'),
      slot('2030-01-07T13:35:00Z', 20, '2030-01-07'),
      // Back to back in time but the next local day.
      slot('2030-01-07T13:55:00Z', 20, '2030-01-08'),
    ];
    const runs = slotRunMessages(slots);
    expect(
      runs.map((r) => [fromTimestamp(r.startsAt)!.toISOString(), r.slotMinutes, r.serviceDate, r.statuses]),
    ).toEqual([
      ['2030-01-07T09:00:00.000Z', 15, '2030-01-07', ['SLOT_STATUS_FREE', 'SLOT_STATUS_BOOKED']],
      ['2030-01-07T13:00:00.000Z', 15, '2030-01-07', ['SLOT_STATUS_HELD']],
      ['2030-01-07T13:15:00.000Z', 20, '2030-01-07', ['SLOT_STATUS_FREE', 'SLOT_STATUS_FREE']],
      ['2030-01-07T13:55:00.000Z', 20, '2030-01-08', ['SLOT_STATUS_FREE']],
    ]);
    expect(expand(runs)).toEqual(slots);
  });

  it('packs no slots as no runs', () => {
    expect(slotRunMessages([])).toEqual([]);
  });
});
