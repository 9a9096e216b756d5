/**
 * Medical record numbers: readable, tenant-unique, from a per-tenant sequence
 * and the tenant's format. The format is text with placeholders:
 *   {SEQ:n}  the sequence number, zero-padded to n digits (required, n 1-12)
 *   {YYYY}, {YY}  the year of registration (UTC)
 *   {CHECK}  a check digit (Luhn, over the sequence), so a mistyped MRN is noticed
 * e.g. "MRN-{YYYY}-{SEQ:6}{CHECK}" -> "MRN-2030-0000427" (the 7 is the check digit).
 */

const PLACEHOLDER = /\{(SEQ:(\d{1,2})|YYYY|YY|CHECK)\}/g;

/** What is wrong with a format, or undefined when it is usable. */
export function mrnFormatViolation(format: string): string | undefined {
  if (format.length < 1 || format.length > 40) return 'must be 1 to 40 characters';
  const seq = [...format.matchAll(/\{SEQ:(\d{1,2})\}/g)];
  if (seq.length !== 1) return 'must hold exactly one {SEQ:n} placeholder';
  const digits = Number(seq[0]![1]);
  if (digits < 1 || digits > 12) return '{SEQ:n} takes 1 to 12 digits';
  const literal = format.replace(PLACEHOLDER, '');
  if (/[{}]/.test(literal)) return 'knows only {SEQ:n}, {YYYY}, {YY} and {CHECK}';
  if (!/^[A-Za-z0-9/_.-]*$/.test(literal)) return 'may hold letters, digits and - _ . / besides placeholders';
  return undefined;
}

/** The Luhn check digit of a string of digits. */
export function luhnDigit(digits: string): number {
  let sum = 0;
  for (let i = 0; i < digits.length; i += 1) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

/** The MRN of sequence number `sequence`, registered at `at`, in `format`. */
export function formatMrn(format: string, sequence: number, at: Date): string {
  const year = String(at.getUTCFullYear());
  let seqText = String(sequence);
  return format
    .replace(/\{SEQ:(\d{1,2})\}/, (_, n: string) => {
      seqText = String(sequence).padStart(Number(n), '0');
      return seqText;
    })
    .replace('{YYYY}', year)
    .replace('{YY}', year.slice(2))
    .replace('{CHECK}', () => String(luhnDigit(seqText)));
}
