/**
 * The printable prescription (the platform's PDF helpers, as billing's
 * invoices): who issued it and when, each medicine with its dose, route,
 * frequency, duration, quantity and instructions, and the warnings the
 * prescriber acknowledged.
 */
import { PDF_MARGIN, PDF_WIDTH, pdfFacts, pdfHeading, pdfTime, renderPdf } from '@hms/platform/documents';
import type { Prescription } from '../domain/clinical-types.js';

export function prescriptionPdf(input: { prescription: Prescription; issuerName: string }): Promise<Buffer> {
  const p = input.prescription;
  return renderPdf(
    (doc) => {
      pdfHeading(doc, input.issuerName, 'Prescription');
      pdfFacts(
        doc,
        [
          ['Prescription', p.id],
          ['Issued', pdfTime(p.issuedAt)],
          ['Prescriber', p.issuedBy],
          ['Patient', p.patientId],
          ['Appointment', p.appointmentId],
          ['Status', p.status.toLowerCase()],
          ...(p.dispensedAt
            ? ([['Dispensed', `${pdfTime(p.dispensedAt)} by ${p.dispensedBy}`]] as [string, string][])
            : []),
        ],
        { labelWidth: 110, fontSize: 9 },
      );
      doc.moveDown();
      doc.font('Helvetica-Bold').fontSize(12).text('Rx', PDF_MARGIN, doc.y);
      doc.moveDown(0.3);
      p.items.forEach((item, n) => {
        doc
          .font('Helvetica-Bold')
          .fontSize(10)
          .text(`${n + 1}. ${item.genericName} ${item.strength} ${item.form}`, PDF_MARGIN, doc.y, { width: PDF_WIDTH });
        doc
          .font('Helvetica')
          .fontSize(9)
          .text(
            `${item.dose}, ${item.route}, ${item.frequency}, for ${item.durationDays} day${item.durationDays === 1 ? '' : 's'}; quantity ${item.quantity}`,
            PDF_MARGIN + 14,
            doc.y,
            { width: PDF_WIDTH - 14 },
          );
        if (item.instructions) {
          doc.text(`Instructions: ${item.instructions}`, PDF_MARGIN + 14, doc.y, { width: PDF_WIDTH - 14 });
        }
        doc.moveDown(0.4);
      });
      if (p.warnings.length > 0) {
        doc.moveDown().font('Helvetica-Bold').fontSize(9).text('Warnings acknowledged by the prescriber', PDF_MARGIN);
        for (const w of p.warnings) {
          doc.font('Helvetica').fontSize(8).text(`${w.kind} (${w.medicineCode}): ${w.message}`, PDF_MARGIN);
        }
      }
      doc.moveDown(2).font('Helvetica').fontSize(8).fillColor('#666');
      doc.text('Times in UTC. Issued electronically; the record is kept by the hospital.', PDF_MARGIN);
    },
    { title: `Prescription ${p.id}`, subject: `Appointment ${p.appointmentId}` },
  );
}
