import { describe, expect, it } from 'vitest';
import { InvalidBookingFeesError, openBillForAppointment, type BookedAppointment } from './bill.js';

let n = 0;
const context = { newId: () => `id-${(n += 1)}`, now: new Date('2030-01-07T05:00:00Z'), traceId: 'trace' };
const booking: BookedAppointment = {
  tenantId: 't1',
  appointmentId: 'a1',
  patientId: 'p1',
  consultationFeeMinor: 50_000,
  hospitalFeeMinor: 10_000,
  currency: 'INR',
};

describe('openBillForAppointment', () => {
  it('bills the consultation and hospital fees, totalled', () => {
    const bill = openBillForAppointment(booking, context);
    expect(bill).toMatchObject({ status: 'OPEN', totalMinor: 60_000, paidMinor: 0, currency: 'INR', traceId: 'trace' });
    expect(bill.items.map((i) => [i.kind, i.quantity, i.unitPriceMinor, i.amountMinor])).toEqual([
      ['CONSULTATION_FEE', 1, 50_000, 50_000],
      ['HOSPITAL_FEE', 1, 10_000, 10_000],
    ]);
  });

  it('keeps zero fees as lines', () => {
    const bill = openBillForAppointment({ ...booking, hospitalFeeMinor: 0 }, context);
    expect(bill.items).toHaveLength(2);
    expect(bill.totalMinor).toBe(50_000);
  });

  it('refuses negative or fractional amounts, bad currencies and missing ids', () => {
    for (const bad of [
      { consultationFeeMinor: -1 },
      { hospitalFeeMinor: 10.5 },
      { consultationFeeMinor: Number.MAX_SAFE_INTEGER, hospitalFeeMinor: 10 },
      { currency: 'inr' },
      { currency: '' },
      { appointmentId: '' },
      { patientId: '' },
    ]) {
      expect(() => openBillForAppointment({ ...booking, ...bad }, context)).toThrow(InvalidBookingFeesError);
    }
  });
});
