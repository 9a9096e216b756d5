/**
 * Opening a bill when an appointment is booked: the consultation and hospital
 * fees fixed at booking, one line each (a zero fee is still listed), untaxed,
 * the total their sum, and bill.created announcing it, all in one
 * transaction. A second booking event of the same appointment bills nothing.
 */
import { InvalidArgumentError } from '@hms/platform/domain';
import type { BillStore } from './bill-store.js';
import { billCreated } from './events.js';
import { CURRENCY } from './money.js';
import { priced } from './pricing.js';
import type { Bill, BillItem, BillItemKind } from './types.js';

/** What a booking says about money. */
export interface OpenBill {
  tenantId: string;
  appointmentId: string;
  patientId: string;
  departmentId: string;
  consultationFeeMinor: number;
  hospitalFeeMinor: number;
  currency: string;
  /** Trace id of the booking request, so the bill can be followed back to it. */
  traceId: string;
}

export interface BillingClock {
  newId: () => string;
  now: () => Date;
}

/** Opens the bill of a booking; undefined when the appointment already had one. */
export async function openBill(
  deps: { store: BillStore } & BillingClock,
  command: OpenBill,
): Promise<Bill | undefined> {
  const bill = billForBooking(command, deps);
  return deps.store.change(command.tenantId, async (tx) =>
    (await tx.insertUnlessBilled(bill, [billCreated(bill)])) ? bill : undefined,
  );
}

/** The bill a booking asks for; InvalidArgumentError when no bill can be made of it (it would fail every time). */
export function billForBooking(booking: OpenBill, clock: BillingClock): Bill {
  assertAmount('consultationFeeMinor', booking.consultationFeeMinor);
  assertAmount('hospitalFeeMinor', booking.hospitalFeeMinor);
  if (!CURRENCY.test(booking.currency)) {
    throw new InvalidArgumentError('the booking cannot be billed', [
      {
        field: 'currency',
        message: `must be an ISO 4217 code (3 upper-case letters), got ${JSON.stringify(booking.currency)}`,
      },
    ]);
  }
  const items = [
    line(clock.newId(), 'CONSULTATION_FEE', 'Consultation fee', booking.consultationFeeMinor, 0),
    line(clock.newId(), 'HOSPITAL_FEE', 'Hospital fee', booking.hospitalFeeMinor, 1),
  ];
  // Two safe integers can sum past 2^53, where a number stops being exact.
  assertAmount('totalMinor', booking.consultationFeeMinor + booking.hospitalFeeMinor);
  return priced({
    id: clock.newId(),
    tenantId: booking.tenantId,
    appointmentId: booking.appointmentId,
    patientId: booking.patientId,
    departmentId: booking.departmentId,
    status: 'OPEN',
    currency: booking.currency,
    subtotalMinor: 0,
    discountMinor: 0,
    taxMinor: 0,
    totalMinor: 0,
    paidMinor: 0,
    refundedMinor: 0,
    refundReservedMinor: 0,
    creditedMinor: 0,
    dueMinor: 0,
    traceId: booking.traceId,
    createdAt: clock.now(),
    items,
  });
}

function assertAmount(field: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError('the booking cannot be billed', [
      { field, message: `must be a non-negative whole number of minor units, got ${value}` },
    ]);
  }
}

function line(id: string, kind: BillItemKind, description: string, unitPriceMinor: number, position: number): BillItem {
  return {
    id,
    kind,
    description,
    quantity: 1,
    unitPriceMinor,
    grossMinor: unitPriceMinor,
    lineDiscountMinor: 0,
    billDiscountMinor: 0,
    taxRateBp: 0,
    taxMinor: 0,
    amountMinor: unitPriceMinor,
    position,
  };
}
