// The programMetrics step: a ledger of BENCH_INSIGHT_TRANSACTIONS (1,000,000) transactions over
// one year, loaded in bulk by SQL (the metrics read the ledger's rows, not their entries, so the
// load skips the journal; triggers are off for it), rolled up once, then programMetrics for one
// month through HTTP: median and p90 of sequential requests. Then the data grows
// BENCH_INSIGHT_GROWTH (10) times — that many times the members and transactions, the extra ones
// in the years before, at the same monthly density — and the same month is asked again. What a
// month's answer costs follows the members active in it and the one before, and the days of
// history, never the ledger's length: that is what the growth shows. (Ten times the activity
// inside the month itself would cost about ten times as much: see README "Program insight".)
import { Client } from 'pg';
import { createPool } from '../../src/db/data-source';
import { rollUpInsight } from '../../src/modules/insight/rollup';
import { percentile } from './stats';

export interface InsightStepResult {
  transactions: number;
  members: number;
  loadSeconds: number;
  rollupSeconds: number;
  samples: number;
  p50Ms: number;
  p90Ms: number;
}

export interface InsightBenchResult {
  base: InsightStepResult;
  grown: InsightStepResult | null;
  growth: number;
  /** grown p50 / base p50 (target: below 2). */
  ratio: number | null;
}

const YEAR_SECONDS = 365 * 86_400;
const MONTH = { from: '2025-06-01T00:00:00.000Z', to: '2025-07-01T00:00:00.000Z' };
const QUERY = `query($from: DateTime!, $to: DateTime!) { programMetrics(from: $from, to: $to) {
  members activeMembers newMembers retentionRate churnRate repeatPurchaseRate participationRate activeEngagementRate upsellRatio
  crossPartnerRate redemptionRate netPromoterScore customerSatisfactionScore customerEffortScore customerLoyaltyIndex
  customerLifetimeValue { amount currencyCode } pointsIssued pointsRedeemed pointsExpired pointsOutstanding } }`;

/**
 * Members `[first, first + count)` enrolled in the year ending `yearEnd`, and `transactions`
 * transactions of theirs spread evenly over that year (80 % purchases, a fifth of them with an
 * upsell line, 10 % redemptions, 6 % bonuses, 4 % expiries).
 */
async function load(db: Client, first: number, count: number, transactions: number, yearEnd: Date, years: number): Promise<void> {
  const start = new Date(yearEnd.getTime() - years * YEAR_SECONDS * 1000).toISOString();
  const span = years * YEAR_SECONDS;
  await db.query('BEGIN');
  await db.query('SET LOCAL session_replication_role = replica');
  await db.query(
    `WITH enrolled AS (
       INSERT INTO member (email, display_name, card_number, tier_id, enrolled_by_partner, enrolled_at)
       -- Card numbers by member number: a million random draws would clash now and then.
       SELECT 'insight-bench-' || i || '@example.com', 'Bench ' || i, c.body || luhn_check_digit(c.body), (SELECT id FROM tier ORDER BY rank LIMIT 1),
              (SELECT id FROM partner WHERE slug = 'insight-bench-' || (i % 3)), $3::timestamptz + make_interval(secs => (i - $1) * ($4::float8 / 4) / $2)
         FROM generate_series($1::bigint, $1::bigint + $2 - 1) i, LATERAL (SELECT '87' || lpad(i::text, 13, '0') AS body) c
       RETURNING id, display_name)
     INSERT INTO bench_member (n, id) SELECT substring(display_name from 7)::bigint, id FROM enrolled`,
    [first, count, start, span],
  );
  // Member k of this load does business from a quarter into the span on (after it enrolled).
  await db.query(
    `INSERT INTO ledger_transaction (type, member_id, partner_id, points, balance_after, purchase_amount, purchase_currency, exchange_rate_id,
                                     external_ref, upsell_amount, breakdown, created_at)
     SELECT s.type, bm.id, p.id, s.points, 0, s.amount, CASE WHEN s.amount IS NOT NULL THEN p.currency_code END,
            r.id, CASE WHEN s.type = 'EARN' THEN 'insight-bench-' || s.i END, CASE WHEN s.type = 'EARN' AND s.i % 5 = 0 THEN s.amount / 4 END, '[]',
            $4::timestamptz + make_interval(secs => $5::float8 / 4 + (s.i - $6) * ($5::float8 * 3 / 4) / $3)
       FROM (SELECT i, $1::bigint + (i * 7919) % $2 AS member_n, i % 3 AS partner_n,
                    CASE WHEN i % 100 < 80 THEN 'EARN' WHEN i % 100 < 90 THEN 'REDEEM' WHEN i % 100 < 96 THEN 'BONUS' ELSE 'EXPIRY' END AS type,
                    CASE WHEN i % 100 < 80 THEN 10 + i % 90 WHEN i % 100 < 90 THEN -50 WHEN i % 100 < 96 THEN 20 ELSE -5 END AS points,
                    CASE WHEN i % 100 < 80 THEN (10 + i % 90)::numeric END AS amount
               FROM generate_series($6::bigint, $6::bigint + $3 - 1) i) s
       JOIN bench_member bm ON bm.n = s.member_n
       JOIN partner p ON p.slug = 'insight-bench-' || s.partner_n
       JOIN exchange_rate r ON r.partner_id = p.id`,
    [first, count, transactions, start, span, first * 100],
  );
  await db.query('COMMIT');
}

async function measure(url: string, adminToken: string, samples: number): Promise<{ p50Ms: number; p90Ms: number }> {
  const ask = async () => {
    const t = process.hrtime.bigint();
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
      body: JSON.stringify({ query: QUERY, variables: MONTH }),
    });
    const body = (await res.json()) as { errors?: unknown };
    if (body.errors) throw new Error(`programMetrics failed: ${JSON.stringify(body.errors)}`);
    return Number(process.hrtime.bigint() - t) / 1e6;
  };
  for (let i = 0; i < 3; i++) await ask();
  const times: number[] = [];
  for (let i = 0; i < samples; i++) times.push(await ask());
  times.sort((a, b) => a - b);
  return { p50Ms: percentile(times, 0.5), p90Ms: percentile(times, 0.9) };
}

/**
 * Roll everything up once (the backlog the scheduled rollup job would fold in as it arrived), then
 * VACUUM ANALYZE the aggregates. Run here on the database rather than through a first HTTP request:
 * a backlog of millions of rows takes minutes, past any HTTP client's patience.
 */
async function rollUp(db: Client, databaseUrl: string, log: (line: string) => void): Promise<number> {
  const t = Date.now();
  const pool = createPool(databaseUrl, 2);
  // A backlog of millions is folded in slices (rollup.ts foldInSlices): its pace, every million rows.
  const onSlice = (table: string, folded: number, total: number) => {
    if (folded % 1_000_000 < 100_000 || folded === total)
      log(`programMetrics: ${table}: ${folded} of ${total} rows folded in ${((Date.now() - t) / 1000).toFixed(0)} s`);
  };
  try {
    const { rows } = await db.query<{ id: string }>(`SELECT id FROM partner WHERE is_coalition`);
    await rollUpInsight(pool, rows[0]!.id, { onSlice });
  } finally {
    await pool.end();
  }
  const seconds = (Date.now() - t) / 1000;
  await db.query(
    'VACUUM ANALYZE insight_member_day, insight_partner_day, insight_member_partner, insight_survey_day, insight_member_month, insight_month, insight_month_currency, ledger_transaction',
  );
  return seconds;
}

export async function insightStep(
  databaseUrl: string,
  gatewayUrl: string,
  adminToken: string,
  opts: { transactions: number; growth: number; samples: number; log: (line: string) => void },
): Promise<InsightBenchResult> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    await db.query(`CREATE UNLOGGED TABLE IF NOT EXISTS bench_member (n bigint PRIMARY KEY, id uuid NOT NULL)`);
    await db.query(
      `INSERT INTO partner (slug, name, currency_code) VALUES ('insight-bench-0', 'Bench café', 'MYR'), ('insight-bench-1', 'Bench shop', 'THB'), ('insight-bench-2', 'Bench air', 'IDR')`,
    );
    await db.query(
      `INSERT INTO exchange_rate (partner_id, version, earn_rate, burn_rate, effective_from)
       SELECT id, 1, CASE currency_code WHEN 'MYR' THEN 1 WHEN 'THB' THEN 0.5 ELSE 0.01 END, 0.01, '-infinity' FROM partner WHERE slug LIKE 'insight-bench-%'`,
    );
    const perMember = 10;
    const baseMembers = Math.max(1, Math.floor(opts.transactions / perMember));
    const yearEnd = new Date('2026-01-01T00:00:00Z');
    const step = async (first: number, members: number, transactions: number, end: Date, years: number, total: { tx: number; members: number }) => {
      opts.log(`programMetrics: loading ${transactions} transactions of ${members} members`);
      let t = Date.now();
      await load(db, first, members, transactions, end, years);
      const loadSeconds = (Date.now() - t) / 1000;
      opts.log(`programMetrics: loaded in ${loadSeconds.toFixed(0)} s; rolling up`);
      t = Date.now();
      const rollupSeconds = await rollUp(db, databaseUrl, opts.log);
      opts.log(`programMetrics: rolled up in ${rollupSeconds.toFixed(0)} s; ${opts.samples} requests for one month`);
      const latency = await measure(gatewayUrl, adminToken, opts.samples);
      opts.log(`programMetrics: ${total.tx} transactions, one month: p50 ${latency.p50Ms.toFixed(1)} ms, p90 ${latency.p90Ms.toFixed(1)} ms`);
      return { transactions: total.tx, members: total.members, loadSeconds, rollupSeconds, samples: opts.samples, ...latency };
    };
    const base = await step(0, baseMembers, opts.transactions, yearEnd, 1, { tx: opts.transactions, members: baseMembers });
    let grown: InsightStepResult | null = null;
    if (opts.growth > 1) {
      // The years before: (growth − 1) × the members and transactions, over (growth − 1) years.
      const extra = opts.growth - 1;
      grown = await step(baseMembers, baseMembers * extra, opts.transactions * extra, new Date('2025-01-01T00:00:00Z'), extra, {
        tx: opts.transactions * opts.growth,
        members: baseMembers * opts.growth,
      });
    }
    return { base, grown, growth: opts.growth, ratio: grown ? grown.p50Ms / base.p50Ms : null };
  } finally {
    await db.end();
  }
}

/** The step's lines of the bench report. */
export function printInsight(r: InsightBenchResult): void {
  console.log('| programMetrics, one month | transactions | members | load s | roll-up s | p50 ms | p90 ms |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const [label, s] of [
    ['base', r.base],
    [`${r.growth}× the data`, r.grown],
  ] as const) {
    if (s)
      console.log(
        `| ${label} | ${s.transactions} | ${s.members} | ${s.loadSeconds.toFixed(0)} | ${s.rollupSeconds.toFixed(1)} | ${s.p50Ms.toFixed(1)} | ${s.p90Ms.toFixed(1)} |`,
      );
  }
  console.log(
    `targets: programMetricsP50Under50ms=${r.base.p50Ms < 50 ? 'met' : 'NOT met'} growth${r.growth}xUnder2x=${r.ratio === null ? 'n/a' : r.ratio < 2 ? 'met' : 'NOT met'}${r.ratio === null ? '' : ` (×${r.ratio.toFixed(2)})`}`,
  );
}
