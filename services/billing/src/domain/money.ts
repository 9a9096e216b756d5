/**
 * Integer money arithmetic. Amounts are whole minor units held in numbers that
 * must stay safe integers; products go through BigInt so that nothing is lost
 * on the way. The one rounding rule of billing is half-even ("banker's
 * rounding"): a result exactly halfway between two minor units goes to the
 * even one, so over many lines rounding neither gains nor loses on average.
 */
import { InvalidArgumentError } from '@hms/platform/domain';

/** Basis points in a whole: 10000 bp = 100 %. */
export const BP = 10_000;

export const CURRENCY = /^[A-Z]{3}$/;

/** numerator / denominator rounded half-even; both non-negative, denominator > 0. */
export function divideHalfEven(numerator: bigint, denominator: bigint): bigint {
  const quotient = numerator / denominator;
  const twice = (numerator % denominator) * 2n;
  if (twice > denominator || (twice === denominator && quotient % 2n === 1n)) return quotient + 1n;
  return quotient;
}

/** `bp` basis points of `amount` minor units, rounded half-even. */
export function basisPointsOf(amount: number, bp: number): number {
  return toSafe(divideHalfEven(BigInt(amount) * BigInt(bp), BigInt(BP)), 'amount');
}

/**
 * Splits `total` over `weights` in proportion (largest remainder): the shares
 * add up to `total` exactly, none exceeds its weight when total <= sum of
 * weights, and ties go to the earlier weight, so the split is deterministic.
 */
export function allocate(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, w) => a + BigInt(w), 0n);
  if (sum === 0n) return weights.map(() => 0);
  const t = BigInt(total);
  const shares = weights.map((w) => (t * BigInt(w)) / sum);
  let left = t - shares.reduce((a, s) => a + s, 0n);
  const order = weights
    .map((w, i) => ({ i, remainder: (t * BigInt(w)) % sum }))
    .sort((a, b) => (a.remainder === b.remainder ? a.i - b.i : a.remainder > b.remainder ? -1 : 1));
  for (const { i } of order) {
    if (left === 0n) break;
    shares[i] = shares[i]! + 1n;
    left -= 1n;
  }
  return shares.map((s) => toSafe(s, 'amount'));
}

function toSafe(value: bigint, field: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) {
    throw new InvalidArgumentError('amount out of range', [
      { field, message: 'exceeds the largest amount HMS can hold' },
    ]);
  }
  return n;
}

/** A whole, non-negative (or positive) number of minor units, or InvalidArgumentError naming the field. */
export function assertMinorUnits(field: string, value: number, options: { positive?: boolean } = {}): void {
  if (!Number.isSafeInteger(value) || value < 0 || (options.positive && value === 0)) {
    throw new InvalidArgumentError(`${field} is not a valid amount`, [
      {
        field,
        message: `must be a ${options.positive ? 'positive' : 'non-negative'} whole number of minor units, got ${value}`,
      },
    ]);
  }
}

/** Minor units as a decimal string in the currency's usual digits, e.g. 123456 INR -> "1,234.56". */
export function formatMinor(amount: number, currency: string): string {
  const digits = minorDigitsOf(currency);
  const negative = amount < 0;
  const text = Math.abs(amount)
    .toString()
    .padStart(digits + 1, '0');
  const whole = text.slice(0, text.length - digits).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const fraction = digits > 0 ? `.${text.slice(text.length - digits)}` : '';
  return `${negative ? '-' : ''}${whole}${fraction}`;
}

const digitsCache = new Map<string, number>();
/** How many minor-unit digits a currency has (2 for INR, 0 for JPY, 3 for KWD). */
export function minorDigitsOf(currency: string): number {
  let digits = digitsCache.get(currency);
  if (digits === undefined) {
    try {
      digits =
        new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    } catch {
      digits = 2;
    }
    digitsCache.set(currency, digits);
  }
  return digits;
}
