/**
 * Names as search compares them: lower case, accents and punctuation gone,
 * words split on anything that is not a letter or digit. The words of a name
 * go to the tenant's word list, where a query word finds what it may mean.
 */

const MAX_QUERY_WORDS = 4;

/** "  José  D'Souza " -> "jose d souza" */
export function normalizeName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

export function nameTokens(name: string): string[] {
  const normalized = normalizeName(name);
  return normalized ? [...new Set(normalized.split(' '))] : [];
}

export type PatientQuery =
  { kind: 'phone'; digits: string; e164: string | undefined } | { kind: 'name'; text: string; words: string[] };

/**
 * What a search query asks for: a phone number (mostly digits: a whole number
 * or its last 4+ digits) or a name (its first words). An MRN is looked up
 * exactly in either case.
 */
export function classifyQuery(query: string, toE164: (raw: string) => string | undefined): PatientQuery {
  const trimmed = query.trim();
  const digits = trimmed.replace(/\D/g, '');
  if (digits.length >= 4 && /^[+\d\s().-]+$/.test(trimmed)) {
    return { kind: 'phone', digits, e164: digits.length >= 7 ? toE164(trimmed) : undefined };
  }
  const text = normalizeName(trimmed);
  return { kind: 'name', text, words: [...new Set(text.split(' ').filter(Boolean))].slice(0, MAX_QUERY_WORDS) };
}
