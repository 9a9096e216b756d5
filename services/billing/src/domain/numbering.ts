/**
 * Document numbers (invoices, credit notes, receipts): a tenant's format with
 * the fiscal year and a gapless sequence per series and fiscal year. The
 * sequence itself comes from a counter row locked in the issuing transaction
 * (the store's nextNumber), so a rolled-back issue gives its number back.
 *
 * Format tokens: {FY} the fiscal year as "2026-27" (or "2026" when years start
 * in January), {FYSTART} its first calendar year, {SEQ:n} the number padded
 * to n digits at least (plain {SEQ}: no padding).
 */
import { InvalidArgumentError, localParts } from '@hms/platform/domain';

export type Series = 'invoice' | 'credit_note' | 'receipt';

/** The fiscal year an instant falls in, in the tenant's zone. */
export function fiscalYearOf(instant: Date, timeZone: string, startMonth: number): { label: string; start: number } {
  const [year, month] = localParts(instant, timeZone).date.split('-').map(Number) as [number, number];
  const start = month >= startMonth ? year : year - 1;
  const label = startMonth === 1 ? String(start) : `${start}-${String((start + 1) % 100).padStart(2, '0')}`;
  return { label, start };
}

const TOKEN = /\{(FY|FYSTART|SEQ(?::(\d{1,2}))?)\}/g;

export function formatDocumentNumber(
  format: string,
  fiscalYear: { label: string; start: number },
  seq: number,
): string {
  return format.replace(TOKEN, (_, token: string, width: string | undefined) => {
    if (token === 'FY') return fiscalYear.label;
    if (token === 'FYSTART') return String(fiscalYear.start);
    return String(seq).padStart(Number(width ?? 0), '0');
  });
}

/**
 * A format must carry the sequence exactly once and the fiscal year (numbers
 * restart every year, so without it they would repeat), in at most 40 plain
 * characters.
 */
export function checkDocumentFormat(field: string, format: string): void {
  const tokens = [...format.matchAll(TOKEN)].map((m) => m[1]!.replace(/:.*/, ''));
  const rest = format.replace(TOKEN, '');
  const problem =
    format.length > 40
      ? 'must be at most 40 characters'
      : tokens.filter((t) => t === 'SEQ').length !== 1
        ? 'must contain {SEQ} or {SEQ:n} exactly once'
        : !tokens.some((t) => t === 'FY' || t === 'FYSTART')
          ? 'must contain {FY} or {FYSTART}: numbers restart every fiscal year'
          : !/^[A-Za-z0-9/_.-]*$/.test(rest)
            ? 'may hold only letters, digits, / _ . - besides the tokens'
            : undefined;
  if (problem) throw new InvalidArgumentError('invalid number format', [{ field, message: problem }]);
}
