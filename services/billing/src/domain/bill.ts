/**
 * Bills as plain data, and the rule for opening one when an appointment is
 * booked: the consultation and hospital fees fixed at booking, one line each,
 * the total their sum. All amounts are integer minor units.
 */

export type BillStatus = 'OPEN' | 'PARTIALLY_PAID' | 'PAID' | 'VOID';
export type BillItemKind = 'CONSULTATION_FEE' | 'HOSPITAL_FEE' | 'OTHER';

export interface BillItem {
  id: string;
  kind: BillItemKind;
  description: string;
  quantity: number;
  unitPriceMinor: number;
  amountMinor: number;
}

export interface Bill {
  id: string;
  tenantId: string;
  appointmentId: string;
  patientId: string;
  status: BillStatus;
  currency: string;
  totalMinor: number;
  paidMinor: number;
  traceId: string;
  createdAt: Date;
  items: BillItem[];
}

/** A booking whose fees cannot make a bill: the event is wrong, and will be every time. */
export class InvalidBookingFeesError extends Error {
  override readonly name = 'InvalidBookingFeesError';
}

export interface BookedAppointment {
  tenantId: string;
  appointmentId: string;
  patientId: string;
  consultationFeeMinor: number;
  hospitalFeeMinor: number;
  currency: string;
}

const CURRENCY = /^[A-Z]{3}$/;

function assertAmount(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InvalidBookingFeesError(`${name} must be a non-negative whole number of minor units, got ${value}`);
  }
}

export function openBillForAppointment(
  booking: BookedAppointment,
  context: { newId: () => string; now: Date; traceId: string },
): Bill {
  if (!booking.appointmentId || !booking.patientId) {
    throw new InvalidBookingFeesError('the booking names no appointment or no patient');
  }
  assertAmount('consultation fee', booking.consultationFeeMinor);
  assertAmount('hospital fee', booking.hospitalFeeMinor);
  if (!CURRENCY.test(booking.currency)) {
    throw new InvalidBookingFeesError(`currency must be an ISO 4217 code, got "${booking.currency}"`);
  }
  const items: BillItem[] = [
    line(context.newId(), 'CONSULTATION_FEE', 'Consultation fee', booking.consultationFeeMinor),
    line(context.newId(), 'HOSPITAL_FEE', 'Hospital fee', booking.hospitalFeeMinor),
  ];
  const totalMinor = items.reduce((sum, item) => sum + item.amountMinor, 0);
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

function line(id: string, kind: BillItemKind, description: string, unitPriceMinor: number): BillItem {
  return { id, kind, description, quantity: 1, unitPriceMinor, amountMinor: unitPriceMinor };
}
