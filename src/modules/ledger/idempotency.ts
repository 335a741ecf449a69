// Stripe's idempotency semantics, scoped to the caller:
//   same key + same request  → the original result, nothing new written;
//   same key + other request → IDEMPOTENCY_CONFLICT;
//   a request that fails     → nothing stored (the claim rolls back with its transaction).
// The claim is the first statement of the write transaction: a concurrent request with the same
// key blocks on the claim until the first commits or rolls back, so two can never both write.
import type { Tx } from '../../db/sql';
import { createHash } from 'node:crypto';
import { DomainError, ErrorCode, badInput } from '../../errors/domain-error';
import { requireText } from '../../errors/text';
import { query, queryOne } from '../../db/sql';

export const MAX_KEY_LENGTH = 255;

export function validKey(key: string, field = 'input.idempotencyKey'): string {
  if (key.length === 0 || key.trim().length === 0) throw badInput(field, 'must not be empty');
  if (key.length > MAX_KEY_LENGTH) throw badInput(field, `at most ${MAX_KEY_LENGTH} characters`);
  return requireText(key, field);
}

/** A stable fingerprint of what was asked (normalised values, fixed key order). */
export function requestHash(operation: string, request: Record<string, unknown>): string {
  const canonical = JSON.stringify([
    operation,
    Object.keys(request)
      .sort()
      .map((k) => [k, request[k] ?? null]),
  ]);
  return createHash('sha256').update(canonical).digest('base64url');
}

export type Claim = { replay: false } | { replay: true; resultId: string };

export async function claimKey(m: Tx, scope: string, key: string, operation: string, hash: string): Promise<Claim> {
  const claimed = await query(
    m,
    `INSERT INTO idempotency_key (caller, key, operation, request_hash) VALUES ($1, $2, $3, $4)
     ON CONFLICT (caller, key) DO NOTHING RETURNING key`,
    [scope, key, operation, hash],
  );
  if (claimed.length > 0) return { replay: false };
  const prior = await queryOne<PriorClaim>(
    m,
    `SELECT operation, request_hash AS "requestHash", result_id AS "resultId" FROM idempotency_key WHERE caller = $1 AND key = $2`,
    [scope, key],
  );
  return judgePrior(prior, operation, hash);
}

export interface PriorClaim {
  operation: string;
  requestHash: string;
  resultId: string | null;
}

/** A key someone claimed before: the original result when the request is the same, else IDEMPOTENCY_CONFLICT (thrown). */
export function judgePrior(prior: PriorClaim | undefined, operation: string, hash: string): Claim & { replay: true } {
  if (!prior || prior.resultId === null) {
    // Cannot happen for committed claims (the result is recorded in the same transaction); treat
    // it as a conflict rather than write twice.
    throw new DomainError(ErrorCode.IDEMPOTENCY_CONFLICT, 'This idempotencyKey is in use by a request still in progress', 'input.idempotencyKey');
  }
  if (prior.operation !== operation || prior.requestHash !== hash) {
    throw new DomainError(
      ErrorCode.IDEMPOTENCY_CONFLICT,
      `input.idempotencyKey: already used for a different ${prior.operation === operation ? 'request' : prior.operation + ' request'}; use a new key for a new request`,
      'input.idempotencyKey',
    );
  }
  return { replay: true, resultId: prior.resultId };
}

/** The result a claimed key replays: recorded in the same transaction as the work it names. */
export async function recordResult(m: Tx, scope: string, key: string, resultId: string): Promise<void> {
  await query(m, `UPDATE idempotency_key SET result_id = $3 WHERE caller = $1 AND key = $2`, [scope, key, resultId]);
}
