/**
 * Billing's printable documents (the platform's PDF helpers): the invoice of an issued bill (its lines,
 * discounts, taxes, totals, payments and credit notes) and the receipt of a
 * payment. A4, the PDF standard fonts (no font files to ship), amounts in
 * the currency's usual digits. Text is laid out as text, so what is printed
 * can also be searched and extracted.
 */
import {
  PDF_MARGIN as MARGIN,
  PDF_WIDTH as WIDTH,
  pdfDate as date,
  pdfFacts,
  pdfHeading,
  pdfTime as time,
  renderPdf as render,
  type PdfDocument,
} from '@hms/platform/documents';
import { formatMinor } from '../domain/money.js';
import type { Bill, CreditNote, Payment } from '../domain/types.js';

/** Label and value on one line, the value right-aligned in the last column. */
function amountRow(doc: PdfDocument, label: string, value: string, options: { bold?: boolean } = {}): void {
  const y = doc.y;
  doc.font(options.bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(10);
  doc.text(label, MARGIN + WIDTH - 260, y, { width: 160 });
  doc.text(value, MARGIN + WIDTH - 100, y, { width: 100, align: 'right' });
  doc.moveDown(0.2);
}

const COLUMNS = [
  { title: '#', width: 22, align: 'left' },
  { title: 'Item', width: 170, align: 'left' },
  { title: 'Qty', width: 32, align: 'right' },
  { title: 'Rate', width: 64, align: 'right' },
  { title: 'Discount', width: 64, align: 'right' },
  { title: 'Tax', width: 70, align: 'right' },
  { title: 'Amount', width: WIDTH - 22 - 170 - 32 - 64 - 64 - 70, align: 'right' },
] as const;

function tableRow(doc: PdfDocument, cells: string[], bold = false): void {
  const y = doc.y;
  let x = MARGIN;
  let bottom = y;
  doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(9);
  cells.forEach((cell, i) => {
    const column = COLUMNS[i]!;
    doc.text(cell, x, y, { width: column.width - 4, align: column.align });
    bottom = Math.max(bottom, doc.y);
    x += column.width;
  });
  doc.y = bottom + 3;
}

export function invoicePdf(input: {
  bill: Bill;
  issuerName: string;
  payments: Payment[];
  creditNotes: CreditNote[];
}): Promise<Buffer> {
  const { bill, payments, creditNotes } = input;
  const issue = bill.issue!;
  const money = (n: number) => formatMinor(n, bill.currency);
  return render(
    (doc) => {
      pdfHeading(doc, input.issuerName, 'Tax invoice');
      const facts: [string, string][] = [
        ['Invoice number', issue.invoiceNumber],
        ['Fiscal year', issue.fiscalYear],
        ['Issued', time(issue.issuedAt)],
        ['Due', date(issue.dueAt)],
        ['Bill', bill.id],
        ['Appointment', bill.appointmentId],
        ['Patient', bill.patientId],
        ['Status', bill.status.replace('_', ' ').toLowerCase()],
      ];
      pdfFacts(doc, facts, { labelWidth: 110, fontSize: 9 });
      doc.moveDown();
      tableRow(
        doc,
        COLUMNS.map((c) => c.title),
        true,
      );
      doc
        .moveTo(MARGIN, doc.y)
        .lineTo(MARGIN + WIDTH, doc.y)
        .stroke();
      doc.moveDown(0.3);
      bill.items.forEach((item, n) => {
        const discount = item.lineDiscountMinor + item.billDiscountMinor;
        tableRow(doc, [
          String(n + 1),
          item.description + (item.catalogue ? ` (${item.catalogue.code})` : ''),
          String(item.quantity),
          money(item.unitPriceMinor),
          discount ? `-${money(discount)}` : '',
          item.taxRateBp ? `${money(item.taxMinor)} @ ${(item.taxRateBp / 100).toFixed(2)}%` : '',
          money(item.amountMinor),
        ]);
      });
      doc
        .moveTo(MARGIN, doc.y)
        .lineTo(MARGIN + WIDTH, doc.y)
        .stroke();
      doc.moveDown(0.5);
      amountRow(doc, 'Subtotal', money(bill.subtotalMinor));
      if (bill.discountMinor) {
        amountRow(doc, 'Discounts', `-${money(bill.discountMinor)}`);
        if (bill.discount)
          doc.font('Helvetica').fontSize(8).text(`Bill discount: ${bill.discount.reason}`, MARGIN, doc.y);
      }
      amountRow(doc, 'Tax', money(bill.taxMinor));
      amountRow(doc, `Total (${bill.currency})`, money(bill.totalMinor), { bold: true });
      if (bill.creditedMinor) amountRow(doc, 'Credited', `-${money(bill.creditedMinor)}`);
      amountRow(doc, 'Paid', money(bill.paidMinor));
      if (bill.refundedMinor) amountRow(doc, 'Refunded', `-${money(bill.refundedMinor)}`);
      amountRow(doc, 'Balance due', money(Math.max(0, bill.dueMinor)), { bold: true });
      if (payments.length > 0) {
        doc.moveDown().font('Helvetica-Bold').fontSize(10).text('Payments', MARGIN, doc.y);
        for (const p of payments) {
          doc
            .font('Helvetica')
            .fontSize(9)
            .text(
              `${p.receiptNumber}  ${time(p.receivedAt)}  ${p.method}${p.reference ? ` ${p.reference}` : ''}  ${money(p.amountMinor)}`,
            );
        }
      }
      if (creditNotes.length > 0) {
        doc.moveDown().font('Helvetica-Bold').fontSize(10).text('Credit notes', MARGIN, doc.y);
        for (const c of creditNotes) {
          doc
            .font('Helvetica')
            .fontSize(9)
            .text(`${c.number}  ${date(c.issuedAt)}  ${money(c.amountMinor)}  ${c.reason}`);
        }
      }
      doc.moveDown(2).font('Helvetica').fontSize(8).fillColor('#666');
      doc.text(
        'Amounts in ' + bill.currency + '. Tax per line on the amount after discounts, rounded half-even.',
        MARGIN,
      );
    },
    { title: `Invoice ${issue.invoiceNumber}`, subject: `Bill ${bill.id}` },
  );
}

export function receiptPdf(input: { payment: Payment; bill: Bill; issuerName: string }): Promise<Buffer> {
  const { payment, bill } = input;
  const money = (n: number) => formatMinor(n, payment.currency);
  return render(
    (doc) => {
      pdfHeading(doc, input.issuerName, 'Payment receipt');
      const facts: [string, string][] = [
        ['Receipt number', payment.receiptNumber],
        ['Received', time(payment.receivedAt)],
        ['Amount', `${payment.currency} ${money(payment.amountMinor)}`],
        ['Method', payment.method],
        ['Reference', payment.reference || '-'],
        ['Received by', payment.receivedBy],
        ['Invoice', bill.issue?.invoiceNumber ?? '(not yet issued)'],
        ['Bill', bill.id],
        ['Patient', bill.patientId],
        ['Balance due after all payments', `${bill.currency} ${money(Math.max(0, bill.dueMinor))}`],
      ];
      pdfFacts(doc, facts, { labelWidth: 180, fontSize: 10, gap: 0.3 });
    },
    { title: `Receipt ${payment.receiptNumber}`, subject: `Payment ${payment.id}` },
  );
}
