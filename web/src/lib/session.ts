// Credentials for each app. A deep link (/console#token=…, /till#key=…, /wallet#token=…) carries
// one in the fragment, which browsers never send to a server; it is read once, kept in this tab's
// sessionStorage, and removed from the address bar (history.replaceState) so it does not linger in
// history, bookmarks or screenshots.
export type AppName = 'console' | 'till' | 'wallet';

const PARAM: Record<AppName, string> = { console: 'token', till: 'key', wallet: 'token' };
const storageKey = (app: AppName) => `loyalty.${app}.credential`;

/** The credential from the fragment (then stored and removed from the URL), or the stored one. */
export function takeCredential(app: AppName): string | null {
  const hash = window.location.hash.replace(/^#/, '');
  if (hash) {
    const value = new URLSearchParams(hash).get(PARAM[app]);
    if (value) {
      sessionStorage.setItem(storageKey(app), value);
      window.history.replaceState(window.history.state, '', window.location.pathname + window.location.search);
      return value;
    }
  }
  return sessionStorage.getItem(storageKey(app));
}

export function storeCredential(app: AppName, value: string): void {
  sessionStorage.setItem(storageKey(app), value);
}

export function clearCredential(app: AppName): void {
  sessionStorage.removeItem(storageKey(app));
}

/** A fresh idempotency key per user action: a retried request (same key) never writes twice. */
export function idempotencyKey(prefix: string): string {
  return `${prefix}-${crypto.randomUUID()}`;
}
