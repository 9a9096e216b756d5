import { InvalidArgumentError } from '@hms/platform/domain';
import { describe, expect, it } from 'vitest';
import { checkDocumentFormat, fiscalYearOf, formatDocumentNumber } from './numbering.js';

describe('fiscal years and document numbers', () => {
  it("takes the fiscal year in the tenant's zone, from its first month", () => {
    // 31 March 2027 20:00 UTC is already 1 April in India.
    expect(fiscalYearOf(new Date('2027-03-31T20:00:00Z'), 'Asia/Kolkata', 4)).toEqual({
      label: '2027-28',
      start: 2027,
    });
    expect(fiscalYearOf(new Date('2027-03-31T20:00:00Z'), 'UTC', 4)).toEqual({ label: '2026-27', start: 2026 });
    expect(fiscalYearOf(new Date('2099-06-01T00:00:00Z'), 'UTC', 4).label).toBe('2099-00');
    expect(fiscalYearOf(new Date('2027-03-31T00:00:00Z'), 'UTC', 1)).toEqual({ label: '2027', start: 2027 });
  });

  it('formats numbers as the tenant says', () => {
    const fy = { label: '2026-27', start: 2026 };
    expect(formatDocumentNumber('INV/{FY}/{SEQ:6}', fy, 123)).toBe('INV/2026-27/000123');
    expect(formatDocumentNumber('{FYSTART}-{SEQ}', fy, 1234567)).toBe('2026-1234567');
  });

  it.each([
    ['INV/{SEQ:6}', /FY/],
    ['INV/{FY}', /SEQ/],
    ['INV/{FY}/{SEQ}/{SEQ}', /exactly once/],
    ['INV {FY} {SEQ}', /letters, digits/],
    [`${'X'.repeat(40)}{FY}{SEQ}`, /40/],
  ])('refuses the format %s', (format, message) => {
    let error: unknown;
    try {
      checkDocumentFormat('invoiceFormat', format);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).violations[0]?.message).toMatch(message);
  });
});
