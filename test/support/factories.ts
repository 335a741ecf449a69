import { withTransaction } from '../../src/db/transaction';
// Small factories: each test builds exactly the coalition it needs through the real API.
import { randomBytes } from 'node:crypto';
import {
  CreatePartnerApiKeyDocument,
  CreatePartnerDocument,
  CreatePartnerLinkCodeDocument,
  CreateStaffUserDocument,
  EarnPointsDocument,
  EnrollMemberDocument,
  IssueMemberTokenDocument,
  LinkMemberDocument,
  SetExchangeRateDocument,
  StaffLoginDocument,
} from '../generated/graphql';
import type { StaffRole } from '../generated/graphql';
import type { TestGateway } from './gateway';

export const uniq = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

export interface TestPartner {
  id: string;
  slug: string;
  currencyCode: string;
  apiKey: string;
}

export async function newPartner(
  gw: TestGateway,
  overrides: { currencyCode?: string; earnRate?: string | null; burnRate?: string } = {},
): Promise<TestPartner> {
  const slug = uniq('partner');
  const currencyCode = overrides.currencyCode ?? 'MYR';
  const { createPartner } = await gw.ok(CreatePartnerDocument, { input: { slug, name: `Partner ${slug}`, currencyCode } }, gw.adminToken);
  if (overrides.earnRate !== null) {
    await gw.ok(
      SetExchangeRateDocument,
      { input: { partnerId: createPartner.id, earnRate: overrides.earnRate ?? '1', burnRate: overrides.burnRate ?? '0.01' } },
      gw.adminToken,
    );
  }
  const { createPartnerApiKey } = await gw.ok(CreatePartnerApiKeyDocument, { partnerId: createPartner.id }, gw.adminToken);
  return { id: createPartner.id, slug, currencyCode, apiKey: createPartnerApiKey };
}

export interface TestMember {
  id: string;
  email: string;
  token: string;
}

export async function newMember(gw: TestGateway, by: TestPartner): Promise<TestMember> {
  const email = `${uniq('member')}@example.com`;
  const { enrollMember } = await gw.ok(EnrollMemberDocument, { input: { email, displayName: 'Test Member' } }, by.apiKey);
  const { issueMemberToken } = await gw.ok(IssueMemberTokenDocument, { memberId: enrollMember.id }, by.apiKey);
  return { id: enrollMember.id, email, token: issueMemberToken };
}

/**
 * The member links another partner the way a real one would: with its own token it asks for a
 * code, and the partner redeems it. Afterwards the partner may issue it tokens and redeem for it.
 */
export async function linkPartner(gw: TestGateway, member: TestMember, partner: TestPartner): Promise<void> {
  const { createPartnerLinkCode } = await gw.ok(CreatePartnerLinkCodeDocument, { memberId: member.id }, member.token);
  await gw.ok(LinkMemberDocument, { code: createPartnerLinkCode.code }, partner.apiKey);
}

export function earnInput(member: TestMember, amount: string, extra: Record<string, unknown> = {}) {
  return {
    memberId: member.id,
    amount,
    currencyCode: 'MYR',
    externalRef: uniq('receipt'),
    idempotencyKey: uniq('key'),
    ...extra,
  };
}

export async function earn(gw: TestGateway, partner: TestPartner, member: TestMember, amount: string) {
  return (await gw.ok(EarnPointsDocument, { input: earnInput(member, amount, { currencyCode: partner.currencyCode }) }, partner.apiKey)).earnPoints;
}

/**
 * The books: every transaction's entries sum to zero, and its stored breakdown (where it has
 * one) adds up to its points; a wallet's entries equal its balance plus its pending points; its
 * spendable lots hold max(0, balance) and its pending lots its pending.
 */
export async function ledgerViolations(gw: TestGateway): Promise<string[]> {
  const unbalanced = await gw.sql<{ id: string }>(`SELECT transaction_id AS id FROM ledger_entry GROUP BY transaction_id HAVING sum(amount) <> 0`);
  const misexplained = await gw.sql<{ id: string }>(
    `SELECT t.id FROM ledger_transaction t
      WHERE t.breakdown <> '[]'::jsonb
        AND (jsonb_typeof(t.breakdown) <> 'array'
             OR t.points <> (SELECT coalesce(sum((c->>'points')::bigint), 0) FROM jsonb_array_elements(t.breakdown) c))`,
  );
  const drift = await gw.sql<{ id: string }>(
    `SELECT a.id FROM account a
      WHERE a.kind = 'MEMBER' AND (
        a.balance + a.pending <> coalesce((SELECT sum(amount) FROM ledger_entry e WHERE e.account_id = a.id), 0)
        OR greatest(a.balance, 0) <> coalesce((SELECT sum(remaining) FROM points_lot l WHERE l.member_id = a.member_id), 0)
        OR a.pending <> coalesce((SELECT sum(pending) FROM points_lot l WHERE l.member_id = a.member_id), 0))`,
  );
  // The qualifying-points buckets the journal keeps equal the transactions' qualifying points, day by day.
  const buckets = await gw.sql<{ memberId: string }>(
    `SELECT coalesce(t.member_id, q.member_id) AS "memberId"
       FROM (SELECT member_id, (created_at AT TIME ZONE 'UTC')::date AS day, sum(qualifying_points) AS points
               FROM ledger_transaction WHERE qualifying_points <> 0 GROUP BY 1, 2) t
       FULL JOIN qualifying_points_day q ON q.member_id = t.member_id AND q.day = t.day
      WHERE coalesce(t.points, 0) <> coalesce(q.points, 0)`,
  );
  return [
    ...unbalanced.map((r) => `transaction ${r.id} does not sum to zero`),
    ...misexplained.map((r) => `transaction ${r.id}: breakdown does not add up to its points`),
    ...drift.map((r) => `account ${r.id} drifted`),
    ...buckets.map((r) => `member ${r.memberId}: qualifying buckets differ from its transactions`),
  ];
}

/**
 * Tests only: rewrite ledger rows (say, move an earn back in time) past the append-only
 * triggers, which session_replication_role = replica skips for this one transaction. The
 * qualifying-points buckets are rebuilt from the rewritten history, as if it had happened so.
 */
export async function rewriteLedgerHistory(gw: TestGateway, text: string, params: unknown[] = []): Promise<void> {
  await withTransaction(gw.db, async ({ client }) => {
    await client.query(`SET LOCAL session_replication_role = replica`);
    await client.query(text, params);
    await client.query(`DELETE FROM qualifying_points_day`);
    await client.query(
      `INSERT INTO qualifying_points_day (member_id, day, points)
       SELECT member_id, (created_at AT TIME ZONE 'UTC')::date, sum(qualifying_points) FROM ledger_transaction
        WHERE qualifying_points <> 0 GROUP BY 1, 2`,
    );
    // History moved under the members' feet: every member above the lowest tier is due for review.
    await client.query(`UPDATE member m SET tier_review_at = (now() AT TIME ZONE 'UTC')::date FROM tier t WHERE t.id = m.tier_id AND t.qualifying_points > 0`);
  });
}

/**
 * A reward straight into the catalog table (the catalog API has its own tests); `stock` null is
 * unlimited.
 */
export async function newReward(
  gw: TestGateway,
  partner: TestPartner,
  opts: { pointsCost: number; stock?: number | null; minTier?: string; name?: string },
): Promise<{ id: string }> {
  const [row] = await gw.sql<{ id: string }>(
    `INSERT INTO reward (partner_id, name, points_cost, stock, min_tier_id)
     VALUES ($1, $2, $3, $4, (SELECT id FROM tier WHERE name = $5)) RETURNING id`,
    [partner.id, opts.name ?? uniq('reward'), opts.pointsCost, opts.stock ?? null, opts.minTier ?? null],
  );
  return row!;
}

export async function balanceOf(gw: TestGateway, memberId: string): Promise<number> {
  const [row] = await gw.sql<{ balance: number }>(`SELECT balance FROM account WHERE member_id = $1`, [memberId]);
  return row!.balance;
}

export async function lotsOf(gw: TestGateway, memberId: string) {
  return gw.sql<{ partnerId: string; points: number; remaining: number; expiresAt: Date | null }>(
    `SELECT partner_id AS "partnerId", points, remaining, expires_at AS "expiresAt" FROM points_lot
      WHERE member_id = $1 ORDER BY earned_at, id`,
    [memberId],
  );
}

export interface TestStaff {
  id: string;
  email: string;
  password: string;
  token: string;
}

/** A staff user with these roles (created with the admin token), signed in. */
export async function newStaff(gw: TestGateway, roles: string[]): Promise<TestStaff> {
  const email = `${uniq('staff')}@operator.example`;
  const password = `pw-${uniq('secret')}-long`;
  const { createStaffUser } = await gw.ok(
    CreateStaffUserDocument,
    { input: { email, displayName: `Staff ${roles.join('+')}`, roles: roles as StaffRole[], password } },
    gw.adminToken,
  );
  const { staffLogin } = await gw.ok(StaffLoginDocument, { email, password }, null);
  return { id: createStaffUser.id, email, password, token: staffLogin };
}
