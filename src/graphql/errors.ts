// The edge between domain errors and GraphQL: every error a client sees carries
// extensions.code; anything unexpected becomes INTERNAL_SERVER_ERROR with no detail leaked.
import { GraphQLError, GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { ArgumentValidationError } from 'type-graphql';
import type { ValidationError } from 'class-validator';
import { DomainError, ErrorCode, serviceUnavailable } from '../errors/domain-error';
import { isConnectionError } from '../db/connection-errors';
import { isRetryableConflict } from '../db/transaction';
import type { Logger } from 'pino';
import type { QueryLimits } from '../config';
import { CodedValidationError, asTokenLimitError, withoutSuggestions } from './validation';

const HTTP_STATUS: Record<ErrorCode, number | undefined> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: undefined,
  NOT_FOUND: undefined,
  BAD_USER_INPUT: undefined,
  INSUFFICIENT_POINTS: undefined,
  OUT_OF_STOCK: undefined,
  IDEMPOTENCY_CONFLICT: undefined,
  RATE_NOT_SET: undefined,
  PARTNER_SUSPENDED: undefined,
  TIER_REQUIRED: undefined,
  REDEMPTION_NOT_ACTIVE: undefined,
  SUBSCRIBER_TOO_SLOW: undefined,
  TOO_MANY_SUBSCRIPTIONS: undefined,
  RATE_LIMITED: 429,
  SERVICE_UNAVAILABLE: 503,
  INT_OVERFLOW: undefined,
  WEBHOOK_ENDPOINT_INACTIVE: undefined,
  MEMBER_BLOCKED: undefined,
  MEMBER_CLOSED: undefined,
  TRANSFER_LIMIT_EXCEEDED: undefined,
  PERIOD_OVERLAPS: undefined,
  PERIOD_GAP: undefined,
  IMPORT_FILE_INVALID: undefined,
};

export function domainToGraphQLError(err: DomainError): GraphQLError {
  const status = HTTP_STATUS[err.code];
  return new GraphQLError(err.message, {
    extensions: {
      code: err.code,
      ...(err.field ? { field: err.field } : {}),
      ...(err.details ?? {}),
      ...(status ? { http: { status, headers: retryAfter(err) } } : {}),
    },
  });
}

function retryAfter(err: DomainError): Map<string, string> {
  const seconds = err.details?.retryAfterSeconds;
  return new Map(typeof seconds === 'number' ? [['retry-after', String(seconds)]] : []);
}

/**
 * graphql-js refuses to serialize a number past 32 bits into an Int ("Int cannot represent non
 * 32-bit signed integer value"): not a bug of the request, a total that outgrew Int. Said with a
 * code, the field and the twin to read instead.
 */
function intOverflow(original: unknown, located: unknown, twins: ReadonlySet<string>): DomainError | null {
  if (!(original instanceof GraphQLError)) return null;
  const m = /^Int cannot represent non 32-bit signed integer value: (-?\d+)$/.exec(original.message);
  if (!m) return null;
  const field = located instanceof GraphQLError ? (located.nodes?.[0]?.kind === 'Field' ? located.nodes[0].name.value : undefined) : undefined;
  const twin = field && twins.has(field) ? `${field}64` : undefined;
  const name = field ?? 'this field';
  return new DomainError(
    ErrorCode.INT_OVERFLOW,
    `${name} is ${m[1]}, more than GraphQL Int holds (2147483647)${twin ? `: read ${twin} (Points64, a string) instead` : ''}`,
    undefined,
    { outputField: field, ...(twin ? { use: twin } : {}) },
  );
}

function flattenValidation(errors: ValidationError[], path: string[] = []): { field: string; message: string }[] {
  return errors.flatMap((e) => {
    const here = [...path, e.property];
    const own = Object.values(e.constraints ?? {}).map((m) => ({ field: here.join('.'), message: m }));
    return [...own, ...flattenValidation(e.children ?? [], here)];
  });
}

// Codes that graphql-js and Apollo set themselves for malformed requests; safe to pass through.
const PASS_THROUGH = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'OPERATION_RESOLUTION_FAILURE',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  ...Object.values(ErrorCode),
]);

export interface ErrorEdgeOptions {
  /** No stack traces anywhere. */
  production: boolean;
  /** Strip "Did you mean …?" (it names schema fields): on whenever introspection is off. */
  hideSuggestions: boolean;
  limits: QueryLimits;
  /** Names of Int fields with a `<name>64` Points64 twin (points64Twins(schema)), named in INT_OVERFLOW. */
  points64Twins?: ReadonlySet<string>;
}

export function makeFormatError(logger: Logger, options: ErrorEdgeOptions) {
  const format = formatWith(logger, options);
  if (!options.hideSuggestions) return format;
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const result = format(formatted, error);
    return { ...result, message: withoutSuggestions(result.message) };
  };
}

function formatWith(logger: Logger, { production, limits, points64Twins = new Set() }: ErrorEdgeOptions) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    let original = unwrapResolverError(error);
    // Errors thrown by a subscription's event stream arrive wrapped without a path.
    while (original instanceof GraphQLError && original.originalError) original = original.originalError;
    // A lost or refused database connection is the server's trouble, not a bug: say so, retryably.
    if (!(original instanceof DomainError) && isConnectionError(original)) {
      logger.warn({ err: original }, 'database unavailable while serving a GraphQL request');
      original = serviceUnavailable();
    }
    // A serialization failure or deadlock that outlasted withTransaction's retries: rolled back,
    // so as retryable as a lost connection, and no bug of the request's either.
    if (!(original instanceof DomainError) && isRetryableConflict(original)) {
      logger.warn({ err: original }, 'conflicting writes outlasted the retries while serving a GraphQL request');
      original = serviceUnavailable('The database could not complete this request because of conflicting concurrent writes, even after retrying');
    }
    const base = { locations: formatted.locations, path: formatted.path };
    original = intOverflow(original, error, points64Twins) ?? original;
    if (original instanceof DomainError) {
      const gql = domainToGraphQLError(original);
      const { http: _http, ...extensions } = gql.extensions as Record<string, unknown>;
      return { ...base, message: gql.message, extensions };
    }
    if (original instanceof GraphQLError) {
      // Query limits and the page cap: refused at validation (or, for tokens, while parsing).
      const limited = original instanceof CodedValidationError ? original : asTokenLimitError(original, limits);
      if (limited) return { ...base, message: limited.message, extensions: { ...limited.extensions } };
    }
    if (original instanceof ArgumentValidationError) {
      const problems = flattenValidation(original.extensions.validationErrors);
      const message = problems.map((p) => `${p.field}: ${p.message}`).join('; ') || 'Invalid input';
      return {
        ...base,
        message,
        extensions: { code: ErrorCode.BAD_USER_INPUT, field: problems[0]?.field, fields: problems },
      };
    }
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && PASS_THROUGH.has(code)) {
      if (!production) return formatted;
      const { stacktrace: _s, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    logger.error({ err: original }, 'unexpected error while serving a GraphQL request');
    return {
      ...base,
      message: 'Internal server error',
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    };
  };
}
