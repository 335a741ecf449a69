// Request ids and the one log line per request. Every HTTP request gets an id: the caller's
// `x-request-id` when it is sane (1–128 of A–Z a–z 0–9 . _ : -), else a new UUID. It is echoed in
// the response's `x-request-id`, carried by every log line logged while serving the request
// (logger.ts's request scope), and by every GraphQL error of the response (`extensions.requestId`).
// When the response is sent, one line says what it was: method, path (never the query string,
// which may hold variables), status, duration, and for GraphQL the operation's name and type, who
// called (its kind only), the outcome and the error codes; the same figures feed the metrics.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import type { GraphQLFormattedError } from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import type { Logger, RequestScope } from './logger';
import { currentRequest, inRequest, newRequestScope } from './logger';
import { graphqlErrors, operationLabel, requestDuration } from './metrics';
import type { Viewer } from './modules/auth/viewer';

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's request id if it is sane, else a new one. */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : randomUUID();
}

/** Who is calling, as logs and metrics name it: the kind of credential, never whose. */
export function callerKind(viewer: Viewer): string {
  return viewer.kind === 'staff' && viewer.staffUserId === null ? 'admin' : viewer.kind;
}

const scopes = new WeakMap<IncomingMessage, RequestScope>();

/** Paths polled by load balancers and Prometheus: their lines are logged at debug level. */
const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/** First of all middleware: the id, the response header, and the line when the response is sent. */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const s = newRequestScope(requestIdOf(req));
    scopes.set(req, s);
    // Read now: inside a mounted router Express rewrites req.url until the router is done.
    const path = req.path;
    res.setHeader('x-request-id', s.requestId);
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const graphql = path === '/graphql';
      const outcome = res.statusCode < 400 && s.errorCodes.size === 0 ? 'ok' : 'error';
      const line = {
        requestId: s.requestId,
        method: req.method,
        path,
        status: res.statusCode,
        durationMs: Math.round(seconds * 1e4) / 10,
        ...(graphql
          ? {
              operationName: s.operationName ?? null,
              operationType: s.operationType ?? null,
              caller: s.caller ?? null,
              outcome,
              ...(s.errorCodes.size > 0 ? { errorCodes: [...s.errorCodes] } : {}),
            }
          : {}),
      };
      if (QUIET_PATHS.has(path)) logger.debug(line, 'request');
      else logger.info(line, 'request');
      if (graphql) {
        // Refused before it ran (no credential it could use, or over the failed-authentication limit).
        const refused = s.operationType === undefined && (res.statusCode === 401 || res.statusCode === 429);
        const operation = refused ? '(refused)' : operationLabel(s.operationName, s.operationType !== undefined);
        requestDuration.observe({ operation, type: s.operationType ?? 'unknown', transport: 'http', outcome }, seconds);
      }
    });
    next();
  };
}

/**
 * After the body is read (body-parser's stream callbacks would lose it): what follows runs in the
 * request's scope, so its log lines and errors name the request.
 */
export const enterRequestScope: RequestHandler = (req, _res, next) => {
  const s = scopes.get(req);
  if (s) inRequest(s, next);
  else next();
};

/** The request id of an HTTP request (set by requestLog). */
export function scopeOf(req: IncomingMessage): RequestScope | undefined {
  return scopes.get(req);
}

/** Records the operation and its caller on the request scope, for the line and the metrics. */
export function operationRecorder<C extends { viewer: Viewer }>(): ApolloServerPlugin<C> {
  return {
    async requestDidStart({ contextValue }) {
      const s = currentRequest();
      if (s) s.caller = callerKind(contextValue.viewer);
      return {
        async didResolveOperation({ operationName, operation }) {
          if (!s) return;
          s.operationName = operationName;
          if (operation) s.operationType = operation.operation;
        },
      };
    },
  };
}

const KNOWN_CODE = /^[A-Z][A-Z0-9_]{0,49}$/;
const codesSeen = new Set<string>();
const MAX_CODES = 100;

/** Counts the error by its code (bounded), records it on the request, and puts the request id on it. */
export function withRequestId(
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError,
): (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError {
  return (formatted, error) => {
    const result = formatError(formatted, error);
    const code = typeof result.extensions?.code === 'string' ? result.extensions.code : 'UNKNOWN';
    const known = KNOWN_CODE.test(code) && (codesSeen.has(code) || codesSeen.size < MAX_CODES);
    if (known) codesSeen.add(code);
    graphqlErrors.inc({ code: known ? code : 'OTHER' });
    const s = currentRequest();
    if (!s) return result;
    s.errorCodes.add(code);
    return { ...result, extensions: { ...result.extensions, requestId: s.requestId } };
  };
}
