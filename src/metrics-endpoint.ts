// GET /metrics (Prometheus text format). On METRICS_PORT (a port of its own, for the scraper, not
// to be exposed) it needs no token. On the API port it needs none from this machine's loopback
// when no proxy forwarded the request (a proxy on the same machine makes every client look local,
// so a request naming a forwarded client needs a token like any other); otherwise the admin token
// or a staff token with READ_SERVER_METRICS (OWNER, AUDITOR): 401 without a valid one, 403 for others.
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Viewer } from './modules/auth/viewer';
import { Capability, staffCan } from './modules/auth/policy';
import { DomainError, ErrorCode } from './errors/domain-error';
import { metricsRegistry } from './metrics';
import { listen } from './listen';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
const FORWARDING_HEADERS = ['x-forwarded-for', 'x-real-ip', 'forwarded'];

/** From this machine, with no sign of a proxy in between. */
export function fromLoopback(req: IncomingMessage): boolean {
  return LOOPBACK.has(req.socket.remoteAddress ?? '') && FORWARDING_HEADERS.every((h) => req.headers[h] === undefined);
}

async function send(res: ServerResponse): Promise<void> {
  const body = await metricsRegistry.metrics();
  res.writeHead(200, { 'content-type': metricsRegistry.contentType }).end(body);
}

function refuse(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: message }));
}

/** The API port's handler; `authenticate` resolves the Authorization header (rejecting a bad one). */
export function metricsHandler(authenticate: (authorization: string, req: IncomingMessage) => Promise<Viewer>) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      if (!fromLoopback(req)) {
        const authorization = req.headers.authorization?.trim() ? req.headers.authorization : undefined;
        if (!authorization) return refuse(res, 401, 'Metrics need the admin token or an OWNER or AUDITOR staff token (or METRICS_PORT)');
        let viewer: Viewer;
        try {
          viewer = await authenticate(authorization, req);
        } catch (err) {
          if (err instanceof DomainError && err.code === ErrorCode.RATE_LIMITED) return refuse(res, 429, err.message);
          return refuse(res, 401, 'The token is not valid');
        }
        if (!staffCan(viewer, Capability.READ_SERVER_METRICS)) return refuse(res, 403, 'Metrics are for OWNER and AUDITOR staff');
      }
      await send(res);
    } catch {
      if (!res.headersSent) refuse(res, 500, 'Metrics could not be collected');
    }
  };
}

/** The metrics-only server on METRICS_PORT: /metrics, no token; anything else 404. */
export async function startMetricsServer(port: number, host: string | null): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && (req.url ?? '').split('?')[0] === '/metrics') {
      send(res).catch(() => refuse(res, 500, 'Metrics could not be collected'));
    } else refuse(res, 404, 'Only GET /metrics is served here');
  });
  const bound = await listen(server, port, host);
  return {
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
