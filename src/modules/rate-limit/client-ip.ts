// The client's address for per-IP limits. Behind proxies, X-Forwarded-For is trusted for exactly
// the configured number of hops (as Express's "trust proxy" counts them); anything further left
// in the header is the client's own claim and ignored.
import type { IncomingMessage } from 'node:http';

export function clientIp(req: IncomingMessage, trustedHops: number): string {
  const socketIp = req.socket.remoteAddress ?? 'unknown';
  if (trustedHops === 0) return socketIp;
  const header = req.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const chain = [...forwarded, socketIp];
  return chain[Math.max(0, chain.length - 1 - trustedHops)]!;
}
