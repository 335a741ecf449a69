import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Program insight by calendar month (issue 18): a month's programMetrics answered from a few
 * counter rows instead of grouping its members' activity days.
 *
 * insight_member_month holds, per member, scope and calendar month with activity, what the sets
 * need (purchases, active, engaged, the partners bought at). A scope is a partner's id, or the
 * nil uuid for the whole coalition. insight_month and insight_month_currency are sums of
 * per-row indicators over those rows (active, purchasers, repeaters, engaged, cross-partner,
 * per-currency purchasers and their enrolment times) plus, per member, "active this month and
 * the month before" (retained). The rollup (src/modules/insight/month-rollup.ts) keeps all three
 * in step in its own transaction: a member-month row only ever gains activity, so each run adds
 * the new rows' indicators and takes away their old values'.
 *
 * Existing aggregates are carried over here from insight_member_day, which holds everything a
 * member-month row is made of.
 */
export class InsightMonths1764001300000 implements MigrationInterface {
  name = 'InsightMonths1764001300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE insight_member_month (
        member_id   uuid NOT NULL,
        scope_id    uuid NOT NULL,
        month       date NOT NULL CHECK (extract(day FROM month) = 1),
        purchases   int NOT NULL,
        -- A purchase, redemption, payment with points or survey response (the "active" of the metrics).
        active      boolean NOT NULL,
        -- A non-purchase action: redemption, payment, survey response, challenge, referral, consent.
        engaged     boolean NOT NULL,
        -- Coalition scope only: the partners bought at this month, sorted.
        bought_at   uuid[] NOT NULL DEFAULT '{}',
        enrolled_at timestamptz NOT NULL,
        PRIMARY KEY (member_id, scope_id, month)
      );

      CREATE TABLE insight_month (
        scope_id      uuid NOT NULL,
        month         date NOT NULL,
        active        bigint NOT NULL DEFAULT 0,
        -- Active this month and the month before.
        retained      bigint NOT NULL DEFAULT 0,
        purchasers    bigint NOT NULL DEFAULT 0,
        repeaters     bigint NOT NULL DEFAULT 0,
        engaged       bigint NOT NULL DEFAULT 0,
        -- Purchasers who bought at two partners or more (a partner: here and elsewhere).
        cross_partner bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (scope_id, month)
      );

      CREATE TABLE insight_month_currency (
        scope_id       uuid NOT NULL,
        month          date NOT NULL,
        currency_code  text NOT NULL,
        purchasers     bigint NOT NULL DEFAULT 0,
        -- Σ over those purchasers of their enrolment time, in epoch seconds (CLV's years of membership).
        enrolled_epoch numeric NOT NULL DEFAULT 0,
        PRIMARY KEY (scope_id, month, currency_code)
      );

      -- Carry over what was rolled up before this migration.
      WITH d AS (
        SELECT member_id, partner_id, date_trunc('month', day)::date AS month, sum(purchases) AS purchases,
               bool_or(purchases + redemptions + surveys > 0) AS active, bool_or(redemptions + surveys + engagements > 0) AS engaged,
               min(enrolled_at) AS enrolled_at
          FROM insight_member_day GROUP BY 1, 2, 3)
      INSERT INTO insight_member_month (member_id, scope_id, month, purchases, active, engaged, bought_at, enrolled_at)
      SELECT d.member_id, d.partner_id, d.month, d.purchases, d.active, d.engaged, '{}', d.enrolled_at
        FROM d JOIN partner p ON p.id = d.partner_id AND NOT p.is_coalition
      UNION ALL
      SELECT member_id, '00000000-0000-0000-0000-000000000000', month, sum(purchases), bool_or(active), bool_or(engaged),
             coalesce(array_agg(partner_id ORDER BY partner_id) FILTER (WHERE purchases > 0), '{}'), min(enrolled_at)
        FROM d GROUP BY member_id, month;

      INSERT INTO insight_month (scope_id, month, active, purchasers, repeaters, engaged, cross_partner, retained)
      SELECT m.scope_id, m.month, count(*) FILTER (WHERE m.active), count(*) FILTER (WHERE m.purchases > 0),
             count(*) FILTER (WHERE m.purchases > 1), count(*) FILTER (WHERE m.engaged),
             count(*) FILTER (WHERE m.purchases > 0 AND cardinality(a.bought_at) >= 2),
             count(*) FILTER (WHERE m.active AND prev.active)
        FROM insight_member_month m
        JOIN insight_member_month a ON a.member_id = m.member_id AND a.month = m.month AND a.scope_id = '00000000-0000-0000-0000-000000000000'
        LEFT JOIN insight_member_month prev ON prev.member_id = m.member_id AND prev.scope_id = m.scope_id
                                           AND prev.month = (m.month - interval '1 month')::date
       GROUP BY 1, 2;

      INSERT INTO insight_month_currency (scope_id, month, currency_code, purchasers, enrolled_epoch)
      SELECT x.scope_id, x.month, x.currency_code, count(*), sum(extract(epoch FROM x.enrolled_at))
        FROM (SELECT DISTINCT m.scope_id, m.month, m.member_id, p.currency_code, m.enrolled_at
                FROM insight_member_month m
                JOIN insight_member_month a ON a.member_id = m.member_id AND a.month = m.month AND a.scope_id = '00000000-0000-0000-0000-000000000000'
                JOIN partner p ON p.id = ANY (a.bought_at) AND (m.scope_id = a.scope_id OR p.id = m.scope_id)) x
       GROUP BY 1, 2, 3;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE insight_month_currency, insight_month, insight_member_month`);
  }
}
