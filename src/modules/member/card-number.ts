// The coalition card number: 16 digits, the last a Luhn check digit, so a mistyped digit (or two
// swapped neighbours) at a till is caught before any lookup. Numbers are drawn by the database
// (coalition_card_number(), see migrations/…-StaffAndPrivacy); this checks what a till sends.
export const CARD_NUMBER_LENGTH = 16;

export function luhnCheckDigit(body: string): number {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = body.charCodeAt(body.length - 1 - i) - 48;
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

/** However it was typed (spaces and dashes between groups are ignored); null when it cannot be a card number. */
export function normalizeCardNumber(input: string): string | null {
  const digits = input.replace(/[\s-]/g, '');
  if (!/^\d{16}$/.test(digits)) return null;
  return luhnCheckDigit(digits.slice(0, -1)) === Number(digits.slice(-1)) ? digits : null;
}
