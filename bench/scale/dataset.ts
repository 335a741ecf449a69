// The bench:scale datasets, built in bulk SQL to the row shapes the journal writes (see
// src/modules/ledger/journal.ts): every transaction with its zero-sum entries, every earn with its
// lot, every debit with the lot consumption that took its points oldest first, qualifying-points
// buckets, idempotency keys, redemptions and payments with their rows, rewards and audit entries.
// Triggers are off while loading (session_replication_role = replica: the zero-sum check would run
// once per entry), so the ledger's invariants are checked afterwards instead (checkInvariants).
//
// Member j's k-th transaction is transaction i = j + k·N (so every member's history spreads
// evenly over the 15 months, in seq order as the app writes it). The first 8 are earns; then by
// k + j (so that every month has each kind): 7 mod 20 → a redemption of 50 points, 13 mod 20 → a
// payment of 30 points, 17 mod 20 (one member in five) → the refund of earn k − 1; every other k an
// earn of 10–60 points (×12 for one member in ten, ×40 for one in
// fifty, who therefore hold Silver and Gold). Balances never go negative. On top: one member with
// 100,000 earns in the last 300 days (the heavy member). Rows get their seq in time order, the
// heavy member's interleaved with everyone's, as the app would have written them.
import type { Client } from 'pg';

export interface ScaleSize {
  name: 'S' | 'M' | 'L';
  members: number;
  transactions: number;
  rewards: number;
  auditRows: number;
}

export const SIZES: Record<ScaleSize['name'], ScaleSize> = {
  S: { name: 'S', members: 10_000, transactions: 200_000, rewards: 1_000, auditRows: 10_000 },
  M: { name: 'M', members: 100_000, transactions: 2_000_000, rewards: 10_000, auditRows: 100_000 },
  L: { name: 'L', members: 1_000_000, transactions: 20_000_000, rewards: 100_000, auditRows: 1_000_000 },
};

/** Bumped whenever the generator changes: a database built by another version is rebuilt. */
export const DATASET_VERSION = 5;
export const HEAVY_TRANSACTIONS = 100_000;

export interface ReferenceIds {
  partners: { id: string; currencyCode: string; earnRate: string; burnRate: string; rateId: string; issuanceAccountId: string }[];
  redemptionAccountId: string;
}

async function reference(c: Client): Promise<ReferenceIds> {
  const { rows: partners } = await c.query(
    `SELECT p.id, p.currency_code AS "currencyCode", r.earn_rate::text AS "earnRate", r.burn_rate::text AS "burnRate", r.id AS "rateId",
            a.id AS "issuanceAccountId"
       FROM partner p JOIN exchange_rate r ON r.partner_id = p.id JOIN account a ON a.partner_id = p.id AND a.kind = 'PARTNER_ISSUANCE'
      WHERE NOT p.is_coalition ORDER BY p.seq`,
  );
  const { rows } = await c.query(`SELECT id FROM account WHERE kind = 'COALITION_REDEMPTION'`);
  return { partners, redemptionAccountId: rows[0].id };
}

/** A VALUES list of the three partners, indexed 0..2, for joining in the generator. */
function partnerValues(ref: ReferenceIds): string {
  return ref.partners
    .map(
      (p, ix) =>
        `(${ix}, '${p.id}'::uuid, '${p.currencyCode}', ${p.earnRate}::numeric, ${p.burnRate}::numeric, '${p.rateId}'::uuid, '${p.issuanceAccountId}'::uuid)`,
    )
    .join(', ');
}

export async function buildDataset(c: Client, size: ScaleSize, log: (line: string) => void): Promise<void> {
  const ref = await reference(c);
  if (ref.partners.length !== 3) throw new Error(`expected 3 partners, found ${ref.partners.length}`);
  const N = size.members;
  const T = size.transactions;
  const step = async (label: string, sql: string) => {
    const t = Date.now();
    await c.query(sql);
    log(`  ${label} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
  };
  // Rates (and the partners) reach back before the history, as if they had been set then.
  await c.query(`SET session_replication_role = replica`);
  await c.query(`UPDATE exchange_rate SET effective_from = now() - interval '16 months', created_at = now() - interval '16 months'
                  WHERE effective_from > now() - interval '16 months'`);
  await c.query(`SET work_mem = '256MB'`);
  await c.query(`SET maintenance_work_mem = '512MB'`);
  const P = partnerValues(ref);
  await step(
    'staging members',
    `CREATE UNLOGGED TABLE scale_member AS
       SELECT j, md5('member' || j)::uuid AS id, md5('account' || j)::uuid AS account_id, j % 3 AS partner_ix,
              CASE WHEN j % 50 = 0 THEN 40 WHEN j % 10 = 0 THEN 12 ELSE 1 END AS factor
         FROM generate_series(0, ${N - 1}) j;
     ALTER TABLE scale_member ADD PRIMARY KEY (j)`,
  );
  // Every transaction of the generator with what each table needs of it.
  await step(
    'staging transactions',
    `CREATE UNLOGGED TABLE scale_tx AS
       WITH base AS (
         SELECT i, i % ${N} AS j, i / ${N} AS k FROM generate_series(0::bigint, ${T - 1}::bigint) i),
       typed AS (
         SELECT i, j, k,
                CASE WHEN k < 8 THEN 'EARN' WHEN (k + j) % 20 = 7 THEN 'REDEEM' WHEN (k + j) % 20 = 13 THEN 'PAYMENT'
                     WHEN (k + j) % 20 = 17 AND j % 5 = 0 THEN 'REVERSAL' ELSE 'EARN' END AS type
           FROM base)
       SELECT t.i, t.j, t.k, t.type, md5('tx' || t.i)::uuid AS id, m.account_id, m.id AS member_id,
              now() - interval '15 months' + (interval '15 months' - interval '1 day') * (t.i::float8 / ${T}) AS created_at,
              CASE t.type WHEN 'EARN' THEN (10 + (t.i * 7919) % 51) * m.factor
                          WHEN 'REDEEM' THEN -50 WHEN 'PAYMENT' THEN -30
                          ELSE -((10 + ((t.i - ${N}) * 7919) % 51) * m.factor) END AS points,
              CASE t.type WHEN 'EARN' THEN (t.j + t.k) % 3 WHEN 'REVERSAL' THEN (t.j + t.k - 1) % 3 ELSE (t.j + t.k + 1) % 3 END AS partner_ix,
              CASE WHEN t.type = 'REVERSAL' THEN md5('tx' || (t.i - ${N}))::uuid END AS reverses_id
         FROM typed t JOIN scale_member m ON m.j = t.j`,
  );
  // The heavy member (j = 1): 100,000 earns over the last 300 days, after everyone else's rows.
  await step(
    'staging the heavy member',
    `INSERT INTO scale_tx (i, j, k, type, id, account_id, member_id, created_at, points, partner_ix, reverses_id)
     SELECT ${T} + h, 1, 1000000 + h, 'EARN', md5('tx' || (${T} + h))::uuid, m.account_id, m.id,
            now() - interval '300 days' + interval '299 days' * (h::float8 / ${HEAVY_TRANSACTIONS}), 10 + (h * 7919) % 51, h % 3, NULL
       FROM generate_series(0, ${HEAVY_TRANSACTIONS - 1}) h, scale_member m WHERE m.j = 1`,
  );
  await step(
    'balances after each transaction',
    `ALTER TABLE scale_tx ADD COLUMN balance_after bigint;
     CREATE UNLOGGED TABLE scale_tx2 AS SELECT t.*, sum(points) OVER (PARTITION BY j ORDER BY created_at, i) AS running FROM scale_tx t;
     DROP TABLE scale_tx; ALTER TABLE scale_tx2 RENAME TO scale_tx; UPDATE scale_tx SET balance_after = running;
     ALTER TABLE scale_tx DROP COLUMN running; CREATE INDEX ON scale_tx (i)`,
  );
  await step(
    'members, wallets, links',
    `INSERT INTO member (id, email, display_name, tier_id, enrolled_by_partner, enrolled_at)
     SELECT m.id, 'scale-' || m.j || '@example.com', 'Scale member ' || m.j, (SELECT id FROM tier WHERE rank = 0),
            p.id, now() - interval '16 months' FROM scale_member m JOIN (VALUES ${P}) AS p(ix, id, cur, er, br, rate, acct) ON p.ix = m.partner_ix;
     INSERT INTO member_partner_link (member_id, partner_id, via, linked_at)
     SELECT id, enrolled_by_partner, 'ENROLMENT', enrolled_at FROM member WHERE email LIKE 'scale-%';
     INSERT INTO account (id, kind, member_id, balance, lifetime_earned, pending, transaction_count)
     SELECT m.account_id, 'MEMBER', m.id, coalesce(s.balance, 0), coalesce(s.lifetime, 0), 0, coalesce(s.n, 0)
       FROM scale_member m LEFT JOIN (SELECT j, sum(points) AS balance, sum(points) FILTER (WHERE type IN ('EARN', 'REVERSAL')) AS lifetime, count(*) AS n
                                        FROM scale_tx GROUP BY j) s ON s.j = m.j`,
  );
  await step(
    'ledger transactions',
    `INSERT INTO ledger_transaction (id, type, member_id, partner_id, points, balance_after, purchase_amount, purchase_currency, channel,
                                     external_ref, exchange_rate_id, tier_multiplier, reverses_id, qualifying_points, created_at, breakdown)
     SELECT t.id, t.type, t.member_id, p.id, t.points, t.balance_after,
            CASE WHEN t.type = 'EARN' THEN round(t.points / p.er, 2) END, CASE WHEN t.type = 'EARN' THEN p.cur END,
            CASE WHEN t.type = 'EARN' THEN (CASE WHEN t.i % 3 = 0 THEN 'ONLINE' ELSE 'IN_STORE' END) END,
            CASE WHEN t.type = 'EARN' THEN 'scale-' || t.i END, p.rate, CASE WHEN t.type = 'EARN' THEN 1 END, t.reverses_id,
            CASE WHEN t.type IN ('EARN', 'REVERSAL') THEN t.points ELSE 0 END, t.created_at,
            CASE WHEN t.type = 'EARN' THEN jsonb_build_array(jsonb_build_object('funder', 'PARTNER', 'points', t.points, 'ruleId', NULL, 'source', 'BASE'))
                 ELSE '[]'::jsonb END
       FROM scale_tx t JOIN (VALUES ${P}) AS p(ix, id, cur, er, br, rate, acct) ON p.ix = t.partner_ix ORDER BY t.created_at, t.i`,
  );
  await step(
    'ledger entries',
    `INSERT INTO ledger_entry (transaction_id, account_id, amount, member_id)
     SELECT t.id, x.account_id, x.amount, t.member_id
       FROM scale_tx t JOIN (VALUES ${P}) AS p(ix, id, cur, er, br, rate, acct) ON p.ix = t.partner_ix,
            LATERAL (VALUES (t.account_id, t.points),
                            (CASE WHEN t.type IN ('EARN', 'REVERSAL') THEN p.acct ELSE '${ref.redemptionAccountId}'::uuid END, -t.points)) x(account_id, amount)
      ORDER BY t.i`,
  );
  // Lots: one per earn. The refunded earns' lots were taken whole by their refund (the refund
  // prefers the earn's own lot, still untouched then); every other debit takes oldest first, which
  // in cumulative terms is the overlap of its range of debited points with each lot's range.
  await step(
    'lots and lot consumption',
    `CREATE UNLOGGED TABLE scale_lot AS
       SELECT t.i, t.j, t.id AS tx_id, md5('lot' || t.i)::uuid AS lot_id, t.points, t.partner_ix, t.created_at,
              (r.i IS NOT NULL) AS refunded,
              sum(CASE WHEN r.i IS NULL THEN t.points ELSE 0 END) OVER (PARTITION BY t.j ORDER BY t.created_at, t.i) - CASE WHEN r.i IS NULL THEN t.points ELSE 0 END AS lo
         FROM scale_tx t LEFT JOIN scale_tx r ON r.reverses_id = t.id AND r.type = 'REVERSAL'
        WHERE t.type = 'EARN';
     CREATE UNLOGGED TABLE scale_debit AS
       SELECT i, j, id AS tx_id, -points AS points, sum(-points) OVER (PARTITION BY j ORDER BY created_at, i) + points AS lo
         FROM scale_tx WHERE type IN ('REDEEM', 'PAYMENT');
     CREATE INDEX ON scale_lot (j) WHERE NOT refunded; CREATE INDEX ON scale_debit (j);
     INSERT INTO points_lot (id, member_id, partner_id, earn_transaction_id, points, remaining, earned_at, expires_at)
     SELECT l.lot_id, m.id, p.id, l.tx_id, l.points,
            CASE WHEN l.refunded THEN 0 ELSE l.points - LEAST(l.points, GREATEST(0, coalesce(d.total, 0) - l.lo)) END, l.created_at, NULL
       FROM scale_lot l JOIN scale_member m ON m.j = l.j JOIN (VALUES ${P}) AS p(ix, id, cur, er, br, rate, acct) ON p.ix = l.partner_ix
       LEFT JOIN (SELECT j, sum(points) AS total FROM scale_debit GROUP BY j) d ON d.j = l.j
      ORDER BY l.i;
     INSERT INTO lot_consumption (transaction_id, lot_id, points, member_id)
     SELECT d.tx_id, l.lot_id, LEAST(l.lo + l.points, d.lo + d.points) - GREATEST(l.lo, d.lo), m.id
       FROM scale_member m JOIN scale_debit d ON d.j = m.j JOIN scale_lot l ON l.j = d.j AND NOT l.refunded AND l.lo < d.lo + d.points AND l.lo + l.points > d.lo
     UNION ALL
     SELECT r.id, l.lot_id, l.points, r.member_id FROM scale_tx r JOIN scale_lot l ON l.tx_id = r.reverses_id WHERE r.type = 'REVERSAL'`,
  );
  await step(
    'qualifying buckets, idempotency keys',
    `INSERT INTO qualifying_points_day (member_id, day, points)
     SELECT member_id, (created_at AT TIME ZONE 'UTC')::date, sum(points) FROM scale_tx WHERE type IN ('EARN', 'REVERSAL') GROUP BY 1, 2;
     INSERT INTO idempotency_key (caller, key, operation, request_hash, result_id, created_at)
     SELECT 'partner:' || p.id, 'scale-' || t.i,
            CASE t.type WHEN 'EARN' THEN 'earnPoints' WHEN 'REDEEM' THEN 'redeemReward' WHEN 'PAYMENT' THEN 'payWithPoints' ELSE 'reverseTransaction' END,
            md5('hash' || t.i), t.id, t.created_at
       FROM scale_tx t JOIN (VALUES ${P}) AS p(ix, id, cur, er, br, rate, acct) ON p.ix = t.partner_ix`,
  );
  const words = ['kopi', 'teh', 'nasi', 'batik', 'silk', 'lounge', 'upgrade', 'voucher', 'kettle', 'durian', 'orchid', 'sarong', 'satay', 'mango', 'spa'];
  await step(
    'rewards, redemptions, payments',
    `INSERT INTO reward (partner_id, name, description, category, points_cost, active, created_at, updated_at)
     SELECT p.id, initcap((ARRAY['${words.join("','")}'])[1 + r % ${words.length}]) || ' reward ' || r,
            'A reward of the scale dataset, number ' || r, (ARRAY['FOOD','TRAVEL','FASHION','LIFESTYLE','VOUCHER'])[1 + (r / 7) % 5],
            50 + (r * 7919) % 20000, r % 20 <> 0, now() - interval '16 months', now() - interval '16 months'
       FROM generate_series(0, ${size.rewards - 1}) r JOIN (VALUES ${P}) AS p(ix, id, cur, er, br, rate, acct) ON p.ix = r % 3;
     CREATE UNLOGGED TABLE scale_reward AS SELECT id, partner_id, row_number() OVER (PARTITION BY partner_id ORDER BY seq) - 1 AS n,
                                                  count(*) OVER (PARTITION BY partner_id) AS per_partner FROM reward WHERE active;
     INSERT INTO redemption (member_id, reward_id, partner_id, quantity, points_spent, code, transaction_id, status, created_at)
     SELECT t.member_id, r.id, p.id, 1, 50, upper(substr(md5('code' || t.i), 1, 4) || '-' || substr(md5('code' || t.i), 5, 4) || '-' || substr(md5('code' || t.i), 9, 4)),
            t.id, 'ACTIVE', t.created_at
       FROM scale_tx t JOIN (VALUES ${P}) AS p(ix, id, cur, er, br, rate, acct) ON p.ix = t.partner_ix
       JOIN scale_reward r ON r.partner_id = p.id AND r.n = t.i % r.per_partner
      WHERE t.type = 'REDEEM' ORDER BY t.i;
     INSERT INTO points_payment (member_id, partner_id, points, discount, bill_amount, currency_code, external_ref, transaction_id, created_at)
     SELECT t.member_id, p.id, 30, 30 * p.br, 30 * p.br * 4, p.cur, 'scale-bill-' || t.i, t.id, t.created_at
       FROM scale_tx t JOIN (VALUES ${P}) AS p(ix, id, cur, er, br, rate, acct) ON p.ix = t.partner_ix
      WHERE t.type = 'PAYMENT' ORDER BY t.i`,
  );
  await step(
    'audit entries',
    `INSERT INTO security_audit (at, actor_kind, actor_partner_id, actor_key_prefix, action, target_type, target_id, partner_id, new_value)
     SELECT now() - interval '15 months' + interval '15 months' * (a::float8 / ${size.auditRows}), 'PARTNER', p.id, 'lgk_scale',
            (ARRAY['REWARD_CHANGED','CONSENT_GRANTED','MEMBER_UPDATED','REWARD_CREATED'])[1 + a % 4],
            CASE WHEN a % 4 IN (0, 3) THEN 'REWARD' ELSE 'MEMBER' END, md5('audit' || a)::uuid::text, p.id, jsonb_build_object('n', a)
       FROM generate_series(0, ${size.auditRows - 1}) a JOIN (VALUES ${P}) AS p(ix, id, cur, er, br, rate, acct) ON p.ix = a % 3`,
  );
  // Tiers as an earn would have left them: the highest tier the last 12 months qualify for.
  await step(
    'tiers from qualifying points',
    `UPDATE member mb SET tier_id = (SELECT t.id FROM tier t WHERE t.qualifying_points <= q.points ORDER BY t.rank DESC LIMIT 1),
                          tier_review_at = (now() AT TIME ZONE 'UTC')::date
       FROM (SELECT member_id, sum(points) AS points FROM qualifying_points_day
              WHERE day >= ((now() AT TIME ZONE 'UTC') - interval '12 months')::date GROUP BY member_id) q
      WHERE mb.id = q.member_id AND q.points >= (SELECT min(qualifying_points) FROM tier WHERE rank > 0)`,
  );
  await c.query(`DROP TABLE scale_tx, scale_lot, scale_debit, scale_member, scale_reward`);
  await c.query(`SET session_replication_role = origin`);
  await step('vacuum analyze', `VACUUM ANALYZE`);
}

export interface InvariantReport {
  [check: string]: number;
}

/** The ledger's invariants over the whole dataset; every figure must be 0. */
export async function checkInvariants(c: Client): Promise<InvariantReport> {
  const one = async (sql: string) => Number((await c.query(sql)).rows[0].n);
  return {
    'transactions whose entries do not sum to zero': await one(
      `SELECT count(*) AS n FROM (SELECT transaction_id FROM ledger_entry GROUP BY transaction_id HAVING sum(amount) <> 0) x`,
    ),
    'transactions without entries': await one(
      `SELECT count(*) AS n FROM ledger_transaction t WHERE NOT EXISTS (SELECT 1 FROM ledger_entry e WHERE e.transaction_id = t.id)`,
    ),
    'wallets whose balance + pending differ from their entries': await one(
      `SELECT count(*) AS n FROM account a LEFT JOIN (SELECT account_id, sum(amount) AS s FROM ledger_entry GROUP BY account_id) e ON e.account_id = a.id
        WHERE a.kind = 'MEMBER' AND a.balance + a.pending <> coalesce(e.s, 0)`,
    ),
    'wallets whose lots do not hold their balance': await one(
      `SELECT count(*) AS n FROM account a LEFT JOIN (SELECT member_id, sum(remaining) AS r, sum(pending) AS p FROM points_lot GROUP BY member_id) l ON l.member_id = a.member_id
        WHERE a.kind = 'MEMBER' AND (coalesce(l.r, 0) <> GREATEST(a.balance, 0) OR coalesce(l.p, 0) <> a.pending)`,
    ),
    'lots whose consumption does not match what they lost': await one(
      `SELECT count(*) AS n FROM points_lot l LEFT JOIN (SELECT lot_id, sum(points) AS s FROM lot_consumption GROUP BY lot_id) c ON c.lot_id = l.id
        WHERE l.moved_from_lot IS NULL AND l.points - l.remaining - l.pending <> coalesce(c.s, 0)`,
    ),
    'debits whose lot consumption differs from their points': await one(
      `SELECT count(*) AS n FROM ledger_transaction t LEFT JOIN (SELECT transaction_id, sum(points) AS s FROM lot_consumption GROUP BY transaction_id) c ON c.transaction_id = t.id
        WHERE t.type IN ('REDEEM', 'PAYMENT') AND coalesce(c.s, 0) <> -t.points`,
    ),
    'members whose last balanceAfter is not their balance': await one(
      `SELECT count(*) AS n FROM account a JOIN LATERAL (SELECT balance_after FROM ledger_transaction t WHERE t.member_id = a.member_id ORDER BY seq DESC LIMIT 1) t ON true
        WHERE a.kind = 'MEMBER' AND t.balance_after <> a.balance`,
    ),
    'qualifying buckets differing from transactions': await one(
      `SELECT count(*) AS n FROM (SELECT member_id, (created_at AT TIME ZONE 'UTC')::date AS day, sum(qualifying_points) AS s FROM ledger_transaction
                                   WHERE qualifying_points <> 0 GROUP BY 1, 2) t FULL JOIN qualifying_points_day q USING (member_id, day)
        WHERE coalesce(t.s, 0) <> coalesce(q.points, 0)`,
    ),
  };
}
