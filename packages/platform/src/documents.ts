/**
 * Printable documents with pdfkit, shared by the services that print (billing's
 * invoices and receipts, the prescriptions of the clinical record): A4, the PDF
 * standard fonts (no font files to ship), text laid out as text so what is
 * printed can be searched and extracted (pdftotext). Its own entry point
 * (@hms/platform/documents), so only services that print load pdfkit.
 */
import PDFDocument from 'pdfkit';

export type PdfDocument = PDFKit.PDFDocument;

export const PDF_MARGIN = 48;
/** The width between the margins of an A4 page, in points. */
export const PDF_WIDTH = 595.28 - 2 * PDF_MARGIN;

/** Renders one document: `draw` lays it out, the bytes come back when pdfkit is done. */
export function renderPdf(draw: (doc: PdfDocument) => void, info: { title: string; subject: string }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({
      size: 'A4',
      margin: PDF_MARGIN,
      info: { Title: info.title, Subject: info.subject, Producer: 'HMS' },
    });
    const chunks: Buffer[] = [];
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    draw(doc);
    doc.end();
  });
}

/** YYYY-MM-DD of an instant (UTC). */
export const pdfDate = (d: Date) => d.toISOString().slice(0, 10);
/** YYYY-MM-DD HH:MM UTC of an instant. */
export const pdfTime = (d: Date) => `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/** The issuer's name large, and what the document is beneath it. */
export function pdfHeading(doc: PdfDocument, issuerName: string, what: string): void {
  doc
    .font('Helvetica-Bold')
    .fontSize(16)
    .text(issuerName || 'HMS');
  doc.font('Helvetica').fontSize(10).fillColor('#444').text(what).fillColor('black');
  doc.moveDown();
}

/** Label and value pairs, the labels bold in a column of their own. */
export function pdfFacts(
  doc: PdfDocument,
  facts: [string, string][],
  options: { labelWidth: number; fontSize: number; gap?: number },
): void {
  for (const [label, value] of facts) {
    const y = doc.y;
    doc.font('Helvetica-Bold').fontSize(options.fontSize).text(label, PDF_MARGIN, y, { width: options.labelWidth });
    doc.font('Helvetica').text(value, PDF_MARGIN + options.labelWidth, y, { width: PDF_WIDTH - options.labelWidth });
    if (options.gap) doc.moveDown(options.gap);
  }
}
