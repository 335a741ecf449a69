// Exact decimal arithmetic for money and rates (decimal.js, no floats), and the one rule for
// turning value into points: always round down, in the coalition's favour.
import Decimal from 'decimal.js';
import currencyCodes from 'currency-codes';

export const Exact = Decimal.clone({ precision: 60, rounding: Decimal.ROUND_DOWN });
export type Exact = Decimal;

/** The single rounding rule for points: floor, never up. */
export function toPointsRoundingDown(value: Decimal): number {
  return value.toDecimalPlaces(0, Decimal.ROUND_DOWN).toNumber();
}

/** ISO 4217 minor units (MYR 2, JPY 0, KWD 3), or undefined for an unknown code. */
export function currencyDigits(code: string): number | undefined {
  const info = currencyCodes.code(code);
  return info ? info.digits : undefined;
}

export function isCurrencyCode(code: string): boolean {
  return /^[A-Z]{3}$/.test(code) && currencyCodes.code(code) !== undefined;
}

/** Money as the wire shows it: always the currency's number of decimals ("12.50"). */
export function formatAmount(amount: string, currencyCode: string): string {
  const digits = currencyDigits(currencyCode) ?? 2;
  return new Exact(amount).toFixed(digits);
}
