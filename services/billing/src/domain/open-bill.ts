/**
 * Opening a bill when an appointment is booked: the consultation and hospital
 * fees fixed at booking, one line each (a zero fee is still listed), the total
 * their sum, and bill.created announcing it, all in one transaction. A second
 * booking event of the same appointment bills nothing.
 */
import { InvalidArgumentError } from '@hms/platform/domain';
import type { BillStore } from './bill-store.js';
import { billCreated } from './events.js';
import type { Bill, BillItem, BillItemKind } from './types.js';

/** What a booking says about money. */
export interface OpenBill {
  tenantId: string;
  appointmentId: string;
  patientId: string;
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

const CURRENCY = /^[A-Z]{3}$/;

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
    line(clock.newId(), 'CONSULTATION_FEE', 'Consultation fee', booking.consultationFeeMinor),
    line(clock.newId(), 'HOSPITAL_FEE', 'Hospital fee', booking.hospitalFeeMinor),
  ];
  const totalMinor = items.reduce((sum, item) => sum + item.amountMinor, 0);
  // Two safe integers can sum past 2^53, where a number stops being exact.
  assertAmount('totalMinor', totalMinor);
  return {
    id: clock.newId(),
    tenantId: booking.tenantId,
    appointmentId: booking.appointmentId,
    patientId: booking.patientId,
    status: 'OPEN',
    currency: booking.currency,
    totalMinor,
    paidMinor: 0,
    traceId: booking.traceId,
    createdAt: clock.now(),
    items,
  };
}

function assertAmount(field: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError('the booking cannot be billed', [
      { field, message: `must be a non-negative whole number of minor units, got ${value}` },
    ]);
  }
}

function line(id: string, kind: BillItemKind, description: string, unitPriceMinor: number): BillItem {
  return { id, kind, description, quantity: 1, unitPriceMinor, amountMinor: unitPriceMinor };
}
