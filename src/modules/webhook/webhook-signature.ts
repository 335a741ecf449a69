// Standard Webhooks signing (https://www.standardwebhooks.com): the receiver verifies
// HMAC-SHA256 over "<webhook-id>.<webhook-timestamp>.<body>" with the endpoint's secret, shown
// once as whsec_<base64 key>. Only the key is stored: HMAC needs the key itself, so it cannot be
// hashed like an API key.
import { createHmac, randomBytes } from 'node:crypto';

export const SECRET_PREFIX = 'whsec_';

export function newSigningKey(): Buffer {
  return randomBytes(32);
}

/** The secret as the endpoint's owner is given it (and as receivers' libraries take it). */
export function secretOf(key: Buffer): string {
  return `${SECRET_PREFIX}${key.toString('base64')}`;
}

/** The three headers of one attempt; the timestamp is the attempt's (receivers refuse stale ones). */
export function signedHeaders(key: Buffer, webhookId: string, body: string, at = new Date()): Record<string, string> {
  const timestamp = Math.floor(at.getTime() / 1000);
  const signature = createHmac('sha256', key).update(`${webhookId}.${timestamp}.${body}`).digest('base64');
  return { 'webhook-id': webhookId, 'webhook-timestamp': String(timestamp), 'webhook-signature': `v1,${signature}` };
}

/** One id per event, the same for every attempt and redelivery: receivers dedupe by it. */
export const webhookIdOf = (eventId: number | string) => `msg_${eventId}`;
