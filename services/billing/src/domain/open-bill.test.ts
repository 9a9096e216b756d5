import { InvalidArgumentError } from '@hms/platform/domain';
import { EVENTS } from '@hms/proto';
import { describe, expect, it } from 'vitest';
import { fakeBillStore } from '../testing/fake-bill-store.js';
import { billForBooking, openBill, type OpenBill } from './open-bill.js';

const booking: OpenBill = {
  tenantId: 't1',
  appointmentId: 'a1',
  patientId: 'p1',
  departmentId: 'd1',
  consultationFeeMinor: 50_000,
  hospitalFeeMinor: 10_000,
  currency: 'INR',
  traceId: 'trace',
};

function contextOf() {
  let n = 0;
  return { newId: () => `id-${(n += 1)}`, now: () => new Date('2030-01-07T05:00:00Z') };
}

describe('billForBooking', () => {
  it('bills the consultation and hospital fees, one line each, totalled, nothing paid', () => {
    const bill = billForBooking(booking, contextOf());
    const line = { quantity: 1, lineDiscountMinor: 0, billDiscountMinor: 0, taxRateBp: 0, taxMinor: 0 };
    expect(bill).toEqual({
      id: 'id-3',
      tenantId: 't1',
      appointmentId: 'a1',
      patientId: 'p1',
      departmentId: 'd1',
      status: 'OPEN',
      currency: 'INR',
      subtotalMinor: 60_000,
      discountMinor: 0,
      taxMinor: 0,
      totalMinor: 60_000,
      paidMinor: 0,
      refundedMinor: 0,
      refundReservedMinor: 0,
      creditedMinor: 0,
      dueMinor: 60_000,
      traceId: 'trace',
      createdAt: new Date('2030-01-07T05:00:00Z'),
      items: [
        {
          ...line,
          id: 'id-1',
          kind: 'CONSULTATION_FEE',
          description: 'Consultation fee',
          unitPriceMinor: 50_000,
          grossMinor: 50_000,
          amountMinor: 50_000,
          position: 0,
        },
        {
          ...line,
          id: 'id-2',
          kind: 'HOSPITAL_FEE',
          description: 'Hospital fee',
          unitPriceMinor: 10_000,
          grossMinor: 10_000,
          amountMinor: 10_000,
          position: 1,
        },
      ],
    });
  });

  it('still lists a zero fee as a line', () => {
    const noHospitalFee = billForBooking({ ...booking, hospitalFeeMinor: 0 }, contextOf());
    expect(noHospitalFee.items.map((i) => [i.kind, i.amountMinor])).toEqual([
      ['CONSULTATION_FEE', 50_000],
      ['HOSPITAL_FEE', 0],
    ]);
    expect(noHospitalFee.totalMinor).toBe(50_000);
    const free = billForBooking({ ...booking, consultationFeeMinor: 0, hospitalFeeMinor: 0 }, contextOf());
    expect(free.items).toHaveLength(2);
    expect(free.totalMinor).toBe(0);
  });

  it.each([
    [{ consultationFeeMinor: -1 }, 'consultationFeeMinor'],
    [{ hospitalFeeMinor: -5 }, 'hospitalFeeMinor'],
    [{ hospitalFeeMinor: 10.5 }, 'hospitalFeeMinor'],
    [{ consultationFeeMinor: Number.NaN }, 'consultationFeeMinor'],
    [{ consultationFeeMinor: Number.POSITIVE_INFINITY }, 'consultationFeeMinor'],
    [{ consultationFeeMinor: 2 ** 53 }, 'consultationFeeMinor'],
    [{ consultationFeeMinor: Number.MAX_SAFE_INTEGER, hospitalFeeMinor: 10 }, 'totalMinor'],
    [{ currency: 'inr' }, 'currency'],
    [{ currency: '' }, 'currency'],
    [{ currency: 'INRS' }, 'currency'],
    [{ currency: 'IN1' }, 'currency'],
    [{ currency: ' INR' }, 'currency'],
  ])('refuses %o, naming the field', (bad, field) => {
    let error: unknown;
    try {
      billForBooking({ ...booking, ...bad }, contextOf());
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).violations.map((v) => v.field)).toEqual([field]);
  });
});

describe('openBill', () => {
  it('saves the bill with bill.created, keyed by tenant and appointment', async () => {
    const { store, bills, events } = fakeBillStore();
    const bill = await openBill({ store, ...contextOf() }, booking);
    expect(bill?.totalMinor).toBe(60_000);
    expect(bills()).toEqual([bill]);
    expect(events()).toHaveLength(1);
    expect(events()[0]).toMatchObject({
      def: EVENTS.billCreated,
      key: 't1:a1',
      tenantId: 't1',
      subject: `bill/${bill!.id}`,
      data: {
        billId: bill!.id,
        appointmentId: 'a1',
        patientId: 'p1',
        currency: 'INR',
        totalMinor: 60_000,
        departmentId: 'd1',
      },
    });
  });

  it('bills an appointment once, whatever a second booking event says', async () => {
    const { store, bills, events } = fakeBillStore();
    const first = await openBill({ store, ...contextOf() }, booking);
    const second = await openBill({ store, ...contextOf() }, { ...booking, consultationFeeMinor: 1 });
    expect(second).toBeUndefined();
    expect(bills()).toEqual([first]);
    expect(events()).toHaveLength(1);
  });

  it('saves nothing for a booking that cannot be billed', async () => {
    const { store, bills, events } = fakeBillStore();
    await expect(openBill({ store, ...contextOf() }, { ...booking, currency: 'rupees' })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    expect(bills()).toEqual([]);
    expect(events()).toEqual([]);
  });
});
