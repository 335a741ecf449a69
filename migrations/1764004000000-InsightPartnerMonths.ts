import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Running totals by month (program insight): pointsOutstanding and the member counts of
 * programMetrics are sums of every partner-day before the period's end, so each answer read a row
 * per partner for every day of the program's history (10 years: ~11,000 rows, 1,100 buffers, the
 * part of a month's answer that grew with history). Per partner and calendar month the rollup now
 * also keeps those three sums; an answer reads the whole months before its end's month there and
 * only the days of that month from insight_partner_day: at most a row a month and partner. And
 * the coalition-wide reads of a period's days (these, and a month's sales by currency) had only
 * the (partner_id, day) key, so they scanned every day of the history: an index on day.
 *
 * The backfill sums the days already kept, under the rollup's lock (its state row), so it starts
 * exactly where the partner-days are.
 */
export class InsightPartnerMonths1764004000000 implements MigrationInterface {
  name = 'InsightPartnerMonths1764004000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE insight_partner_month (
        partner_id uuid NOT NULL REFERENCES partner(id),
        -- The first day of the UTC calendar month.
        month      date NOT NULL CHECK (month = date_trunc('month', month)::date),
        points_net bigint NOT NULL DEFAULT 0,
        enrolled   bigint NOT NULL DEFAULT 0,
        joined     bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (partner_id, month)
      );
      -- Coalition-wide reads of a period's days (every partner): by day, not a scan of the history.
      CREATE INDEX insight_partner_day_day ON insight_partner_day (day);
      SELECT 1 FROM insight_rollup FOR UPDATE;
      INSERT INTO insight_partner_month (partner_id, month, points_net, enrolled, joined)
      SELECT partner_id, date_trunc('month', day)::date, sum(points_net), sum(enrolled), sum(joined)
        FROM insight_partner_day GROUP BY 1, 2;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE insight_partner_month`);
  }
}
