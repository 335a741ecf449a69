// Explicit SQL for hot paths and anything that must control its statements. TypeORM's
// manager.query() returns [rows, count] for UPDATE/DELETE but rows otherwise; this always
// returns rows, whatever the command.
import { createHash } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';

export type Db = DataSource | EntityManager;
/** A transaction's connection, as services are handed it by withTransaction(). */
export type Tx = EntityManager;

export async function query<T = Record<string, unknown>>(db: Db, text: string, params: unknown[] = []): Promise<T[]> {
  // Outside a transaction, straight to the driver's pool: a TypeORM query runner per statement
  // (created, connected, released) cost more than many of the statements themselves.
  const pool = db instanceof DataSource ? (db.driver as unknown as { master?: PgQueryable }).master : undefined;
  if (pool) return (await pool.query({ name: statementName(text), text, values: params })).rows as T[];
  const manager = db instanceof DataSource ? db.manager : db;
  // Inside a transaction: on its pinned connection, prepared the same way.
  if (manager.queryRunner) {
    const client = await (manager.queryRunner as unknown as { connect(): Promise<PgQueryable> }).connect();
    return (await client.query({ name: statementName(text), text, values: params })).rows as T[];
  }
  const runner = manager.connection.createQueryRunner();
  try {
    const result = await runner.query(text, params, true);
    return result.records as T[];
  } finally {
    await runner.release();
  }
}

export async function queryOne<T = Record<string, unknown>>(db: Db, text: string, params: unknown[] = []): Promise<T | undefined> {
  return (await query<T>(db, text, params))[0];
}

/** What pg's Pool and Client have in common that this file uses. */
interface PgQueryable {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}

// Statements run as named prepared statements: each pooled connection parses and
// plans a statement once, not on every call (parse and plan were most of a dashboard's database
// time). The name comes from the text, so it is the same on every connection and every instance;
// the set is bounded by the statements this code writes (their text never embeds request values).
const names = new Map<string, string>();
function statementName(text: string): string {
  let name = names.get(text);
  if (name === undefined) names.set(text, (name = `s${createHash('sha1').update(text).digest('hex').slice(0, 20)}`));
  return name;
}

