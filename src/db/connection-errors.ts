// Errors that say the database connection failed, not that the request was wrong: the server
// went away (restart, failover, pg_terminate_backend), refused connections, or the pool could not
// get one in time. Such a request may be retried as it was — for a write, with its idempotency key.
// SQLSTATE class 08 (connection exception) and these: admin_shutdown (pg_terminate_backend, a
// fast shutdown), crash_shutdown, cannot_connect_now (starting up / shutting down), too_many_connections.
const SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND']);
// What pg, pg-pool and TypeORM throw when a connection died under a query or none could be had.
const MESSAGES = [
  /^Connection terminated/,
  /connection error and is not queryable/,
  /Client was closed and is not queryable/,
  /timeout exceeded when trying to connect/,
];
// TypeORM releases a query runner whose connection emitted an error; later queries on it say so.
const TYPEORM_NAMES = new Set(['QueryRunnerAlreadyReleasedError']);

/** Waiting for a connection timed out (pool exhausted, or the server does not answer): retrying now would wait again. */
export function isConnectTimeout(err: unknown): boolean {
  const message = (err as { message?: unknown })?.message;
  return typeof message === 'string' && /timeout exceeded when trying to connect|due to connection timeout/.test(message);
}

export function isConnectionError(err: unknown): boolean {
  for (
    let e = err as { code?: unknown; message?: unknown; name?: unknown; cause?: unknown; driverError?: unknown } | undefined, depth = 0;
    e && depth < 5;
    depth++
  ) {
    const code = typeof e.code === 'string' ? e.code : undefined;
    if (code && (code.startsWith('08') || SQLSTATES.has(code) || SOCKET_CODES.has(code))) return true;
    if (typeof e.name === 'string' && TYPEORM_NAMES.has(e.name)) return true;
    if (typeof e.message === 'string' && MESSAGES.some((m) => m.test(e!.message as string))) return true;
    e = (e.driverError ?? e.cause) as typeof e;
  }
  return false;
}
