// One page of a member's history (transactions, redemptions…), newest first, optionally limited
// to what one partner may see. Keyset on the table's seq column, so pages never skip or repeat
// rows while new ones arrive.
import { Page, decodeCursor, pageSize, toPage } from './pagination';
import { Db, query, queryOne } from './sql';

export interface HistoryTable {
  /** A table with seq, member_id and partner_id columns (a constant, never user input). */
  table: string;
  columns: string;
  cursorKind: string;
}

export async function memberHistoryPage<T extends { seq: number }>(
  db: Db,
  source: HistoryTable,
  memberId: string,
  partnerScope: string | null,
  first?: number,
  after?: string,
): Promise<Page<T>> {
  const size = pageSize(first);
  const before = decodeCursor(source.cursorKind, after);
  // The count rides along as an InitPlan (one round trip for page and total); only an empty page,
  // which carries no row to read it from, needs a query of its own.
  const rows = await query<T & { historyTotal?: number }>(
    db,
    `SELECT ${source.columns},
            (SELECT count(*) FROM ${source.table} WHERE member_id = $1 AND ($2::uuid IS NULL OR partner_id = $2)) AS "historyTotal"
       FROM ${source.table}
      WHERE member_id = $1 AND ($2::uuid IS NULL OR partner_id = $2) AND ($3::bigint IS NULL OR seq < $3)
      ORDER BY seq DESC LIMIT $4`,
    [memberId, partnerScope, before, size + 1],
  );
  const total =
    rows[0]?.historyTotal ??
    (await queryOne<{ count: number }>(db, `SELECT count(*) AS count FROM ${source.table} WHERE member_id = $1 AND ($2::uuid IS NULL OR partner_id = $2)`, [
      memberId,
      partnerScope,
    ]))!.count;
  for (const row of rows) delete row.historyTotal;
  return toPage(source.cursorKind, rows, size, total);
}
