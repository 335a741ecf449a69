// What each ledger transaction contributes to settlement, as SQL over a CTE `period` of
// transactions (id, type, partner_id, points, exchange_rate_id, created_at, day, original_type).
// The same text answers a period's edges from the raw rows (settlement.service.ts) and folds new
// transactions into the per-day aggregates (settlement-rollup.ts), so the two cannot disagree.

// Points honoured at a partner: reward redemptions and payments with points at its till, alike.
export const HONOURED = `('REDEEM', 'PAYMENT')`;
// Points an issuer funds and pays the coalition for: purchases, bonuses, staff adjustments
// (coalition-funded unless they name a partner) and the opening balances a partner brings when it
// joins (MIGRATION, valued at its burn rate in force at the import).
export const ISSUING = `('EARN', 'BONUS', 'ADJUSTMENT', 'MIGRATION')`;

/**
 * The burn rate an issuer's points of transaction `t` are valued at: the version `t` recorded when
 * the issuer is its partner, else the issuer's version in force at `t`. Two branches, each by an
 * index (one row by key, the other the latest version), rather than one OR that scans the rates.
 */
function rateOf(issuer: string, t: string): string {
  return `SELECT x.burn_rate FROM exchange_rate x WHERE ${issuer} = ${t}.partner_id AND x.id = ${t}.exchange_rate_id
          UNION ALL
          (SELECT x.burn_rate FROM exchange_rate x
            WHERE ${issuer} <> ${t}.partner_id AND x.partner_id = ${issuer} AND x.effective_from <= ${t}.created_at AND x.created_at <= ${t}.created_at
            ORDER BY x.effective_from DESC, x.version DESC LIMIT 1)`;
}

/** The columns `period` needs from ledger_transaction t (what a reversal reverses read by key, only for reversals). */
export const PERIOD_COLUMNS = `t.id, t.type, t.partner_id, t.points, t.exchange_rate_id, t.created_at, ((t.created_at AT TIME ZONE 'UTC')::date) AS day,
  CASE WHEN t.reverses_id IS NOT NULL THEN (SELECT o.type FROM ledger_transaction o WHERE o.id = t.reverses_id) END AS original_type`;

/**
 * CTEs `line_facts` (partner_id, day, issued, issued_value, redeemed, redeemed_value, expired,
 * expired_value) and `flow_facts` (issuer_id, redeemer_id, day, points, value) of `period`'s
 * transactions, one row per entry, redemption or lot consumption. A reversal counts with what it
 * reverses, on its own day.
 */
export const FACTS = `
  issuers AS MATERIALIZED (SELECT id, partner_id FROM account WHERE kind = 'PARTNER_ISSUANCE'),
  line_facts AS (
    -- Issuance is read from the issuers' accounts: a purchase's coalition-funded points are the
    -- coalition's, not the partner's. The partner's points are valued at the rate version the earn
    -- recorded; another issuer's (the coalition's) at its version in force then.
    SELECT a.partner_id, t.day, -e.amount AS issued, -e.amount * r.burn_rate AS issued_value,
           0::bigint AS redeemed, 0::numeric AS redeemed_value, 0::bigint AS expired, 0::numeric AS expired_value
      FROM period t
      -- Each transaction's own entries (OFFSET 0 keeps this a per-transaction index probe: flattened,
      -- the planner walks the issuance accounts' entries, which are the whole ledger's).
      CROSS JOIN LATERAL (SELECT x.account_id, x.amount FROM ledger_entry x WHERE x.transaction_id = t.id OFFSET 0) e
      JOIN issuers a ON a.id = e.account_id
      JOIN LATERAL (${rateOf('a.partner_id', 't')}) r ON true
     WHERE t.type IN ${ISSUING} OR t.original_type IN ${ISSUING}
    UNION ALL
    SELECT t.partner_id, t.day, 0, 0, -t.points, -t.points * r.burn_rate, 0, 0
      FROM period t
      JOIN exchange_rate r ON r.id = t.exchange_rate_id
     WHERE t.partner_id IS NOT NULL AND (t.type IN ${HONOURED} OR t.original_type IN ${HONOURED})
    UNION ALL
    -- Breakage: the issuer's points that lapsed unspent (EXPIRY, and an erased member's ERASURE, by
    -- the lots they took), valued as they were when issued: at the rate of the transaction that
    -- issued the lot (another issuer's — the coalition's — at its version in force then).
    SELECT l.partner_id, t.day, 0, 0, 0, 0, c.points, c.points * r.burn_rate
      FROM period t
      JOIN lot_consumption c ON c.transaction_id = t.id
      JOIN points_lot l ON l.id = c.lot_id
      JOIN ledger_transaction et ON et.id = l.earn_transaction_id
      JOIN LATERAL (${rateOf('l.partner_id', 'et')}) r ON true
     WHERE t.type IN ('EXPIRY', 'ERASURE')),
  flow_facts AS (
    -- Issued-at → redeemed-at, from the lots each redemption consumed (its reversal gave back).
    SELECT l.partner_id AS issuer_id, t.partner_id AS redeemer_id, t.day, c.points, c.points * r.burn_rate AS value
      FROM period t
      JOIN lot_consumption c ON c.transaction_id = t.id
      JOIN points_lot l ON l.id = c.lot_id
      JOIN exchange_rate r ON r.id = t.exchange_rate_id
     WHERE t.partner_id IS NOT NULL AND (t.type IN ${HONOURED} OR t.original_type IN ${HONOURED}))`;
