import { InvalidArgumentError } from '@hms/platform/domain';
import { describe, expect, it } from 'vitest';
import { clinic, failure, tenantId } from '../testing/fixtures.js';
import { averageWaitSeconds, dailyDashboard, dayDeltas, ZERO, type DayEvent } from './dashboard.js';

const day = { serviceDate: '2030-01-07', doctorId: 'd1', departmentId: 'dep1' };

describe('the day read model', () => {
  it('turns lifecycle events into counter changes per doctor and day', () => {
    const events: DayEvent[] = [
      { type: 'booked', ...day },
      { type: 'booked', ...day },
      { type: 'booked', ...day },
      { type: 'checked_in', ...day },
      { type: 'consultation_started', ...day, waitSeconds: 600 },
      { type: 'completed', ...day },
      { type: 'cancelled', ...day },
      { type: 'no_show', ...day, fromStatus: 'BOOKED' },
      // Moved to the next day: one fewer today, one more tomorrow.
      { type: 'booked', ...day },
      { type: 'rescheduled', ...day, serviceDate: '2030-01-08', previousServiceDate: '2030-01-07' },
    ];
    const deltas = dayDeltas(events);
    expect(deltas).toEqual([
      {
        ...day,
        counts: {
          ...ZERO,
          booked: 2,
          checkedIn: 1,
          inConsultation: 0,
          seen: 1,
          noShow: 1,
          cancelled: 1,
          waitSecondsTotal: 600,
          waits: 1,
        },
      },
      { ...day, serviceDate: '2030-01-08', counts: { ...ZERO, booked: 1 } },
    ]);
  });

  it('sums doctors into departments and the tenant, with the average wait and when it was last updated', async () => {
    const c = clinic();
    const at = new Date('2030-01-07T06:00:00Z');
    await c.store.change(tenantId, (tx) =>
      tx.addDayCounts(
        [
          {
            serviceDate: '2030-01-07',
            doctorId: 'd1',
            departmentId: 'dep1',
            counts: { ...ZERO, booked: 4, seen: 2, waitSecondsTotal: 900, waits: 2 },
          },
          {
            serviceDate: '2030-01-07',
            doctorId: 'd2',
            departmentId: 'dep1',
            counts: { ...ZERO, booked: 1, waitSecondsTotal: 300, waits: 1 },
          },
          {
            serviceDate: '2030-01-07',
            doctorId: 'd3',
            departmentId: 'dep2',
            counts: { ...ZERO, booked: 2, cancelled: 1 },
          },
        ],
        at,
      ),
    );
    const board = await dailyDashboard(c.store, { tenantId, serviceDate: '2030-01-07' });
    expect(board.totals).toMatchObject({ booked: 7, seen: 2, cancelled: 1, waits: 3 });
    expect(averageWaitSeconds(board.totals)).toBe(400);
    expect(board.departments.map((d) => [d.departmentId, d.counts.booked])).toEqual([
      ['dep1', 5],
      ['dep2', 2],
    ]);
    expect(board.updatedAt).toEqual(at);
    const one = await dailyDashboard(c.store, { tenantId, serviceDate: '2030-01-07', departmentId: 'dep2' });
    expect(one.totals.booked).toBe(2);
    expect(await failure(dailyDashboard(c.store, { tenantId, serviceDate: '2030-02-30' }))).toBeInstanceOf(
      InvalidArgumentError,
    );
    expect((await dailyDashboard(c.store, { tenantId, serviceDate: '2030-01-09' })).updatedAt).toBeNull();
  });
});
