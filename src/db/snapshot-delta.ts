// Incremental readers (the insight and settlement rollups) take the rows committed since the
// snapshot they last read, by the id of the transaction that wrote each row (its xid column).
import type { Tx } from './sql';
import { queryOne } from './sql';

/** Where a statement finds the snapshots: the one last read, the one now, and the last one's xmax and running transactions. */
export interface SnapshotParams {
  seen: string;
  cur: string;
  xmax: string;
  running: string;
}

const INSIGHT_PARAMS: SnapshotParams = { seen: '$1', cur: '$2', xmax: '$4', running: '$5' };

/**
 * Whether the row written by transaction `xid` is new since `seen` (its xmax and running
 * transactions), as of `cur`: its transaction had not committed at `seen` — it was still running
 * then (in seen's list of running transactions) or started after (at or past seen's xmax) — and
 * has committed by `cur`. Both tests are index lookups on the xid column, so a run reads only what
 * is new, even while some long transaction elsewhere in the cluster holds seen's xmin far back.
 * The first run (seen NULL) takes every row visible in `cur`, and the rows older than the xid
 * column (NULL).
 */
export function isNew(xid: string, firstRun: boolean, p: SnapshotParams = INSIGHT_PARAMS): string {
  return firstRun
    ? `(${p.seen}::text IS NULL AND (${xid} IS NULL OR pg_visible_in_snapshot(${xid}, ${p.cur}::pg_snapshot)))`
    : `(${p.seen}::pg_snapshot IS NOT NULL AND (${xid} >= ${p.xmax}::xid8 OR ${xid} = ANY (${p.running}::xid8[])) AND pg_visible_in_snapshot(${xid}, ${p.cur}::pg_snapshot))`;
}

/** A rollup's run: the snapshot it last read (null: never ran), the one now, and seen's xmax and running transactions. */
export interface SnapshotDelta {
  seen: string | null;
  cur: string;
  firstRun: boolean;
  xmax: string;
  running: string[];
}

/**
 * Lock a rollup's state row (`table` has one row with a `seen` snapshot) and take the snapshot
 * now. Taken after the lock: a run that held it has committed, so this snapshot sees all it saw.
 * seen's xmax and running transactions come back as values (text "xmin:xmax:xip,…"), so the
 * planner estimates the xid tests from the column's statistics and takes the index.
 */
export async function openDelta(m: Tx, table: string): Promise<SnapshotDelta> {
  const { seen } = (await queryOne<{ seen: string | null }>(m, `SELECT seen::text AS seen FROM ${table} FOR UPDATE`))!;
  const { cur } = (await queryOne<{ cur: string }>(m, `SELECT pg_current_snapshot()::text AS cur`))!;
  const [, xmax = '', running = ''] = (seen ?? '::').split(':');
  return { seen, cur, firstRun: seen === null, xmax, running: running ? running.split(',') : [] };
}

/**
 * Which of `tables` hold rows new since the delta's seen snapshot: an index probe of each one's
 * xid column (its newest xid, and the transactions seen as running), a millisecond, so a run with
 * nothing to fold in skips its large statements. Every table, on a first run.
 */
export async function tablesWithNew(m: Tx, delta: SnapshotDelta, tables: string[]): Promise<boolean[]> {
  if (delta.firstRun) return tables.map(() => true);
  const probe = (await queryOne<Record<string, boolean>>(
    m,
    `SELECT ${tables
      .map(
        (t, i) => `coalesce((SELECT max(xid) FROM ${t}) >= $1::xid8, false)
                 OR EXISTS (SELECT 1 FROM ${t} WHERE xid = ANY ($2::xid8[])) AS s${i}`,
      )
      .join(', ')}`,
    [delta.xmax, delta.running],
  ))!;
  return tables.map((_, i) => probe[`s${i}`]!);
}
