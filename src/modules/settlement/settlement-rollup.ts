// The settlement rollup: folds the ledger transactions committed since its last run into the
// per-partner per-UTC-day lines and per-day issuer → redeemer flows that settlement and the matrix
// read for the whole days of a period (migrations/1764003000000-SettlementAggregates.ts). Exact:
// numeric sums, rounded only when a period is answered. Incremental like the insight rollup (the
// snapshot it last read, the rows visible now and not then, by their xid; src/db/snapshot-delta.ts),
// with its own state row. A transaction's entries and lot consumptions are written in the
// transaction that writes it, so taking the new transactions takes everything they count for.
import type { Db, Pool } from '../../db/sql';
import { Tx, query, queryOne } from '../../db/sql';
import { isNew, openDelta, tablesWithNew } from '../../db/snapshot-delta';
import { withTransaction } from '../../db/transaction';
import { RATE_VERSIONS_LOCK } from '../exchange-rate/exchange-rate.service';
import { FACTS, PERIOD_COLUMNS } from './settlement-facts';

const PARAMS = { seen: '$1', cur: '$2', xmax: '$3', running: '$4' };

/** One statement folding the transactions `which` selects (over ledger_transaction t) into both aggregates. */
function rollupStatement(which: string, extra = ''): string {
  return `WITH period AS MATERIALIZED (SELECT ${PERIOD_COLUMNS} FROM ledger_transaction t WHERE ${which}),
  ${FACTS},
  lines AS (
    INSERT INTO settlement_partner_day AS d (day, partner_id, issued, issued_value, redeemed, redeemed_value, expired, expired_value)
    SELECT day, partner_id, sum(issued), sum(issued_value), sum(redeemed), sum(redeemed_value), sum(expired), sum(expired_value)
      FROM line_facts WHERE partner_id IS NOT NULL GROUP BY 1, 2
    ON CONFLICT (day, partner_id) DO UPDATE SET
      issued = d.issued + EXCLUDED.issued, issued_value = d.issued_value + EXCLUDED.issued_value,
      redeemed = d.redeemed + EXCLUDED.redeemed, redeemed_value = d.redeemed_value + EXCLUDED.redeemed_value,
      expired = d.expired + EXCLUDED.expired, expired_value = d.expired_value + EXCLUDED.expired_value),
  flows AS (
    INSERT INTO settlement_flow_day AS d (day, issuer_id, redeemer_id, points, value)
    SELECT day, issuer_id, redeemer_id, sum(points), sum(value) FROM flow_facts GROUP BY 1, 2, 3
    ON CONFLICT (day, issuer_id, redeemer_id) DO UPDATE SET points = d.points + EXCLUDED.points, value = d.value + EXCLUDED.value)${extra}
  SELECT count(*)::int AS n FROM period`;
}

/**
 * The migration's backfill: every transaction there is, and the snapshot they were read in as the
 * one last read (one statement, so both are the same snapshot).
 */
export const BACKFILL = rollupStatement(
  'true',
  `,
  state AS (UPDATE settlement_rollup SET seen = pg_current_snapshot(), rolled_at = now())`,
);

/**
 * Fold everything committed since the last run into the aggregates; in `on` when it is a
 * transaction (closing a period: the aggregates it reads are then as of its own snapshot), else in
 * a transaction of its own. Returns the transactions folded in.
 */
export async function rollUpSettlement(db: Pool, on: Db = db): Promise<number> {
  return withTransaction(db, (m) => rollUpIn(m), on instanceof Tx ? on : undefined);
}

async function rollUpIn(m: Tx): Promise<number> {
  // No exchange-rate version may be in flight while this run's snapshot is taken (see the lock).
  await query(m, `SELECT pg_advisory_xact_lock(${RATE_VERSIONS_LOCK})`);
  const delta = await openDelta(m, 'settlement_rollup');
  const { firstRun, cur } = delta;
  // Nothing new (most reads): an index probe of the xid column, a millisecond.
  if (!(await tablesWithNew(m, delta, ['ledger_transaction']))[0]) return 0;
  // Planned for the values it has (a generic plan would guess the backlog's size and scan).
  await query(m, `SET LOCAL plan_cache_mode = force_custom_plan`);
  const params = firstRun ? [delta.seen, cur] : [delta.seen, cur, delta.xmax, delta.running];
  const n = (await queryOne<{ n: number }>(m, rollupStatement(isNew('t.xid', firstRun, PARAMS)), params))!.n;
  await query(m, `UPDATE settlement_rollup SET seen = $1::pg_snapshot, rolled_at = now()`, [cur]);
  return n;
}
