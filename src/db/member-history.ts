// One page of a member's history (transactions, redemptions…), newest first, optionally limited
// to what one partner may see. Keyset on the table's seq column, so pages never skip or repeat
// rows while new ones arrive.
import { Page, decodeCursor, lazyCount, pageSize, toPage } from './pagination';
import { Db, query, queryOne } from './sql';

export interface HistoryTable {
  /** A table with seq, member_id and partner_id columns (a constant, never user input). */
  table: string;
  columns: string;
  cursorKind: string;
  /** A scalar subquery reading the member's row count where one is kept ($1: the member). */
  counter?: string;
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
  // Two statement texts, with and without the partner scope: one text with "($2 IS NULL OR …)"
  // gets a generic plan on a pooled connection that reads all of the member's rows.
  const scope = partnerScope === null ? '' : ' AND partner_id = $4';
  const scopeParams = partnerScope === null ? [] : [partnerScope];
  // A count kept on the wallet rides along (one indexed row); otherwise the count — the member's
  // whole history — runs only when a client asks for totalCount.
  const kept = source.counter && partnerScope === null ? source.counter : null;
  const rows = await query<T & { historyTotal?: number }>(
    db,
    `SELECT ${source.columns}${kept ? `, (${kept}) AS "historyTotal"` : ''} FROM ${source.table}
      WHERE member_id = $1 AND seq < $2${scope}
      ORDER BY seq DESC LIMIT $3`,
    [memberId, before ?? '9223372036854775807', size + 1, ...scopeParams],
  );
  const keptTotal = rows[0]?.historyTotal;
  for (const row of rows) delete row.historyTotal;
  const total =
    keptTotal ??
    lazyCount(async () => {
      if (kept) return (await queryOne<{ count: number }>(db, `SELECT (${kept}) AS count`, [memberId]))?.count ?? 0;
      return (await queryOne<{ count: number }>(db, `SELECT count(*) AS count FROM ${source.table} WHERE member_id = $1${scope.replace('$4', '$2')}`, [
        memberId,
        ...scopeParams,
      ]))!.count;
    });
  return toPage(source.cursorKind, rows, size, total);
}
