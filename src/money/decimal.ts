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

/**
 * Decimals a currency is priced and paid in where ISO 4217's minor unit is not what tills use:
 * the rupiah's sen has not circulated for decades, so IDR bills, receipts and discounts are whole
 * rupiah (ISO still lists 2).
 */
const CASH_DIGITS: Record<string, number> = { IDR: 0 };

/** The currency's decimals (MYR 2, IDR 0, JPY 0, KWD 3), or undefined for an unknown code. */
export function currencyDigits(code: string): number | undefined {
  if (code in CASH_DIGITS) return CASH_DIGITS[code];
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
