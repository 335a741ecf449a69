// The insight rollup: folds what was committed since its last run into the daily aggregates
// programMetrics reads (migrations/1764001010000-InsightAggregates.ts), so no metric ever scans
// the ledger for its period. Incremental and exact: it keeps the snapshot it last read and takes
// the source rows (ledger transactions, enrolments, consents, survey responses) visible now and
// not visible then, by the id of the transaction that wrote each (its xid). A transaction still
// running now is taken by a later run, whatever order transactions commit in, and no row is ever
// counted twice. Runs are serialised by the lock on the rollup's one row; each reads only the
// rows written since the oldest transaction that was running at the previous run.
//
// What a source row counts for (README "Program insight"):
//   EARN, BONUS: points issued (their REVERSALs take them back); EARN: a purchase, its revenue;
//   REDEEM, PAYMENT: points redeemed (their REVERSALs give them back), a redemption;
//   EXPIRY: points expired; every movement: the change in points outstanding;
//   a challenge-completion or referrer's BONUS, a consent: a non-purchase engagement;
//   a survey response: a response (score histogram) and a non-purchase action;
//   a member row: an enrolment at the partner that enrolled it.
import type { Pool, Tx } from '../../db/sql';
import { query } from '../../db/sql';
import { withTransaction } from '../../db/transaction';
import { isNew, openDelta, tablesWithNew } from '../../db/snapshot-delta';
import { MONTH_ROLLUP } from './month-rollup';

const day = (at: string) => `((${at}) AT TIME ZONE 'UTC')::date`;

// Every source yields these columns (f below); $3 is the coalition's partner id.
const ZERO = {
  issued: '0::bigint',
  redeemed: '0::bigint',
  expired: '0::bigint',
  net: '0::bigint',
  purchases: '0::int',
  revenue: '0::numeric',
  revenueValue: '0::numeric',
  upsellValue: '0::numeric',
  enrolled: '0::int',
  redemptions: '0::int',
  surveys: '0::int',
  engagements: '0::int',
};
type FactColumns = typeof ZERO;
const factList = (c: FactColumns) =>
  `${c.issued} AS issued, ${c.redeemed} AS redeemed, ${c.expired} AS expired, ${c.net} AS net, ${c.purchases} AS purchases,
   ${c.revenue} AS revenue, ${c.revenueValue} AS revenue_value, ${c.upsellValue} AS upsell_value, ${c.enrolled} AS enrolled,
   ${c.redemptions} AS redemptions, ${c.surveys} AS surveys, ${c.engagements} AS engagements`;

// Points issued into the program: earns, bonuses, and opening balances a joining partner migrates (MIGRATION).
const ISSUING = `('EARN', 'BONUS', 'MIGRATION')`;
const REDEEMING = `('REDEEM', 'PAYMENT')`;

function ledgerFacts(firstRun: boolean): string {
  return `SELECT t.member_id, coalesce(t.partner_id, $3::uuid) AS partner_id, ${day('t.created_at')} AS day, mb.enrolled_at,
    ${factList({
      issued: `CASE WHEN t.type IN ${ISSUING} OR (t.type = 'REVERSAL' AND o.type IN ${ISSUING}) THEN t.points ELSE 0 END`,
      redeemed: `CASE WHEN t.type IN ${REDEEMING} OR (t.type = 'REVERSAL' AND o.type IN ${REDEEMING}) THEN -t.points ELSE 0 END`,
      expired: `CASE WHEN t.type = 'EXPIRY' THEN -t.points ELSE 0 END`,
      net: 't.points',
      purchases: `(t.type = 'EARN')::int`,
      revenue: `CASE WHEN t.type = 'EARN' THEN t.purchase_amount ELSE 0 END`,
      revenueValue: `CASE WHEN t.type = 'EARN' THEN t.purchase_amount * r.earn_rate ELSE 0 END`,
      upsellValue: `CASE WHEN t.type = 'EARN' THEN coalesce(t.upsell_amount, 0) * r.earn_rate ELSE 0 END`,
      enrolled: '0',
      redemptions: `(t.type IN ${REDEEMING})::int`,
      surveys: '0',
      // A challenge completed, or a referral made (the referrer's bonus; lifecycle/referral.ts names it so).
      engagements: `(t.type = 'BONUS' AND (t.breakdown->0->>'source' = 'CHALLENGE'
                      OR (t.breakdown->0->>'source' = 'REFERRAL' AND t.reason = 'referral: a referred member earned')))::int`,
    })}
    FROM ledger_transaction t JOIN member mb ON mb.id = t.member_id
    LEFT JOIN ledger_transaction o ON o.id = t.reverses_id LEFT JOIN exchange_rate r ON r.id = t.exchange_rate_id
   WHERE ${isNew('t.xid', firstRun)}`;
}

function enrolmentFacts(firstRun: boolean): string {
  return `SELECT mb.id AS member_id, coalesce(mb.enrolled_by_partner, $3::uuid) AS partner_id, ${day('mb.enrolled_at')} AS day, mb.enrolled_at,
    ${factList({ ...ZERO, enrolled: '1' })}
    FROM member mb WHERE ${isNew('mb.xid', firstRun)}`;
}

function consentFacts(firstRun: boolean): string {
  return `SELECT c.member_id, coalesce(c.partner_id, $3::uuid) AS partner_id, ${day('c.granted_at')} AS day, mb.enrolled_at, ${factList({ ...ZERO, engagements: '1' })}
    FROM member_partner_consent c JOIN member mb ON mb.id = c.member_id WHERE ${isNew('c.xid', firstRun)}`;
}

function surveyFacts(firstRun: boolean): string {
  return `SELECT r.member_id, coalesce(s.partner_id, $3::uuid) AS partner_id, ${day('r.created_at')} AS day, mb.enrolled_at,
    ${factList({ ...ZERO, surveys: '1' })}, s.kind, r.score
    FROM survey_response r JOIN survey s ON s.id = r.survey_id JOIN member mb ON mb.id = r.member_id WHERE ${isNew('r.xid', firstRun)}`;
}

const SURVEY_HISTOGRAM = `,
  sd AS (
    INSERT INTO insight_survey_day AS d (partner_id, day, kind, score, responses)
    SELECT partner_id, day, kind, score, count(*) FROM f GROUP BY 1, 2, 3, 4
    ON CONFLICT (partner_id, day, kind, score) DO UPDATE SET responses = d.responses + EXCLUDED.responses)`;

/** One statement folding one source's new rows into every aggregate. */
function rollupStatement(facts: string, extra = ''): string {
  const sums = ['issued', 'redeemed', 'expired', 'net', 'purchases', 'revenue', 'revenue_value', 'upsell_value', 'enrolled'];
  const dayColumns = [
    'points_issued',
    'points_redeemed',
    'points_expired',
    'points_net',
    'purchases',
    'revenue',
    'revenue_value',
    'upsell_value',
    'enrolled',
    'joined',
  ];
  const memberColumns = ['purchases', 'revenue', 'redemptions', 'surveys', 'engagements'];
  return `WITH f AS MATERIALIZED (${facts}),
  -- A member becomes one of a partner's members at its first contact there (enrolment or activity).
  contact AS (
    SELECT member_id, partner_id, min(day) AS day FROM f
     WHERE purchases + redemptions + surveys + engagements + enrolled > 0 GROUP BY 1, 2),
  prior AS (
    SELECT c.member_id, c.partner_id, c.day, mp.since
      FROM contact c LEFT JOIN insight_member_partner mp ON mp.member_id = c.member_id AND mp.partner_id = c.partner_id),
  mp AS (
    INSERT INTO insight_member_partner (member_id, partner_id, since)
    SELECT member_id, partner_id, day FROM prior WHERE since IS NULL OR day < since
    ON CONFLICT (member_id, partner_id) DO UPDATE SET since = EXCLUDED.since),
  joined AS (
    SELECT partner_id, day, 1 AS n FROM prior WHERE since IS NULL OR day < since
    UNION ALL SELECT partner_id, since, -1 FROM prior WHERE day < since),
  days AS (
    SELECT partner_id, day, ${[...sums, 'joined'].map((c) => `sum(${c}) AS ${c}`).join(', ')}
      FROM (SELECT partner_id, day, ${sums.join(', ')}, 0 AS joined FROM f
            UNION ALL SELECT partner_id, day, ${sums.map(() => '0').join(', ')}, n FROM joined) x
     GROUP BY 1, 2),
  pd AS (
    INSERT INTO insight_partner_day AS d (partner_id, day, ${dayColumns.join(', ')})
    SELECT partner_id, day, ${[...sums, 'joined'].join(', ')} FROM days
    ON CONFLICT (partner_id, day) DO UPDATE SET ${dayColumns.map((c) => `${c} = d.${c} + EXCLUDED.${c}`).join(', ')}),
  -- The running totals' months (migrations/1764004000000-InsightPartnerMonths.ts).
  pm AS (
    INSERT INTO insight_partner_month AS d (partner_id, month, points_net, enrolled, joined)
    SELECT partner_id, date_trunc('month', day)::date, sum(net), sum(enrolled), sum(joined) FROM days GROUP BY 1, 2
    ON CONFLICT (partner_id, month) DO UPDATE SET
      points_net = d.points_net + EXCLUDED.points_net, enrolled = d.enrolled + EXCLUDED.enrolled, joined = d.joined + EXCLUDED.joined),
  md AS (
    INSERT INTO insight_member_day AS d (member_id, partner_id, day, ${memberColumns.join(', ')}, enrolled_at)
    SELECT member_id, partner_id, day, ${memberColumns.map((c) => `sum(${c})`).join(', ')}, min(enrolled_at) FROM f
     WHERE purchases + redemptions + surveys + engagements > 0 GROUP BY 1, 2, 3
    ON CONFLICT (member_id, partner_id, day) DO UPDATE SET ${memberColumns.map((c) => `${c} = d.${c} + EXCLUDED.${c}`).join(', ')})${MONTH_ROLLUP}${extra}
  SELECT count(*)::int AS n FROM f`;
}

export interface RollupResult {
  /** Source rows folded in by this run. */
  rows: number;
}

/** Parameters so that a test can force the sliced fold on a small history. */
export interface RollupOptions {
  /** A source with more new rows than this is folded in slices (foldInSlices). */
  directRows?: number;
  /** The rows of one slice. */
  sliceRows?: number;
  /** Told after each slice (a bench's progress on a backlog of millions). */
  onSlice?: (table: string, folded: number, total: number) => void;
}

// A backlog that small costs little even planned blind; a slice large enough that its fixed cost
// (a statement, a few index probes per aggregate) is small beside its rows.
const DIRECT_ROWS = 10_000;
const SLICE_ROWS = 100_000;

/**
 * Fold everything committed since the last run into the aggregates. Called by programMetrics
 * before it reads (so its answer includes every change committed before it was asked) and by the
 * scheduled jobs (so that backlog stays small).
 */
export async function rollUpInsight(db: Pool, coalitionPartnerId: string, options: RollupOptions = {}): Promise<RollupResult> {
  return withTransaction(db, (m) => rollUpIn(m, coalitionPartnerId, { directRows: DIRECT_ROWS, sliceRows: SLICE_ROWS, ...options }));
}

async function rollUpIn(m: Tx, coalitionPartnerId: string, sizes: RollupOptions & { directRows: number; sliceRows: number }): Promise<RollupResult> {
  const delta = await openDelta(m, 'insight_rollup');
  const { firstRun, cur } = delta;
  const params = firstRun ? [delta.seen, cur, coalitionPartnerId] : [delta.seen, cur, coalitionPartnerId, delta.xmax, delta.running];
  const sources = [
    { table: 'member', facts: enrolmentFacts(firstRun), extra: '' },
    { table: 'ledger_transaction', facts: ledgerFacts(firstRun), extra: '' },
    { table: 'member_partner_consent', facts: consentFacts(firstRun), extra: '' },
    { table: 'survey_response', facts: surveyFacts(firstRun), extra: SURVEY_HISTOGRAM },
  ];
  // Every statement here is planned for the values it has (a generic plan would guess the size of
  // the backlog, or which transaction ids are in the table, and scan).
  await query(m, `SET LOCAL plan_cache_mode = force_custom_plan`);
  // Only the sources with anything new: most programMetrics calls fold in nothing.
  const hasNew = await tablesWithNew(
    m,
    delta,
    sources.map((s) => s.table),
  );
  const fresh = sources.filter((_, i) => hasNew[i]);
  if (fresh.length === 0) return { rows: 0 };
  let rows = 0;
  for (const source of fresh) {
    // Counted only up to the limit: a small backlog (every programMetrics call's) costs a few index reads here.
    const { n } = (await query<{ n: number }>(m, `SELECT count(*)::int AS n FROM (${source.facts} LIMIT ${sizes.directRows + 1}) x`, params))[0]!;
    rows +=
      n <= sizes.directRows
        ? (await query<{ n: number }>(m, rollupStatement(source.facts, source.extra), params))[0]!.n
        : await foldInSlices(m, source, params, coalitionPartnerId, sizes);
  }
  await query(m, `UPDATE insight_rollup SET seen = $1::pg_snapshot, rolled_at = now()`, [cur]);
  return { rows };
}

/**
 * A large backlog (a bulk load, a first run over an old ledger) folded as one statement is planned
 * blind: the source's statistics predate the rows it folds (a bulk load's rows share one xid the
 * statistics have never seen, so the backlog is estimated at a row), and the common table
 * expressions joined with each other have none at all, so millions of rows met nested loops.
 * Instead its facts are written once to a temporary table, numbered in member order, and analysed;
 * then each slice of `sliceRows` rows is folded by the same statement as a small backlog, in turn,
 * with an estimate that is right. Folding disjoint parts one after another is what successive runs
 * of the rollup do, so the aggregates come out exactly as from one statement (test/insight-slices).
 * In member order, a member's rows mostly fall in one slice, and its member-month rows are written
 * once rather than once per slice.
 */
async function foldInSlices(
  m: Tx,
  { table, facts, extra }: { table: string; facts: string; extra: string },
  params: unknown[],
  coalitionPartnerId: string,
  { sliceRows, onSlice }: RollupOptions & { sliceRows: number },
): Promise<number> {
  await query(m, `CREATE TEMP TABLE insight_fold ON COMMIT DROP AS SELECT row_number() OVER (ORDER BY x.member_id) AS n, x.* FROM (${facts}) x`, params);
  await query(m, `CREATE INDEX ON insight_fold (n)`);
  await query(m, `ANALYZE insight_fold`);
  const { total } = (await query<{ total: number }>(m, `SELECT coalesce(max(n), 0)::int AS total FROM insight_fold`))[0]!;
  // $1, $2: the slice's rows (n in ($1, $2]); $3: the coalition's partner id, as in every rollup statement.
  const slice = rollupStatement(`SELECT * FROM insight_fold WHERE n > $1::bigint AND n <= $2::bigint`, extra);
  let rows = 0;
  for (let from = 0; from < total; from += sliceRows) {
    rows += (await query<{ n: number }>(m, slice, [from, from + sliceRows, coalitionPartnerId]))[0]!.n;
    onSlice?.(table, rows, total);
  }
  await query(m, `DROP TABLE insight_fold`);
  return rows;
}
