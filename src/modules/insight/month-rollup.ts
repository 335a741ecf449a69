// The calendar-month side of the insight rollup (migrations/1764001300000-InsightMonths.ts): the
// common table expressions each rollup statement (rollup.ts) appends, folding its source's new
// facts `f` into the member-month rows and the month counters, in the same statement.
//
// Every counter is a sum over member-month rows of an indicator of the row (active, bought,
// bought twice or more, engaged, bought at two partners, bought in a currency). A row only ever
// gains activity, so a run adds the indicators of each touched row's new values and takes away
// those of its old ones (read in the same statement, before the upsert). "Retained" (active this
// month and the month before) belongs to a pair of rows: it is counted once, by the row of the
// pair that becomes active last, or by the later month when both do in one statement.

/** The scope of the coalition as a whole, beside each partner's own id. */
export const WHOLE_COALITION = '00000000-0000-0000-0000-000000000000';

const ALL = `'${WHOLE_COALITION}'::uuid`;
const monthsFrom = (at: string, months: number) => `(${at} + interval '${months} month')::date`;
const sameMember = (a: string, b: string, month: string) => `${a}.member_id = ${b}.member_id AND ${a}.scope_id = ${b}.scope_id AND ${a}.month = ${month}`;

/** Appended to a rollup statement whose facts CTE is `f` and whose $3 is the coalition's partner id. */
export const MONTH_ROLLUP = `,
  mw AS (
    SELECT f.member_id, s.scope_id, date_trunc('month', f.day)::date AS month, sum(f.purchases)::int AS purchases,
           bool_or(f.purchases + f.redemptions + f.surveys > 0) AS active,
           bool_or(f.redemptions + f.surveys + f.engagements > 0) AS engaged,
           coalesce(array_agg(DISTINCT f.partner_id ORDER BY f.partner_id) FILTER (WHERE f.purchases > 0 AND s.scope_id = ${ALL}), '{}') AS bought_at,
           min(f.enrolled_at) AS enrolled_at
      FROM f CROSS JOIN LATERAL (VALUES (f.partner_id), (${ALL})) s (scope_id)
     -- The coalition's own partner row has no scope of its own: its movements count coalition-wide.
     WHERE f.purchases + f.redemptions + f.surveys + f.engagements > 0 AND s.scope_id <> $3::uuid
     GROUP BY 1, 2, 3),
  mm_old AS (
    SELECT o.member_id, o.scope_id, o.month, o.purchases, o.active, o.engaged, o.bought_at, o.enrolled_at
      FROM insight_member_month o JOIN mw USING (member_id, scope_id, month)),
  mm_new AS (
    INSERT INTO insight_member_month AS mm (member_id, scope_id, month, purchases, active, engaged, bought_at, enrolled_at)
    SELECT member_id, scope_id, month, purchases, active, engaged, bought_at, enrolled_at FROM mw
    ON CONFLICT (member_id, scope_id, month) DO UPDATE SET
      purchases = mm.purchases + EXCLUDED.purchases, active = mm.active OR EXCLUDED.active, engaged = mm.engaged OR EXCLUDED.engaged,
      bought_at = ARRAY(SELECT DISTINCT b FROM unnest(mm.bought_at || EXCLUDED.bought_at) b ORDER BY b)
    RETURNING mm.member_id, mm.scope_id, mm.month, mm.purchases, mm.active, mm.engaged, mm.bought_at, mm.enrolled_at),
  mm_rows AS (
    SELECT 1 AS sign, * FROM mm_new UNION ALL SELECT -1 AS sign, * FROM mm_old),
  newly_active AS (
    SELECT n.member_id, n.scope_id, n.month FROM mm_new n LEFT JOIN mm_old o USING (member_id, scope_id, month)
     WHERE n.active AND NOT coalesce(o.active, false)),
  retained AS (
    SELECT n.scope_id, n.month FROM newly_active n
      LEFT JOIN mm_new u ON ${sameMember('u', 'n', monthsFrom('n.month', -1))}
      LEFT JOIN insight_member_month e ON ${sameMember('e', 'n', monthsFrom('n.month', -1))}
     WHERE coalesce(u.active, e.active, false)
    UNION ALL
    SELECT n.scope_id, ${monthsFrom('n.month', 1)} FROM newly_active n
      LEFT JOIN mm_new u ON ${sameMember('u', 'n', monthsFrom('n.month', 1))}
      LEFT JOIN insight_member_month e ON ${sameMember('e', 'n', monthsFrom('n.month', 1))}
     WHERE coalesce(u.active, e.active, false)
       AND NOT EXISTS (SELECT 1 FROM newly_active l WHERE ${sameMember('l', 'n', monthsFrom('n.month', 1))})),
  month_counts AS (
    SELECT scope_id, month, sign * active::int AS active, sign * (purchases > 0)::int AS purchasers,
           sign * (purchases > 1)::int AS repeaters, sign * engaged::int AS engaged, 0 AS cross_partner, 0 AS retained
      FROM mm_rows
    UNION ALL
    -- Bought at two partners or more: counted coalition-wide and at each of those partners.
    SELECT s.scope_id, r.month, 0, 0, 0, 0, r.sign, 0
      FROM mm_rows r CROSS JOIN LATERAL (SELECT ${ALL} UNION ALL SELECT unnest(r.bought_at)) s (scope_id)
     WHERE r.scope_id = ${ALL} AND cardinality(r.bought_at) >= 2
    UNION ALL
    SELECT scope_id, month, 0, 0, 0, 0, 0, 1 FROM retained),
  month_currency AS (
    SELECT r.scope_id, r.month, p.currency_code, r.sign, r.enrolled_at
      FROM mm_rows r JOIN partner p ON p.id = r.scope_id WHERE r.purchases > 0
    UNION ALL
    SELECT r.scope_id, r.month, c.currency_code, r.sign, r.enrolled_at
      FROM mm_rows r CROSS JOIN LATERAL (SELECT DISTINCT p.currency_code FROM partner p WHERE p.id = ANY (r.bought_at)) c
     WHERE r.scope_id = ${ALL}),
  mo AS (
    INSERT INTO insight_month AS t (scope_id, month, active, purchasers, repeaters, engaged, cross_partner, retained)
    SELECT scope_id, month, sum(active), sum(purchasers), sum(repeaters), sum(engaged), sum(cross_partner), sum(retained)
      FROM month_counts GROUP BY 1, 2
    ON CONFLICT (scope_id, month) DO UPDATE SET
      active = t.active + EXCLUDED.active, purchasers = t.purchasers + EXCLUDED.purchasers, repeaters = t.repeaters + EXCLUDED.repeaters,
      engaged = t.engaged + EXCLUDED.engaged, cross_partner = t.cross_partner + EXCLUDED.cross_partner, retained = t.retained + EXCLUDED.retained),
  mc AS (
    INSERT INTO insight_month_currency AS t (scope_id, month, currency_code, purchasers, enrolled_epoch)
    SELECT scope_id, month, currency_code, sum(sign), sum(sign * extract(epoch FROM enrolled_at))
      FROM month_currency GROUP BY 1, 2, 3
    ON CONFLICT (scope_id, month, currency_code) DO UPDATE SET
      purchasers = t.purchasers + EXCLUDED.purchasers, enrolled_epoch = t.enrolled_epoch + EXCLUDED.enrolled_epoch)`;
