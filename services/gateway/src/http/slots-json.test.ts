import { fromTimestamp, toTimestamp } from '@hms/proto';
import { describe, expect, it } from 'vitest';
import { schedulingJson, slotsJson, type SlotRuns } from './scheduling-json.js';

const MINUTE = 60_000;

describe('the slots body from slot runs', () => {
  it('answers exactly what one Slot message per slot answered through schedulingJson', () => {
    const window: SlotRuns = {
      doctorId: '0192f0a0-0000-7000-8000-00000000000e',
      timeZone: 'Asia/Kolkata',
      runs: [
        {
          startsAt: toTimestamp(new Date('2030-01-07T03:30:00Z')),
          slotMinutes: 15,
          serviceDate: '2030-01-07',
          statuses: ['SLOT_STATUS_FREE', 'SLOT_STATUS_BOOKED', 'SLOT_STATUS_HELD'],
        },
        {
          startsAt: toTimestamp(new Date('2030-01-07T18:20:00Z')),
          slotMinutes: 20,
          serviceDate: '2030-01-08',
          statuses: ['SLOT_STATUS_FREE', 'SLOT_STATUS_FREE'],
        },
      ],
    };
    // The same slots as the contract's Slot messages, mapped the generic way.
    const slots = window.runs.flatMap((run) =>
      run.statuses.map((status, i) => {
        const starts = fromTimestamp(run.startsAt)!.getTime() + i * run.slotMinutes * MINUTE;
        return {
          startsAt: toTimestamp(new Date(starts)),
          endsAt: toTimestamp(new Date(starts + run.slotMinutes * MINUTE)),
          serviceDate: run.serviceDate,
          status,
        };
      }),
    );
    const body = slotsJson(window);
    expect(JSON.parse(body)).toEqual(schedulingJson({ doctorId: window.doctorId, timeZone: window.timeZone, slots }));
    expect(JSON.parse(body).slots.map((s: { startsAt: string; status: string }) => [s.startsAt, s.status])).toEqual([
      ['2030-01-07T03:30:00.000Z', 'free'],
      ['2030-01-07T03:45:00.000Z', 'booked'],
      ['2030-01-07T04:00:00.000Z', 'held'],
      ['2030-01-07T18:20:00.000Z', 'free'],
      ['2030-01-07T18:40:00.000Z', 'free'],
    ]);
  });

  it('escapes what it writes as strings and answers an empty window', () => {
    const body = slotsJson({ doctorId: 'a"b', timeZone: 'UTC', runs: [] });
    expect(JSON.parse(body)).toEqual({ doctorId: 'a"b', timeZone: 'UTC', slots: [] });
  });
});
