// Errors the domain raises. Services throw these (they never import graphql); the GraphQL edge
// (src/graphql/errors.ts) turns each into a coded GraphQLError.
export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  INSUFFICIENT_POINTS: 'INSUFFICIENT_POINTS',
  OUT_OF_STOCK: 'OUT_OF_STOCK',
  IDEMPOTENCY_CONFLICT: 'IDEMPOTENCY_CONFLICT',
  RATE_NOT_SET: 'RATE_NOT_SET',
  PARTNER_SUSPENDED: 'PARTNER_SUSPENDED',
  TIER_REQUIRED: 'TIER_REQUIRED',
  /** A redemption code that is no longer ACTIVE (FULFILLED, CANCELLED or EXPIRED: extensions.status) cannot be used or cancelled. */
  REDEMPTION_NOT_ACTIVE: 'REDEMPTION_NOT_ACTIVE',
  /** A live subscription fell too far behind and was ended; resubscribe with `after`. */
  SUBSCRIBER_TOO_SLOW: 'SUBSCRIBER_TOO_SLOW',
  /** The socket already holds LIVE_MAX_SUBSCRIPTIONS_PER_SOCKET subscriptions (extensions.limit); end one first. */
  TOO_MANY_SUBSCRIPTIONS: 'TOO_MANY_SUBSCRIPTIONS',
  /** Too many writes or failed sign-ins in the current window; retry after extensions.retryAfterSeconds. */
  RATE_LIMITED: 'RATE_LIMITED',
  /**
   * The database could not be reached, the connection was lost, or conflicting concurrent writes
   * (serialization failures, deadlocks) outlasted the server's own retries: retry (writes with the
   * same idempotencyKey).
   */
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  /**
   * A value (a points total that grew past 2^31 − 1) does not fit the field's GraphQL Int: read its
   * `…64` twin (Points64), named in extensions.use.
   */
  INT_OVERFLOW: 'INT_OVERFLOW',
  /** redeliverWebhook on an endpoint that is switched off or was deactivated: switch it on first (setWebhookEndpointActive). */
  WEBHOOK_ENDPOINT_INACTIVE: 'WEBHOOK_ENDPOINT_INACTIVE',
  /** The member is blocked (blockMember): its earns, redemptions, payments and transfers are refused; reads still work. */
  MEMBER_BLOCKED: 'MEMBER_BLOCKED',
  /** The member was merged into another (extensions.status MERGED) or erased (ERASED): nothing moves on it any more. */
  MEMBER_CLOSED: 'MEMBER_CLOSED',
  /** A transfer over the program's monthly limits (extensions.limit, extensions.used). */
  TRANSFER_LIMIT_EXCEEDED: 'TRANSFER_LIMIT_EXCEEDED',
  /** closeSettlementPeriod: the period overlaps a closed one (extensions.statementId, its from and to). */
  PERIOD_OVERLAPS: 'PERIOD_OVERLAPS',
  /** closeSettlementPeriod: closed periods must follow each other without gaps; extensions.missingFrom / missingTo name the range to close first. */
  PERIOD_GAP: 'PERIOD_GAP',
  /** An import file that cannot be read as a whole (not CSV/NDJSON, a required column missing, too many rows): nothing of it was written. */
  IMPORT_FILE_INVALID: 'IMPORT_FILE_INVALID',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** The input field at fault, e.g. "input.amount", so a client can point at it. */
    readonly field?: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const badInput = (field: string, message: string, details?: Record<string, unknown>) =>
  new DomainError(ErrorCode.BAD_USER_INPUT, `${field}: ${message}`, field, details);
export const notFound = (field: string, what: string) => new DomainError(ErrorCode.NOT_FOUND, `${field}: no ${what} with this id`, field);
export const forbidden = (message: string, field?: string) => new DomainError(ErrorCode.FORBIDDEN, message, field);
export const rateLimited = (message: string, retryAfterSeconds: number) => new DomainError(ErrorCode.RATE_LIMITED, message, undefined, { retryAfterSeconds });
export const unauthenticated = (message = 'Sign in: send Authorization: Bearer <admin token, partner API key or member token>') =>
  new DomainError(ErrorCode.UNAUTHENTICATED, message);
export const serviceUnavailable = (reason = 'The database is unavailable right now') =>
  new DomainError(ErrorCode.SERVICE_UNAVAILABLE, `${reason}; retry shortly (a write retried with the same idempotencyKey is never applied twice)`, undefined, {
    retryAfterSeconds: 1,
  });
