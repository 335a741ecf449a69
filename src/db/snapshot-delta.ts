// Incremental readers (the insight and settlement rollups) take the rows committed since the
// snapshot they last read, by the id of the transaction that wrote each row (its xid column).

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
