import type { Pool } from '../../db/sql';
import { Db, query, queryOne } from '../../db/sql';
import { TRANSACTION_COLUMNS, PointsTransaction } from './points-transaction.entity';

export class LedgerService {
  constructor(private readonly db: Pool) {}

  async byIds(ids: readonly string[]): Promise<PointsTransaction[]> {
    return query<PointsTransaction>(this.db, `SELECT ${TRANSACTION_COLUMNS} FROM ledger_transaction WHERE id = ANY($1::uuid[])`, [ids]);
  }

  async byId(id: string, db: Db = this.db): Promise<PointsTransaction | undefined> {
    return queryOne<PointsTransaction>(db, `SELECT ${TRANSACTION_COLUMNS} FROM ledger_transaction WHERE id = $1`, [id]);
  }
}
