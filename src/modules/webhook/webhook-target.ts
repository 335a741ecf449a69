// Where a webhook may go, checked when an endpoint is created and again on every attempt (a name
// that resolved to a public address at creation may resolve to a private one later). In
// production: https only, and no private, loopback or link-local address unless
// WEBHOOK_ALLOW_PRIVATE_TARGETS=true — a partner's URL must not reach into the gateway's own
// network. Redirects are never followed: a 3xx is a failed attempt like any other non-2xx.
import { LookupAddress, lookup } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import http from 'node:http';
import https from 'node:https';
import { badInput } from '../../errors/domain-error';

export interface TargetRules {
  production: boolean;
  allowPrivateTargets: boolean;
}

const MAX_URL_LENGTH = 2048;
/** Read of a receiver's answer: only the status matters, the rest is drained up to this and dropped. */
const MAX_ANSWER_BYTES = 64 * 1024;

const BLOCKED = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local (cloud metadata services live here)
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const)
  BLOCKED.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
] as const)
  BLOCKED.addSubnet(net, bits, 'ipv6');

/** Private, loopback, link-local or otherwise not a public unicast address. */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return BLOCKED.check(mapped[1]!, 'ipv4');
  const family = isIP(address);
  if (family === 0) return true;
  return BLOCKED.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

const guardsAddresses = (rules: TargetRules) => rules.production && !rules.allowPrivateTargets;

function lookupAll(host: string): Promise<string[]> {
  return new Promise((resolve, reject) =>
    lookup(host, { all: true, verbatim: true }, (err, addresses: LookupAddress[]) => (err ? reject(err) : resolve(addresses.map((a) => a.address)))),
  );
}

const hostOf = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, '$1');

/** The URL an endpoint may be created with, or BAD_USER_INPUT naming `field`. */
export async function checkWebhookUrl(raw: string, rules: TargetRules, field = 'input.url', resolve = lookupAll): Promise<string> {
  const text = raw.trim();
  if (text.length === 0 || text.length > MAX_URL_LENGTH) throw badInput(field, `must be 1 to ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw badInput(field, 'is not a URL');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && !rules.production)) {
    throw badInput(field, rules.production ? 'must be an https:// URL' : 'must be an https:// (or, outside production, http://) URL');
  }
  if (url.username || url.password) throw badInput(field, 'must not carry a user name or password (the signature authenticates the gateway)');
  if (url.hash) throw badInput(field, 'must not have a #fragment');
  if (guardsAddresses(rules)) {
    const host = hostOf(url);
    let addresses: string[];
    try {
      addresses = isIP(host) ? [host] : await resolve(host);
    } catch {
      throw badInput(field, `the host name "${host.slice(0, 253)}" does not resolve`);
    }
    if (addresses.length === 0 || addresses.some(isPrivateAddress)) {
      throw badInput(field, 'resolves to a private, loopback or link-local address, which production refuses (WEBHOOK_ALLOW_PRIVATE_TARGETS)');
    }
  }
  return url.toString();
}

export type Answer = { status: number } | { error: string };

/**
 * One POST with an overall timeout; never follows a redirect. In production the address it
 * connects to is checked as it is resolved, so DNS cannot swap in a private one after creation.
 */
export function postWebhook(rawUrl: string, headers: Record<string, string>, body: string, rules: TargetRules, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (a: Answer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(a);
    };
    let url: URL;
    try {
      url = new URL(rawUrl);
    } catch {
      return finish({ error: 'invalid URL' });
    }
    const guard = guardsAddresses(rules);
    const host = hostOf(url);
    if (guard && isIP(host) && isPrivateAddress(host)) return finish({ error: 'refused: private address' });
    const guardedLookup: typeof lookup = ((hostname: string, options: object, cb: (...a: unknown[]) => void) =>
      lookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
        if (err) return cb(err);
        const allowed = guard ? addresses.filter((a) => !isPrivateAddress(a.address)) : addresses;
        if (allowed.length === 0) return cb(Object.assign(new Error('refused: the host resolves to a private address'), { code: 'EPRIVATE' }));
        if ((options as { all?: boolean }).all) return cb(null, allowed);
        cb(null, allowed[0]!.address, allowed[0]!.family);
      })) as unknown as typeof lookup;
    const request = (url.protocol === 'https:' ? https : http).request(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'coalition-loyalty-gateway-webhooks', ...headers },
        lookup: guardedLookup,
        agent: false,
      },
      (res) => {
        let seen = 0;
        res.on('data', (chunk: Buffer) => {
          seen += chunk.length;
          if (seen > MAX_ANSWER_BYTES) res.destroy();
        });
        res.on('error', () => finish({ status: res.statusCode ?? 0 }));
        res.on('close', () => finish({ status: res.statusCode ?? 0 }));
        res.on('end', () => finish({ status: res.statusCode ?? 0 }));
      },
    );
    const timer = setTimeout(() => {
      request.destroy();
      finish({ error: `no answer within ${timeoutMs} ms` });
    }, timeoutMs);
    request.on('error', (err: NodeJS.ErrnoException) => finish({ error: err.code === 'EPRIVATE' ? err.message : `${err.code ?? 'error'}: could not deliver` }));
    request.end(body);
  });
}
