// The one way this code talks to PostgreSQL: explicit SQL on a plain pg pool (see the README's
// "Persistence"). Each table has one mapping, the `*_COLUMNS` select list next to its type;
// TypeORM only runs the migrations. Statements run as named prepared statements: each pooled
// connection parses and plans a statement once, not on every call (parse and plan were most of a
// dashboard's database time). The name comes from the text, so it is the same on every
// connection and every instance; the set is bounded by the statements this code writes (their
// text never embeds request values).
import { createHash } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';

export type { Pool } from 'pg';

/**
 * One database transaction: its pinned connection. A new object per transaction (never the
 * pooled client itself, which outlives it), so what a transaction remembers — the wallets it
 * locked, the events it published — is keyed by it and goes with it.
 */
export class Tx {
  constructor(readonly client: PoolClient) {}
}

/** Where a statement runs: the pool (its own short transaction) or an open transaction. */
export type Db = Pool | Tx;

export async function query<T = Record<string, unknown>>(db: Db, text: string, params: unknown[] = []): Promise<T[]> {
  const on = db instanceof Tx ? db.client : db;
  return (await on.query({ name: statementName(text), text, values: params })).rows as T[];
}

export async function queryOne<T = Record<string, unknown>>(db: Db, text: string, params: unknown[] = []): Promise<T | undefined> {
  return (await query<T>(db, text, params))[0];
}

const names = new Map<string, string>();
function statementName(text: string): string {
  let name = names.get(text);
  if (name === undefined) names.set(text, (name = `s${createHash('sha1').update(text).digest('hex').slice(0, 20)}`));
  return name;
}
