// Numbers, money and dates as each market writes them (Intl), in the language picked.
import i18n from 'i18next';

const LOCALES: Record<string, string> = { en: 'en-GB', ms: 'ms-MY', th: 'th-TH', id: 'id-ID' };

export function locale(): string {
  return LOCALES[i18n.language] ?? 'en-GB';
}

export function formatPoints(points: number): string {
  return new Intl.NumberFormat(locale()).format(points);
}

/**
 * Money from the API's exact decimal string. Intl formats a numeric string exactly (no float on
 * the way), with the currency's own digits (IDR has none, MYR two).
 */
export function formatMoney(amount: string, currencyCode: string): string {
  return new Intl.NumberFormat(locale(), { style: 'currency', currency: currencyCode }).format(amount as unknown as number);
}

export function formatDecimal(value: string): string {
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: 10 }).format(value as unknown as number);
}

export function formatDateTime(iso: string): string {
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

export function formatDate(iso: string): string {
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium' }).format(new Date(iso));
}

/** The `partner:<slug>`, `member:<id>`, `staff:<id>` or `admin` of `viewer`. */
export function parseViewer(viewer: string): { kind: string; ref: string } {
  const i = viewer.indexOf(':');
  return i < 0 ? { kind: viewer, ref: '' } : { kind: viewer.slice(0, i), ref: viewer.slice(i + 1) };
}
