/** The billing domain as plain data; repositories map rows to these. Amounts are integer minor units. */

export type BillStatus = 'OPEN' | 'PARTIALLY_PAID' | 'PAID' | 'VOID';
export type BillItemKind = 'CONSULTATION_FEE' | 'HOSPITAL_FEE' | 'OTHER';

export interface BillItem {
  id: string;
  kind: BillItemKind;
  description: string;
  quantity: number;
  unitPriceMinor: number;
  /** quantity * unitPriceMinor (the database checks it). */
  amountMinor: number;
}

export interface Bill {
  id: string;
  tenantId: string;
  appointmentId: string;
  patientId: string;
  status: BillStatus;
  /** ISO 4217 code, e.g. INR. */
  currency: string;
  totalMinor: number;
  paidMinor: number;
  /** Trace id of the request that booked the appointment, so a bill can be followed back to it. */
  traceId: string;
  createdAt: Date;
  items: BillItem[];
}
