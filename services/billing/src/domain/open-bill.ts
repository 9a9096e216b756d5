/**
 * The rule for opening a bill when an appointment is booked: the consultation
 * and hospital fees fixed at booking, one line each (a zero fee is still
 * listed), the total their sum.
 */
import type { Bill, BillItem, BillItemKind } from './types.js';

/** What a booking says about money. */
export interface BookedAppointment {
  tenantId: string;
  appointmentId: string;
  patientId: string;
  consultationFeeMinor: number;
  hospitalFeeMinor: number;
  currency: string;
}

/** A booking no bill can be made of: it is wrong, and will be on every attempt. */
export class UnbillableBookingError extends Error {
  override readonly name = 'UnbillableBookingError';
}

const CURRENCY = /^[A-Z]{3}$/;

export function openBillForAppointment(
  booking: BookedAppointment,
  context: { newId: () => string; now: Date; traceId: string },
): Bill {
  assertAmount('consultation fee', booking.consultationFeeMinor);
  assertAmount('hospital fee', booking.hospitalFeeMinor);
  if (!CURRENCY.test(booking.currency)) {
    throw new UnbillableBookingError(
      `currency must be an ISO 4217 code (3 upper-case letters), got ${JSON.stringify(booking.currency)}`,
    );
  }
  const items = [
    line(context.newId(), 'CONSULTATION_FEE', 'Consultation fee', booking.consultationFeeMinor),
    line(context.newId(), 'HOSPITAL_FEE', 'Hospital fee', booking.hospitalFeeMinor),
  ];
  const totalMinor = items.reduce((sum, item) => sum + item.amountMinor, 0);
  // Two safe integers can sum past 2^53, where a number stops being exact.
  assertAmount('total', totalMinor);
  return {
    id: context.newId(),
    tenantId: booking.tenantId,
    appointmentId: booking.appointmentId,
    patientId: booking.patientId,
    status: 'OPEN',
    currency: booking.currency,
    totalMinor,
    paidMinor: 0,
    traceId: context.traceId,
    createdAt: context.now,
    items,
  };
}

function assertAmount(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new UnbillableBookingError(`${name} must be a non-negative whole number of minor units, got ${value}`);
  }
}

function line(id: string, kind: BillItemKind, description: string, unitPriceMinor: number): BillItem {
  return { id, kind, description, quantity: 1, unitPriceMinor, amountMinor: unitPriceMinor };
}
