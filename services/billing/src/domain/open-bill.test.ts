import { describe, expect, it } from 'vitest';
import { UnbillableBookingError, openBillForAppointment, type BookedAppointment } from './open-bill.js';

const booking: BookedAppointment = {
  tenantId: 't1',
  appointmentId: 'a1',
  patientId: 'p1',
  consultationFeeMinor: 50_000,
  hospitalFeeMinor: 10_000,
  currency: 'INR',
};

function contextOf() {
  let n = 0;
  return { newId: () => `id-${(n += 1)}`, now: new Date('2030-01-07T05:00:00Z'), traceId: 'trace' };
}

describe('openBillForAppointment', () => {
  it('bills the consultation and hospital fees, one line each, totalled, nothing paid', () => {
    const bill = openBillForAppointment(booking, contextOf());
    expect(bill).toEqual({
      id: 'id-3',
      tenantId: 't1',
      appointmentId: 'a1',
      patientId: 'p1',
      status: 'OPEN',
      currency: 'INR',
      totalMinor: 60_000,
      paidMinor: 0,
      traceId: 'trace',
      createdAt: new Date('2030-01-07T05:00:00Z'),
      items: [
        {
          id: 'id-1',
          kind: 'CONSULTATION_FEE',
          description: 'Consultation fee',
          quantity: 1,
          unitPriceMinor: 50_000,
          amountMinor: 50_000,
        },
        {
          id: 'id-2',
          kind: 'HOSPITAL_FEE',
          description: 'Hospital fee',
          quantity: 1,
          unitPriceMinor: 10_000,
          amountMinor: 10_000,
        },
      ],
    });
  });

  it('still lists a zero fee as a line', () => {
    const noHospitalFee = openBillForAppointment({ ...booking, hospitalFeeMinor: 0 }, contextOf());
    expect(noHospitalFee.items.map((i) => [i.kind, i.amountMinor])).toEqual([
      ['CONSULTATION_FEE', 50_000],
      ['HOSPITAL_FEE', 0],
    ]);
    expect(noHospitalFee.totalMinor).toBe(50_000);
    const free = openBillForAppointment({ ...booking, consultationFeeMinor: 0, hospitalFeeMinor: 0 }, contextOf());
    expect(free.items).toHaveLength(2);
    expect(free.totalMinor).toBe(0);
  });

  it.each([
    [{ consultationFeeMinor: -1 }, /consultation fee must be a non-negative whole number/],
    [{ hospitalFeeMinor: -5 }, /hospital fee must be a non-negative whole number/],
    [{ hospitalFeeMinor: 10.5 }, /hospital fee/],
    [{ consultationFeeMinor: Number.NaN }, /consultation fee/],
    [{ consultationFeeMinor: Number.POSITIVE_INFINITY }, /consultation fee/],
    [{ consultationFeeMinor: 2 ** 53 }, /consultation fee/],
    [{ consultationFeeMinor: Number.MAX_SAFE_INTEGER, hospitalFeeMinor: 10 }, /total/],
    [{ currency: 'inr' }, /currency/],
    [{ currency: '' }, /currency/],
    [{ currency: 'INRS' }, /currency/],
    [{ currency: 'IN1' }, /currency/],
    [{ currency: ' INR' }, /currency/],
  ])('refuses %o', (bad, reason) => {
    expect(() => openBillForAppointment({ ...booking, ...bad }, contextOf())).toThrow(UnbillableBookingError);
    expect(() => openBillForAppointment({ ...booking, ...bad }, contextOf())).toThrow(reason);
  });
});
