import { describe, expect, it } from 'vitest';
import { formatMrn, luhnDigit, mrnFormatViolation } from './mrn.js';
import { classifyQuery, nameTokens, normalizeName } from './patient-names.js';

describe('medical record numbers', () => {
  const at = new Date('2030-03-01T10:00:00Z');

  it('fills the format with the padded sequence, the year and a check digit', () => {
    expect(formatMrn('MRN-{SEQ:6}', 42, at)).toBe('MRN-000042');
    expect(formatMrn('H/{YY}/{SEQ:5}', 7, at)).toBe('H/30/00007');
    expect(formatMrn('P{YYYY}{SEQ:6}{CHECK}', 427, at)).toBe(`P2030000427${luhnDigit('000427')}`);
    // A sequence wider than its padding is written whole: MRNs never collide.
    expect(formatMrn('{SEQ:2}', 1234, at)).toBe('1234');
  });

  it('computes Luhn check digits', () => {
    expect(luhnDigit('7992739871')).toBe(3);
    expect(luhnDigit('0')).toBe(0);
  });

  it('refuses formats that cannot give unique, readable numbers', () => {
    expect(mrnFormatViolation('MRN-{SEQ:6}')).toBeUndefined();
    expect(mrnFormatViolation('MRN-{YYYY}')).toMatch(/exactly one \{SEQ:n\}/);
    expect(mrnFormatViolation('{SEQ:6}{SEQ:6}')).toMatch(/exactly one/);
    expect(mrnFormatViolation('{SEQ:0}')).toMatch(/1 to 12 digits/);
    expect(mrnFormatViolation('{SEQ:6}{DAY}')).toMatch(/knows only/);
    expect(mrnFormatViolation('MRN {SEQ:6}')).toMatch(/letters, digits/);
  });
});

describe('names and queries', () => {
  it('normalises names for search', () => {
    expect(normalizeName("  José  D'Souza ")).toBe('jose d souza');
    expect(nameTokens('Kumar Rajesh Kumar')).toEqual(['kumar', 'rajesh']);
    expect(nameTokens('  ')).toEqual([]);
  });

  it('tells phone numbers from names', () => {
    const e164 = (raw: string) => (raw.replace(/\D/g, '').length === 10 ? `+91${raw.replace(/\D/g, '')}` : undefined);
    expect(classifyQuery('98765 43210', e164)).toEqual({ kind: 'phone', digits: '9876543210', e164: '+919876543210' });
    expect(classifyQuery('3210', e164)).toEqual({ kind: 'phone', digits: '3210', e164: undefined });
    expect(classifyQuery('Rajesh Kumr', e164)).toEqual({
      kind: 'name',
      text: 'rajesh kumr',
      words: ['rajesh', 'kumr'],
    });
    expect(classifyQuery('MRN-000042', e164).kind).toBe('name');
  });
});
