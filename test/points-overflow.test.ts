// Points and GraphQL Int (README: Limits). One transaction moves at most MAX_POINTS_PER_TRANSACTION
// (10,000,000) points: an earn, preview, reversal, reward price, redemption or rule over it is
// refused with BAD_USER_INPUT naming the field, nothing written. Totals still outgrow Int in time
// (lifetimeEarned, a busy partner's settlement): each has a Points64 twin that holds it, and the Int
// field answers INT_OVERFLOW naming that twin, never INTERNAL_SERVER_ERROR, over HTTP and over the
// balanceChanged replay.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BalanceLifetimeEarnedDocument,
  BalanceTotalsDocument,
  CreateEarnRuleDocument,
  EarnPointsAtTillDocument,
  EarnPointsDocument,
  MemberLifetimeEarnedDocument,
  MemberTotalsDocument,
  PreviewEarnDocument,
  RedeemRewardDocument,
  ReverseTransactionDocument,
  SetPartnerSettingsDocument,
  SettlementIssuedDocument,
  SettlementTotalsDocument,
  UpsertRewardDocument,
} from './generated/graphql';
import { GqlResult, startTestGateway, TestGateway } from './support/gateway';
import { earnInput, ledgerViolations, newMember, newPartner, TestMember, TestPartner, uniq } from './support/factories';
import { liveClient, subscribe } from './support/live-client';

const MAX = 10_000_000;
const INT_MAX = 2_147_483_647;

let gw: TestGateway;
let cafe: TestPartner;

beforeAll(async () => {
  gw = await startTestGateway();
  cafe = await newPartner(gw); // earnRate 1: 1 MYR earns 1 point at Bronze
});
afterAll(() => gw?.stop());

async function counts() {
  const [row] = await gw.sql(`
    SELECT (SELECT count(*) FROM ledger_transaction)::int AS transactions,
           (SELECT count(*) FROM idempotency_key)::int AS keys,
           (SELECT count(*) FROM outbox_event)::int AS events,
           (SELECT coalesce(sum(balance), 0)::text FROM account WHERE kind = 'MEMBER') AS balances`);
  return row;
}

function expectBadInput<T>(r: GqlResult<T>, field: string) {
  expect(r.errors, JSON.stringify(r.errors)).toHaveLength(1);
  expect(r.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
  return r.errors![0]!;
}

describe(`one transaction moves at most ${MAX} points`, () => {
  it('an earn of exactly 10,000,000 points is recorded; 10,000,001 is refused on input.amount, nothing written, the key still free', async () => {
    const member = await newMember(gw, cafe);
    const ok = await gw.ok(EarnPointsDocument, { input: earnInput(member, '10000000.00') }, cafe.apiKey);
    expect(ok.earnPoints.points).toBe(MAX);

    const other = await newMember(gw, cafe);
    const input = earnInput(other, '10000001.00');
    const before = await counts();
    const err = expectBadInput(await gw.gql(EarnPointsDocument, { input }, cafe.apiKey), 'input.amount');
    expect(err.message).toMatch(/10,000,000/);
    expect(err.extensions).toMatchObject({ points: MAX + 1, maxPoints: MAX });
    expect(await counts()).toEqual(before);
    // The refused request claimed nothing: the same key and receipt work for a purchase within the limit.
    expect((await gw.ok(EarnPointsDocument, { input: { ...input, amount: '10000000.00' } }, cafe.apiKey)).earnPoints.points).toBe(MAX);
  });

  it('the two earns of 2,000,000,000 points that broke settlement are refused', async () => {
    const member = await newMember(gw, cafe);
    for (let i = 0; i < 2; i++) expectBadInput(await gw.gql(EarnPointsDocument, { input: earnInput(member, '2000000000.00') }, cafe.apiKey), 'input.amount');
    const [{ n }] = await gw.sql<{ n: number }>(`SELECT count(*)::int AS n FROM ledger_transaction WHERE member_id = $1`, [member.id]);
    expect(n).toBe(0);
  });

  it('the limit counts the whole breakdown: 9,999,999 base + a 2-point bonus rule is refused, and previewEarn says so too', async () => {
    const p = await newPartner(gw);
    await gw.ok(CreateEarnRuleDocument, { input: { name: 'Two extra', kind: 'BONUS', bonusPoints: 2 } }, p.apiKey);
    const member = await newMember(gw, p);
    const preview = await gw.gql(PreviewEarnDocument, { input: { memberId: member.id, amount: '9999999.00', currencyCode: 'MYR' } }, p.apiKey);
    expectBadInput(preview, 'input.amount');
    expectBadInput(await gw.gql(EarnPointsDocument, { input: earnInput(member, '9999999.00') }, p.apiKey), 'input.amount');
    const fits = await gw.ok(PreviewEarnDocument, { input: { memberId: member.id, amount: '9999998.00', currencyCode: 'MYR' } }, p.apiKey);
    expect(fits.previewEarn.points).toBe(MAX);
    expect((await gw.ok(EarnPointsDocument, { input: earnInput(member, '9999998.00') }, p.apiKey)).earnPoints.points).toBe(MAX);
  });

  it('earn rules: bonusPoints and maxPoints up to 10,000,000', async () => {
    const p = await newPartner(gw);
    const rule = (extra: Record<string, number>) =>
      gw.gql(CreateEarnRuleDocument, { input: { name: uniq('rule'), kind: 'BONUS', bonusPoints: 1, ...extra } }, p.apiKey);
    expect((await rule({ bonusPoints: MAX, maxPoints: MAX })).errors).toBeUndefined();
    expectBadInput(await rule({ bonusPoints: MAX + 1 }), 'input.bonusPoints');
    expectBadInput(await rule({ maxPoints: MAX + 1 }), 'input.maxPoints');
  });

  it('reverseTransaction: points over 10,000,000 is refused on input.points before anything is looked up', async () => {
    const member = await newMember(gw, cafe);
    const tx = (await gw.ok(EarnPointsDocument, { input: earnInput(member, '10000000.00') }, cafe.apiKey)).earnPoints;
    const reverse = (points: number) =>
      gw.gql(ReverseTransactionDocument, { input: { transactionId: tx.id, points, idempotencyKey: uniq('key') } }, cafe.apiKey);
    expectBadInput(await reverse(MAX + 1), 'input.points');
    // Checked up front, like every shape check: even for a transaction that does not exist.
    const unknown = await gw.gql(
      ReverseTransactionDocument,
      { input: { transactionId: '00000000-0000-4000-8000-000000000000', points: MAX + 1, idempotencyKey: uniq('key') } },
      cafe.apiKey,
    );
    expectBadInput(unknown, 'input.points');
    const done = await reverse(MAX);
    expect(done.errors).toBeUndefined();
    expect(done.data!.reverseTransaction.points).toBe(-MAX);
  });

  it('rewards cost at most 10,000,000 a unit, and a redemption (cost × quantity) at most 10,000,000 in all', async () => {
    const upsert = (pointsCost: number) => gw.gql(UpsertRewardDocument, { input: { name: uniq('reward'), pointsCost } }, cafe.apiKey);
    expectBadInput(await upsert(MAX + 1), 'input.pointsCost');
    expect((await upsert(MAX)).errors).toBeUndefined();
    const half = (await upsert(MAX / 2)).data!.upsertReward;
    const member = await newMember(gw, cafe);
    await gw.ok(EarnPointsDocument, { input: earnInput(member, '10000000.00') }, cafe.apiKey);
    const redeem = (quantity: number) =>
      gw.gql(RedeemRewardDocument, { input: { memberId: member.id, rewardId: half.id, quantity, idempotencyKey: uniq('key') } }, member.token);
    const before = await counts();
    expectBadInput(await redeem(3), 'input.quantity');
    expect(await counts()).toEqual(before);
    const two = await redeem(2);
    expect(two.errors).toBeUndefined();
    expect(two.data!.redeemReward.pointsSpent).toBe(MAX);
  });
});

describe('totals past 2^31 − 1 (a member earning 9,000,000 points at a time inside a return window)', () => {
  let shop: TestPartner;
  let member: TestMember;
  let from: string;
  let total = 0;

  beforeAll(async () => {
    from = new Date(Date.now() - 60_000).toISOString();
    shop = await newPartner(gw);
    // A return window keeps every point pending, so no balance limit stops the history growing.
    await gw.ok(SetPartnerSettingsDocument, { partnerId: shop.id, pendingDays: 30 }, shop.apiKey);
    member = await newMember(gw, shop);
    // 6,000,000 at Bronze, then 9,000,000 at Gold (×1.5) each, until the total passes Int.
    let earns = 0;
    while (total <= INT_MAX) {
      const batch = Array.from({ length: 8 }, () => gw.ok(EarnPointsAtTillDocument, { input: earnInput(member, '6000000.00') }, shop.apiKey));
      for (const r of await Promise.all(batch)) total += r.earnPoints.points;
      earns += batch.length;
    }
    expect(earns).toBeGreaterThan(230);
  }, 300_000);

  const period = () => ({ from, to: new Date(Date.now() + 60_000).toISOString() });

  it('the member reads its totals as Points64, exactly; the Int lifetimeEarned answers INT_OVERFLOW naming lifetimeEarned64', async () => {
    expect(total).toBeGreaterThan(INT_MAX);
    const { member: m } = await gw.ok(MemberTotalsDocument, { id: member.id }, member.token);
    expect(m!.balance).toMatchObject({
      available: 0,
      available64: '0',
      lifetimeEarned64: String(total),
      qualifyingPoints64: String(total),
      pending64: String(total),
    });
    expect(m!.transactions.edges[0]!.node).toMatchObject({ points: 9_000_000, balanceAfter: 0, balanceAfter64: '0' });

    const r = await gw.gql(MemberLifetimeEarnedDocument, { id: member.id }, member.token);
    expect(r.status).toBe(200);
    expect(r.errors).toHaveLength(1);
    expect(r.errors![0]!.extensions).toMatchObject({ code: 'INT_OVERFLOW', outputField: 'lifetimeEarned', use: 'lifetimeEarned64' });
    expect(r.errors![0]!.message).toContain(String(total));
    expect(r.data).toEqual({ member: null });
    expect(await ledgerViolations(gw)).toEqual([]);
  });

  it("settlement: the partner's own line and the admin's hold pointsIssued64 and the exact money; pointsIssued answers INT_OVERFLOW", async () => {
    for (const token of [shop.apiKey, gw.adminToken]) {
      const { settlement } = await gw.ok(SettlementTotalsDocument, period(), token);
      const line = settlement.find((l) => l.partner.id === shop.id)!;
      expect(line).toMatchObject({ pointsIssued64: String(total), pointsRedeemed64: '0', pointsExpired64: '0' });
      // burn rate 0.01 MYR a point
      expect(line.owedByPartner).toEqual({ amount: (total / 100).toFixed(2), currencyCode: 'MYR' });

      const r = await gw.gql(SettlementIssuedDocument, period(), token);
      expect(r.status).toBe(200);
      const codes = (r.errors ?? []).map((e) => e.extensions?.code);
      expect(codes).toContain('INT_OVERFLOW');
      expect(codes).not.toContain('INTERNAL_SERVER_ERROR');
      expect(r.errors!.find((e) => e.extensions?.code === 'INT_OVERFLOW')!.extensions).toMatchObject({ use: 'pointsIssued64' });
    }
  });

  it('balanceChanged replays the whole history: Points64 totals in every event, INT_OVERFLOW only where the Int no longer fits', async () => {
    const [{ n, over }] = await gw.sql<{ n: number; over: number }>(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE (payload->>'lifetimeEarned')::bigint > ${INT_MAX})::int AS over
         FROM outbox_event WHERE member_id = $1 AND topic = 'BALANCE_CHANGED'`,
      [member.id],
    );
    expect(over).toBeGreaterThan(0);
    const wide = subscribe(liveClient(gw.wsUrl, member.token), BalanceTotalsDocument, { memberId: member.id, after: '0' });
    const narrow = subscribe(liveClient(gw.wsUrl, member.token), BalanceLifetimeEarnedDocument, { memberId: member.id, after: '0' });
    try {
      const events = await wide.waitFor(n, 30_000);
      expect(wide.errors).toEqual([]);
      expect(events.at(-1)!.balanceChanged.balance).toEqual({ lifetimeEarned64: String(total), pending64: String(total) });
      // The events after the total passed Int are INT_OVERFLOW errors; the others arrive.
      await narrow.waitFor(n - over, 30_000);
      await narrow.waitForError(30_000);
      while (narrow.errors.length < over) await new Promise((r) => setTimeout(r, 20));
      expect(narrow.errors).toHaveLength(over);
      expect(narrow.errors[0]!.extensions).toMatchObject({ code: 'INT_OVERFLOW', use: 'lifetimeEarned64' });
      expect(narrow.closed).toBeNull();
    } finally {
      await wide.stop();
      await narrow.stop();
    }
  }, 60_000);
});
