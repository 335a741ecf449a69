// A webhook receiver on 127.0.0.1, as a partner would run one: it verifies each request with the
// `standardwebhooks` package (the receivers' own library, not the gateway's code) and answers what
// the test tells it to.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Received {
  webhookId: string;
  timestamp: string;
  body: string;
  /** The verified payload; null when the signature did not verify. */
  payload: { id: string; type: string; timestamp: string; data: Record<string, any> } | null;
  path: string;
}

export interface Receiver {
  url: string;
  port: number;
  received: Received[];
  /** Verified requests whose payload has this type. */
  ofType(type: string): Received[];
  /** The status to answer the n-th request (0-based) with; 200 by default. */
  answer: (n: number, req: Received) => number;
  secret: string | null;
  /** Headers to answer with (a Location, say). */
  headers: Record<string, string>;
  waitFor(count: (r: Received[]) => boolean, ms?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(port = 0): Promise<Receiver> {
  const r: Receiver = {
    url: '',
    port: 0,
    received: [],
    ofType: (type) => r.received.filter((x) => x.payload?.type === type),
    answer: () => 200,
    secret: null,
    headers: {},
    async waitFor(done, ms = 15_000) {
      const deadline = Date.now() + ms;
      while (!done(r.received)) {
        if (Date.now() > deadline)
          throw new Error(`webhook receiver: timed out; got ${JSON.stringify(r.received.map((x) => x.payload?.type ?? 'unverified'))}`);
        await new Promise((res) => setTimeout(res, 20));
      }
    },
    close: () => new Promise((res) => server.close(() => res())),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = {
        'webhook-id': String(req.headers['webhook-id'] ?? ''),
        'webhook-timestamp': String(req.headers['webhook-timestamp'] ?? ''),
        'webhook-signature': String(req.headers['webhook-signature'] ?? ''),
      };
      let payload: Received['payload'] = null;
      try {
        if (r.secret) payload = new Webhook(r.secret).verify(body, headers) as Received['payload'];
      } catch {
        payload = null;
      }
      const got: Received = { webhookId: headers['webhook-id'], timestamp: headers['webhook-timestamp'], body, payload, path: req.url ?? '' };
      const n = r.received.length;
      r.received.push(got);
      res.statusCode = r.answer(n, got);
      for (const [k, v] of Object.entries(r.headers)) res.setHeader(k, v);
      res.end('ok');
    });
  });
  server.keepAliveTimeout = 100;
  await new Promise<void>((res) => server.listen(port, '127.0.0.1', () => res()));
  r.port = (server.address() as AddressInfo).port;
  r.url = `http://127.0.0.1:${r.port}/hooks`;
  return r;
}
