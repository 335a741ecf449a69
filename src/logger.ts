// Structured JSON logs (pino), one object a line, and the request scope every line logged while
// serving a request carries its id from. No secret or personal data goes into a line: credentials,
// passwords, emails, names and birth dates are censored wherever they appear as a field (GraphQL
// variables and request headers are never logged at all), and errors are logged without the parts
// of a PostgreSQL error that quote row values (`detail`, `where`, a failed query's parameters).
import { AsyncLocalStorage } from 'node:async_hooks';
import pino from 'pino';

/** What is known of the request being served: the log line and metrics at its end read it. */
export interface RequestScope {
  readonly requestId: string;
  operationName?: string | null;
  operationType?: string;
  /** Who is calling: anonymous, admin, staff, partner, member (never who exactly). */
  caller?: string;
  /** Codes of the errors the response carries (extensions.code). */
  readonly errorCodes: Set<string>;
}

const scope = new AsyncLocalStorage<RequestScope>();

export function newRequestScope(requestId: string): RequestScope {
  return { requestId, errorCodes: new Set() };
}

/** Runs `fn` (and everything it starts) as part of the request `s`: its log lines carry s.requestId. */
export function inRequest<T>(s: RequestScope, fn: () => T): T {
  return scope.run(s, fn);
}

/** The request being served here, if any. */
export function currentRequest(): RequestScope | undefined {
  return scope.getStore();
}

/** Runs `fn` as part of no request (work shared by many, such as an earn batch, names none). */
export function outsideRequests<T>(fn: () => T): T {
  return scope.exit(fn);
}

// Field names whose values are secrets or personal data, censored at any of these depths.
const SENSITIVE = [
  'authorization',
  'cookie',
  'password',
  'newPassword',
  'token',
  'apiKey',
  'key',
  'secret',
  'adminToken',
  'tokenSecret',
  'email',
  'displayName',
  'name',
  'birthDate',
  'variables',
  'connectionParams',
];
const REDACT_PATHS = SENSITIVE.flatMap((f) => [f, `*.${f}`, `*.*.${f}`]);

/** Parts of an error that may quote what a row or a request held. */
const ERROR_FIELDS_DROPPED = new Set(['detail', 'where', 'parameters', 'query', 'driverError', 'internalQuery', 'hint', 'variables']);

function safeError(err: unknown, depth = 0): unknown {
  if (!(err instanceof Error) || depth > 3) return err;
  const out = pino.stdSerializers.err(err) as unknown as Record<string, unknown>;
  for (const k of Object.keys(out)) if (ERROR_FIELDS_DROPPED.has(k)) delete out[k];
  if (err.cause instanceof Error) out.cause = safeError(err.cause, depth + 1);
  return out;
}

export function createLogger(level: string, destination?: pino.DestinationStream) {
  return pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: { err: safeError },
      mixin: () => {
        const s = scope.getStore();
        return s ? { requestId: s.requestId } : {};
      },
    },
    destination,
  );
}
export type { Logger } from 'pino';
