// withTransaction(): the one way services get a transaction. It reuses a caller's transaction when
// given one, and retries serialization failures and deadlocks so they never reach a client — and
// so a transaction whose connection died before it asked to COMMIT (it cannot have committed).
// A connection lost during COMMIT is not retried: that outcome is unknown, and the caller gets
// SERVICE_UNAVAILABLE to retry with its idempotency key. A conflict still failing after the last
// attempt is rethrown as it is; the GraphQL edge answers it SERVICE_UNAVAILABLE too (nothing of
// it was committed, so the client may retry).
import type { Pool } from 'pg';
import { Tx } from './sql';
import { isConnectTimeout, isConnectionError } from './connection-errors';

const RETRYABLE = new Set(['40001', '40P01']); // serialization_failure, deadlock_detected
const MAX_ATTEMPTS = 5;

export function pgErrorCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; driverError?: { code?: unknown } };
  const code = e?.driverError?.code ?? e?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A serialization failure or deadlock: the transaction was rolled back and may simply be run again. */
export function isRetryableConflict(err: unknown): boolean {
  const code = pgErrorCode(err);
  return code !== undefined && RETRYABLE.has(code);
}

export function pgConstraint(err: unknown): string | undefined {
  const e = err as { constraint?: unknown; driverError?: { constraint?: unknown } };
  const c = e?.driverError?.constraint ?? e?.constraint;
  return typeof c === 'string' ? c : undefined;
}

// After COMMIT of a transaction that published outbox events, the relay is woken (it would find
// them on its next slow poll anyway). Set once by the composition root; services never pass
// "after commit" callbacks around.
const committedHooks = new WeakMap<Pool, () => void>();
const publishing = new WeakSet<Tx>();

/** What runs after a committed transaction that published events (the outbox relay's nudge). */
export function onEventsCommitted(db: Pool, hook: () => void): void {
  committedHooks.set(db, hook);
}

/** Called by the outbox writer: this transaction has events to relay once it commits. */
export function notePublished(m: unknown): void {
  if (m instanceof Tx) publishing.add(m);
}

/** For writers that run their own transaction (the batched earn): the events of `m` are committed. */
export function eventsCommitted(db: Pool, m: Tx): void {
  if (publishing.delete(m)) committedHooks.get(db)?.();
}

export async function withTransaction<T>(db: Pool, work: (tx: Tx) => Promise<T>, outer?: Tx): Promise<T> {
  if (outer) return work(outer);
  for (let attempt = 1; ; attempt++) {
    let committing = false;
    let tx: Tx | undefined;
    try {
      const result = await inTransaction(db, async (t) => {
        tx = t;
        const result = await work(t);
        committing = true;
        return result;
      });
      eventsCommitted(db, tx!);
      return result;
    } catch (err) {
      if (tx) publishing.delete(tx);
      const conflict = isRetryableConflict(err);
      const lostBeforeCommit = !committing && isConnectionError(err) && !isConnectTimeout(err);
      if ((!conflict && !lostBeforeCommit) || attempt >= MAX_ATTEMPTS) throw err;
      // Jittered backoff so the retried transactions do not collide again in lockstep; a lost
      // connection gets a little longer for the pool (or the server) to come back.
      await new Promise((r) => setTimeout(r, Math.random() * (conflict ? 10 : 50) * attempt));
    }
  }
}

/**
 * BEGIN, the work, COMMIT on one pooled connection (ROLLBACK on any error). A connection that
 * failed is given back to the pool destroyed, never reused.
 */
async function inTransaction<T>(db: Pool, work: (tx: Tx) => Promise<T>): Promise<T> {
  const client = await db.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    try {
      const result = await work(new Tx(client));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      if (isConnectionError(err)) broken = err as Error;
      else await client.query('ROLLBACK').catch((e: Error) => (broken = e));
      throw err;
    }
  } catch (err) {
    if (!broken && isConnectionError(err)) broken = err as Error;
    throw err;
  } finally {
    client.release(broken ?? false);
  }
}
