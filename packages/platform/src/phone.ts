/**
 * Phone numbers in the one form HMS stores and compares: E.164 ("+919876543210").
 * Parsing and validation are libphonenumber-js's (Google's libphonenumber
 * metadata): numbering plans change too often to keep their rules by hand.
 */
import { isSupportedCountry, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';

/** True for an ISO 3166-1 alpha-2 region whose numbering plan is known, e.g. "IN". */
export function isPhoneRegion(region: string): boolean {
  return /^[A-Z]{2}$/.test(region) && isSupportedCountry(region);
}

/**
 * `input` as E.164, read as a number of `defaultRegion` when it has no
 * international prefix; undefined when it is not a valid phone number.
 */
export function normalizePhoneNumber(input: string, defaultRegion: string): string | undefined {
  if (!isPhoneRegion(defaultRegion)) return undefined;
  const parsed = parsePhoneNumberFromString(input, defaultRegion as CountryCode);
  return parsed?.isValid() ? parsed.number : undefined;
}
