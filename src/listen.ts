// Binding the HTTP port: a failure rejects with what to do about it (by default a port in use
// only emits 'error' — the process then hangs with the database up — and graphql-ws, listening
// for that event on the same server, prints it as its own internal error).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export class ListenError extends Error {}

/** How a listening address is written in a URL a person can open: every interface → localhost; IPv6 in brackets. */
export function urlHost(host: string | null): string {
  if (host === null || host === '0.0.0.0' || host === '::') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}

/** Listens on `host` (null: every interface) and `port` (0: any free one); resolves with the port bound. */
export function listen(server: http.Server, port: number, host: string | null): Promise<number> {
  const where = `${host ?? 'every interface'} port ${port}`;
  return new Promise((resolve, reject) => {
    const failed = (err: NodeJS.ErrnoException) => {
      server.removeListener('listening', listening);
      if (err.code === 'EADDRINUSE') {
        reject(new ListenError(`${where} is already in use (another gateway, or another program, is listening there). Stop it, or set PORT to a free port.`));
      } else if (err.code === 'EADDRNOTAVAIL') {
        reject(
          new ListenError(
            `cannot listen on ${where}: ${host} is not an address of this machine. Set HOST to one of its addresses, or 0.0.0.0 for all of them.`,
          ),
        );
      } else if (err.code === 'EACCES') {
        reject(new ListenError(`not allowed to listen on ${where} (ports below 1024 need privileges). Set PORT to 1024 or above.`));
      } else {
        reject(new ListenError(`cannot listen on ${where}: ${err.message}`));
      }
    };
    const listening = () => {
      server.removeListener('error', failed);
      resolve((server.address() as AddressInfo).port);
    };
    server.once('error', failed);
    server.once('listening', listening);
    if (host === null) server.listen(port);
    else server.listen(port, host);
  });
}

/** An HTTP server listening before the gateway behind it exists (main.ts binds it before the database starts). */
export interface BoundHttp {
  server: http.Server;
  port: number;
}

/** Binds the port at once; until startGateway takes the server over, every request is answered 503. */
export async function bindHttp(port: number, host: string | null): Promise<BoundHttp> {
  const server = http.createServer((_req, res) => {
    res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' }).end(JSON.stringify({ status: 'starting' }));
  });
  return { server, port: await listen(server, port, host) };
}

/** Closes a server, resolving also when it was closed already (a drained gateway closes its own). */
export function closeHttp(server: http.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
