import { randomBytes } from 'node:crypto';

/** When a new code of reward `rewardParam` stops being valid: now + the reward's validDays (NULL: never). */
export const REDEMPTION_EXPIRY_SQL = (rewardParam: string) => `(SELECT now() + make_interval(days => valid_days) FROM reward WHERE id = ${rewardParam})`;

// Crockford base32: no I, L, O or U, so a code read aloud at a till is not misheard.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * A code as a till typed it, in the form codes are looked up by (stored codes without their
 * dashes): case, spaces and separators ignored, and Crockford's look-alikes read as the digits
 * they stand for (O → 0, I and L → 1), so a code read aloud or copied by hand still matches.
 */
export function normalizeRedemptionCode(typed: string): string {
  return typed
    .toUpperCase()
    .replace(/[^0-9A-Z]/g, '')
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
}

/** 80 random bits as XXXX-XXXX-XXXX-XXXX: unguessable, and short enough to type. */
export function newRedemptionCode(): string {
  const bytes = randomBytes(10);
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return out.match(/.{4}/g)!.join('-');
}
