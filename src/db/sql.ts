// Explicit SQL for hot paths and anything that must control its statements. TypeORM's
// manager.query() returns [rows, count] for UPDATE/DELETE but rows otherwise; this always
// returns rows, whatever the command.
import { DataSource, EntityManager } from 'typeorm';

export type Db = DataSource | EntityManager;

export async function query<T = Record<string, unknown>>(db: Db, text: string, params: unknown[] = []): Promise<T[]> {
  const manager = db instanceof DataSource ? db.manager : db;
  const runner = manager.queryRunner ?? manager.connection.createQueryRunner();
  try {
    const result = await runner.query(text, params, true);
    return result.records as T[];
  } finally {
    if (!manager.queryRunner) await runner.release();
  }
}

export async function queryOne<T = Record<string, unknown>>(db: Db, text: string, params: unknown[] = []): Promise<T | undefined> {
  return (await query<T>(db, text, params))[0];
}
