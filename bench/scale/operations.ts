// The operations of the scale table (issue "Operations and scale"), each through the running
// gateway: over HTTP with the caller a real client would be, or — for the scheduled jobs — the
// job's own function on the gateway's pool, as the gateway's scheduler runs it. `prepare` sets up
// what one run consumes (a fresh earn to refund, members due, a member holding 5,000 lots) with
// plain SQL outside the measurement, so every run, and every bench run on a kept dataset, does
// the same work.
import { randomUUID } from 'node:crypto';
import type { Client } from 'pg';
import type { Services } from '../../src/app/services';
import { evaluateTiers } from '../../src/modules/tier/tier-evaluation';
import { runLifecycleJobs } from '../../src/modules/lifecycle/jobs';
import { gql } from '../perf/http';
import { DASHBOARD, EARN } from '../perf/operations';

export interface ScalePartner {
  id: string;
  apiKey: string;
  currencyCode: string;
  amount: string;
}

export interface ScaleContext {
  url: string;
  adminToken: string;
  partners: ScalePartner[];
  members: number;
  sql: Client;
  services: Services;
  /** A month of the history, [from, to). */
  month: { from: string; to: string };
  token(memberId: string, partner: ScalePartner): Promise<string>;
}

export interface ScaleOperation {
  label: string;
  /** Returns the measured work of one run. */
  prepare(ctx: ScaleContext, run: number): Promise<() => Promise<unknown>>;
}

const memberId = async (ctx: ScaleContext, j: number) =>
  (await ctx.sql.query(`SELECT id FROM member WHERE email = $1`, [`scale-${j}@example.com`])).rows[0].id as string;

/** A normal member for run `run` (never the heavy one, never a fixture member of another op). */
const normalJ = (ctx: ScaleContext, salt: number, run: number) => 1000 + ((salt * 7919 + run * 104_729) % (ctx.members - 2000));

const SETTLEMENT = `query($from: DateTime!, $to: DateTime!) { settlement(from: $from, to: $to) {
  partner { id } pointsIssued pointsRedeemed owedByPartner { amount } owedToPartner { amount } net { amount } } }`;
const MATRIX = `query($from: DateTime!, $to: DateTime!) { settlementMatrix(from: $from, to: $to) { issuer { id } redeemer { id } points value { amount } } }`;
const REVERSE = `mutation($input: ReverseTransactionInput!) { reverseTransaction(input: $input) { id points } }`;
const CATALOG = `query($filter: CatalogFilter, $first: Int) { catalog(filter: $filter, first: $first) {
  pageInfo { hasNextPage endCursor } edges { node { id name pointsCost partner { id } } } } }`;
const AUDIT = `query($filter: AuditFilter) { auditLog(first: 20, filter: $filter) { pageInfo { hasNextPage endCursor } edges { node { id action at } } } }`;
const REDEEM = `mutation($input: RedeemRewardInput!) { redeemReward(input: $input) { id pointsSpent } }`;
const PAY = `mutation($input: PayWithPointsInput!) { payWithPoints(input: $input) { id } }`;
const EXPIRING = `query($id: ID!) { member(id: $id) { expiringPoints(withinDays: 365) { points } } }`;

function earnOf(ctx: ScaleContext, partner: ScalePartner, member: string) {
  const ref = `bench-${randomUUID()}`;
  return () =>
    gql(
      ctx.url,
      EARN,
      { input: { memberId: member, amount: partner.amount, currencyCode: partner.currencyCode, externalRef: ref, idempotencyKey: ref } },
      partner.apiKey,
    );
}

/** A reward of partner 0 costing `cost`, unlimited, created once per dataset. */
async function benchReward(ctx: ScaleContext, cost: number): Promise<string> {
  const name = `Bench reward ${cost}`;
  const found = await ctx.sql.query(`SELECT id FROM reward WHERE name = $1`, [name]);
  if (found.rows[0]) return found.rows[0].id;
  const { upsertReward } = await gql(
    ctx.url,
    `mutation($input: RewardInput!) { upsertReward(input: $input) { id } }`,
    { input: { name, pointsCost: cost, category: 'BENCH' } },
    ctx.partners[0]!.apiKey,
  );
  return upsertReward.id;
}

/** A fresh member holding `lots` lots of one point each, all from partner 0. */
async function memberWithLots(ctx: ScaleContext, lots: number): Promise<string> {
  const p = ctx.partners[0]!;
  const { enrollMember } = await gql(
    ctx.url,
    `mutation($input: EnrollMemberInput!) { enrollMember(input: $input) { id } }`,
    { input: { email: `lots-${randomUUID()}@example.com`, displayName: 'Bench lots member' } },
    p.apiKey,
  );
  const id = enrollMember.id as string;
  await ctx.sql.query(
    `WITH w AS (SELECT a.id AS account_id FROM account a WHERE a.member_id = $1),
          i AS (SELECT a.id AS account_id FROM account a WHERE a.kind = 'PARTNER_ISSUANCE' AND a.partner_id = $2),
          r AS (SELECT id FROM exchange_rate WHERE partner_id = $2 ORDER BY version DESC LIMIT 1),
          g AS (SELECT n, gen_random_uuid() AS tx FROM generate_series(1, $3::int) n),
          tx AS (INSERT INTO ledger_transaction (id, type, member_id, partner_id, points, balance_after, purchase_amount, purchase_currency, channel,
                                                 external_ref, exchange_rate_id, tier_multiplier, qualifying_points, created_at, breakdown)
                 SELECT g.tx, 'EARN', $1, $2, 1, g.n, 1, $4, 'IN_STORE', 'lots-' || g.tx, (SELECT id FROM r), 1, 1, now() - interval '1 day' * ($3 - g.n) / $3,
                        '[{"funder": "PARTNER", "points": 1, "ruleId": null, "source": "BASE"}]' FROM g RETURNING id, created_at),
          e AS (INSERT INTO ledger_entry (transaction_id, account_id, amount, member_id)
                SELECT g.tx, x.account_id, x.amount, $1 FROM g, LATERAL (VALUES ((SELECT account_id FROM w), 1), ((SELECT account_id FROM i), -1)) x(account_id, amount)),
          l AS (INSERT INTO points_lot (member_id, partner_id, earn_transaction_id, points, remaining, earned_at)
                SELECT $1, $2, g.tx, 1, 1, now() - interval '1 day' * ($3 - g.n) / $3 FROM g),
          q AS (INSERT INTO qualifying_points_day (member_id, day, points)
                SELECT $1, (created_at AT TIME ZONE 'UTC')::date, count(*) FROM tx GROUP BY 2
                ON CONFLICT (member_id, day) DO UPDATE SET points = qualifying_points_day.points + EXCLUDED.points)
     UPDATE account SET balance = $3, lifetime_earned = $3, transaction_count = $3 WHERE member_id = $1`,
    [id, p.id, lots, p.currencyCode],
  );
  return id;
}

/** `n` Bronze members of a range no other fixture uses, distinct per run. */
async function fixtureMembers(ctx: ScaleContext, salt: number, run: number, n: number): Promise<string[]> {
  const { rows } = await ctx.sql.query(
    `SELECT m.id FROM member m JOIN tier t ON t.id = m.tier_id
      WHERE m.email LIKE 'scale-%' AND t.rank = 0 AND m.birth_date IS NULL AND NOT EXISTS (SELECT 1 FROM bench_scale_used u WHERE u.member_id = m.id)
      ORDER BY md5(m.id::text || $1) LIMIT $2`,
    [`${salt}-${run}-${Date.now()}`, n],
  );
  await ctx.sql.query(`INSERT INTO bench_scale_used (member_id) SELECT unnest($1::uuid[])`, [rows.map((r) => r.id)]);
  return rows.map((r) => r.id);
}

export const OPERATIONS: ScaleOperation[] = [
  {
    label: 'settlement, admin, one month',
    prepare: async (ctx) => () => gql(ctx.url, SETTLEMENT, ctx.month, ctx.adminToken),
  },
  {
    label: 'settlement, one partner',
    prepare: async (ctx) => () => gql(ctx.url, SETTLEMENT, ctx.month, ctx.partners[1]!.apiKey),
  },
  {
    label: 'settlementMatrix, admin, one month',
    prepare: async (ctx) => () => gql(ctx.url, MATRIX, ctx.month, ctx.adminToken),
  },
  {
    label: 'reverseTransaction of a normal earn',
    prepare: async (ctx, run) => {
      const member = await memberId(ctx, normalJ(ctx, 1, run));
      const { rows } = await ctx.sql.query(
        `SELECT t.id, t.partner_id FROM ledger_transaction t WHERE t.member_id = $1 AND t.type = 'EARN'
            AND NOT EXISTS (SELECT 1 FROM ledger_transaction r WHERE r.reverses_id = t.id) ORDER BY t.seq DESC LIMIT 1`,
        [member],
      );
      const partner = ctx.partners.find((p) => p.id === rows[0].partner_id)!;
      const key = `bench-${randomUUID()}`;
      return () => gql(ctx.url, REVERSE, { input: { transactionId: rows[0].id, idempotencyKey: key } }, partner.apiKey);
    },
  },
  {
    label: 'catalog search',
    prepare: async (ctx) => () => gql(ctx.url, CATALOG, { filter: { search: 'kettle reward 4' }, first: 20 }, ctx.adminToken),
  },
  {
    label: 'catalog, all (first 20)',
    prepare: async (ctx) => () => gql(ctx.url, CATALOG, { first: 20 }, ctx.adminToken),
  },
  {
    label: 'catalog, affordableFor',
    prepare: async (ctx, run) => {
      const member = await memberId(ctx, normalJ(ctx, 2, run));
      return () => gql(ctx.url, CATALOG, { filter: { affordableFor: member }, first: 20 }, ctx.adminToken);
    },
  },
  {
    label: 'catalog by partner and category',
    prepare: async (ctx) => () => gql(ctx.url, CATALOG, { filter: { partnerId: ctx.partners[2]!.id, category: 'TRAVEL' }, first: 20 }, ctx.adminToken),
  },
  {
    label: 'auditLog(first: 20)',
    prepare: async (ctx) => () => gql(ctx.url, AUDIT, {}, ctx.adminToken),
  },
  {
    label: 'auditLog by action',
    prepare: async (ctx) => () => gql(ctx.url, AUDIT, { filter: { action: 'CONSENT_GRANTED' } }, ctx.adminToken),
  },
  {
    label: 'tier evaluation, nothing due',
    prepare: async (ctx, run) => {
      // Whatever the calendar made due since the dataset was built is evaluated before the first run.
      if (run === 0) await evaluateTiers(ctx.services.db, ctx.services.tiers);
      return () => evaluateTiers(ctx.services.db, ctx.services.tiers);
    },
  },
  {
    label: 'tier evaluation, 500 downgrades due',
    prepare: async (ctx, run) => {
      const ids = await fixtureMembers(ctx, 3, run, 500);
      // As an upgrade through the API leaves them: top tier, and (where the schema has it) due for review.
      const review = (await ctx.sql.query(`SELECT 1 FROM information_schema.columns WHERE table_name = 'member' AND column_name = 'tier_review_at'`)).rowCount
        ? `, tier_review_at = (now() AT TIME ZONE 'UTC')::date`
        : '';
      await ctx.sql.query(`UPDATE member SET tier_id = (SELECT id FROM tier ORDER BY rank DESC LIMIT 1)${review} WHERE id = ANY($1::uuid[])`, [ids]);
      return async () => {
        const r = await evaluateTiers(ctx.services.db, ctx.services.tiers);
        if (r.downgraded < 500) throw new Error(`expected 500 downgrades, got ${r.downgraded}`);
      };
    },
  },
  {
    label: 'lifecycle jobs, 500 members due',
    prepare: async (ctx, run) => {
      const ids = await fixtureMembers(ctx, 4, run, 500);
      const p = ctx.partners[0]!;
      // Each: 20 pending points due for release, one spendable lot expired yesterday, a birthday today.
      await ctx.sql.query(`UPDATE program_settings SET birthday_bonus_points = 100`);
      await ctx.sql.query(
        `WITH m AS (SELECT a.member_id, a.id AS account_id, a.balance, gen_random_uuid() AS tx FROM account a WHERE a.member_id = ANY($1::uuid[])),
              tx AS (INSERT INTO ledger_transaction (id, type, member_id, partner_id, points, balance_after, purchase_amount, purchase_currency, channel,
                                                     external_ref, exchange_rate_id, tier_multiplier, qualifying_points, breakdown)
                     SELECT m.tx, 'EARN', m.member_id, $2, 20, m.balance, 20, $3, 'IN_STORE', 'pending-' || m.tx,
                            (SELECT id FROM exchange_rate WHERE partner_id = $2 ORDER BY version DESC LIMIT 1), 1, 0,
                            '[{"funder": "PARTNER", "points": 20, "ruleId": null, "source": "BASE"}]' FROM m),
              e AS (INSERT INTO ledger_entry (transaction_id, account_id, amount, member_id)
                    SELECT m.tx, x.account_id, x.amount, m.member_id FROM m,
                           LATERAL (VALUES (m.account_id, 20), ((SELECT id FROM account WHERE kind = 'PARTNER_ISSUANCE' AND partner_id = $2), -20)) x(account_id, amount)),
              l AS (INSERT INTO points_lot (member_id, partner_id, earn_transaction_id, points, remaining, pending, pending_until)
                    SELECT m.member_id, $2, m.tx, 20, 0, 20, now() - interval '1 hour' FROM m)
         UPDATE account a SET pending = a.pending + 20, transaction_count = a.transaction_count + 1 FROM m WHERE a.id = m.account_id`,
        [ids, p.id, p.currencyCode],
      );
      await ctx.sql.query(
        `UPDATE points_lot l SET expires_at = now() - interval '1 day'
          WHERE l.id IN (SELECT DISTINCT ON (member_id) id FROM points_lot WHERE member_id = ANY($1::uuid[]) AND remaining > 0 ORDER BY member_id, earned_at)`,
        [ids],
      );
      await ctx.sql.query(
        `UPDATE member SET birth_date = make_date(1990, extract(month FROM now())::int, extract(day FROM now())::int) WHERE id = ANY($1::uuid[])`,
        [ids],
      );
      return async () => {
        const r = await runLifecycleJobs(ctx.services.db, ctx.services.coalition);
        const json = JSON.stringify(r);
        if (!json.includes('500')) throw new Error(`expected 500 members of each job, got ${json}`);
      };
    },
  },
  {
    label: 'redeem consuming 5,000 small lots',
    prepare: async (ctx) => {
      const reward = await benchReward(ctx, 4900);
      const member = await memberWithLots(ctx, 5000);
      const key = `bench-${randomUUID()}`;
      return () => gql(ctx.url, REDEEM, { input: { memberId: member, rewardId: reward, idempotencyKey: key } }, ctx.partners[0]!.apiKey);
    },
  },
  {
    label: 'earn, heavy member (100k this year)',
    prepare: async (ctx) => earnOf(ctx, ctx.partners[1]!, await memberId(ctx, 1)),
  },
  {
    label: 'dashboard, heavy member',
    prepare: async (ctx) => {
      const id = await memberId(ctx, 1);
      const token = await ctx.token(id, ctx.partners[1]!);
      return () => gql(ctx.url, DASHBOARD, { id }, token);
    },
  },
  {
    label: 'earn, normal member',
    prepare: async (ctx, run) => {
      const j = normalJ(ctx, 5, run);
      return earnOf(ctx, ctx.partners[j % 3]!, await memberId(ctx, j));
    },
  },
  {
    label: 'dashboard, normal member',
    prepare: async (ctx, run) => {
      const j = normalJ(ctx, 6, run);
      const id = await memberId(ctx, j);
      const token = await ctx.token(id, ctx.partners[j % 3]!);
      return () => gql(ctx.url, DASHBOARD, { id }, token);
    },
  },
  {
    label: 'redeem, normal member',
    prepare: async (ctx, run) => {
      const reward = await benchReward(ctx, 20);
      // A member enrolled at partner 0 (j ≡ 0 mod 3), whose rewards and till these are.
      const member = await memberId(ctx, normalJ(ctx, 7, run) - (normalJ(ctx, 7, run) % 3));
      const key = `bench-${randomUUID()}`;
      return () => gql(ctx.url, REDEEM, { input: { memberId: member, rewardId: reward, idempotencyKey: key } }, ctx.partners[0]!.apiKey);
    },
  },
  {
    label: 'payWithPoints, normal member',
    prepare: async (ctx, run) => {
      const p = ctx.partners[0]!;
      const member = await memberId(ctx, normalJ(ctx, 8, run) - (normalJ(ctx, 8, run) % 3));
      const key = `bench-${randomUUID()}`;
      return () =>
        gql(
          ctx.url,
          PAY,
          { input: { memberId: member, points: 20, billAmount: '50.00', currencyCode: p.currencyCode, externalRef: key, idempotencyKey: key } },
          p.apiKey,
        );
    },
  },
  {
    label: 'expiringPoints, normal member',
    prepare: async (ctx, run) => {
      const j = normalJ(ctx, 9, run);
      const id = await memberId(ctx, j);
      const token = await ctx.token(id, ctx.partners[j % 3]!);
      return () => gql(ctx.url, EXPIRING, { id }, token);
    },
  },
];
