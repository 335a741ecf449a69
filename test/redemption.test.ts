import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemberBalanceDocument, MemberRedemptionsDocument, RedeemRewardDocument, ReverseTransactionDocument } from './generated/graphql';
import { startTestGateway, TestGateway } from './support/gateway';
import { balanceOf, earn, ledgerViolations, lotsOf, newMember, newPartner, newReward, uniq } from './support/factories';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw?.stop());

const redeemInput = (memberId: string, rewardId: string, quantity = 1) => ({ memberId, rewardId, quantity, idempotencyKey: uniq('redeem') });

describe('redeemReward', () => {
  it('spends points earned at the café on the airline, oldest lots first, at the airline burn rate', async () => {
    const cafe = await newPartner(gw, { currencyCode: 'MYR', earnRate: '1', burnRate: '0.01' });
    const fashion = await newPartner(gw, { currencyCode: 'THB', earnRate: '1', burnRate: '0.08' });
    const airline = await newPartner(gw, { currencyCode: 'IDR', earnRate: '0.001', burnRate: '35' });
    const member = await newMember(gw, cafe);
    await earn(gw, cafe, member, '300.00');
    await earn(gw, fashion, member, '500.00');
    const upgrade = await newReward(gw, airline, { pointsCost: 450 });

    const { redeemReward } = await gw.ok(RedeemRewardDocument, { input: redeemInput(member.id, upgrade.id) }, member.token);
    expect(redeemReward).toMatchObject({ pointsSpent: 450, quantity: 1, status: 'ACTIVE' });
    expect(redeemReward.code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
    expect(redeemReward.transaction).toMatchObject({ type: 'REDEEM', points: -450, balanceAfter: 350, partner: { id: airline.id } });
    expect(redeemReward.transaction.exchangeRate).toMatchObject({ version: 1, burnRate: '35' });
    // The café lot (earned first) is used up, then 150 of the fashion lot.
    expect((await lotsOf(gw, member.id)).map((l) => [l.partnerId, l.remaining])).toEqual([
      [cafe.id, 0],
      [fashion.id, 350],
    ]);
    const consumed = await gw.sql<{ issuer: string; points: number }>(
      `SELECT l.partner_id AS issuer, c.points FROM lot_consumption c JOIN points_lot l ON l.id = c.lot_id
        WHERE c.transaction_id = $1 ORDER BY c.points DESC`,
      [redeemReward.transaction.id],
    );
    expect(consumed).toEqual([
      { issuer: cafe.id, points: 300 },
      { issuer: fashion.id, points: 150 },
    ]);
    const { member: m } = await gw.ok(MemberRedemptionsDocument, { id: member.id }, member.token);
    expect(m?.redemptions.edges.map((e) => e.node.code)).toEqual([redeemReward.code]);
    expect(await ledgerViolations(gw)).toEqual([]);
  });

  it('spends the lot that expires first, whoever issued it', async () => {
    const a = await newPartner(gw);
    const b = await newPartner(gw);
    const member = await newMember(gw, a);
    await earn(gw, a, member, '100.00');
    await earn(gw, b, member, '100.00');
    await gw.sql(`UPDATE points_lot SET expires_at = now() + interval '10 days' WHERE member_id = $1 AND partner_id = $2`, [member.id, b.id]);
    const reward = await newReward(gw, a, { pointsCost: 60 });
    await gw.ok(RedeemRewardDocument, { input: redeemInput(member.id, reward.id) }, a.apiKey);
    expect((await lotsOf(gw, member.id)).map((l) => [l.partnerId, l.remaining])).toEqual([
      [a.id, 100],
      [b.id, 40],
    ]);
  });

  it('replays with the same key and refuses a different request under it', async () => {
    const cafe = await newPartner(gw);
    const member = await newMember(gw, cafe);
    await earn(gw, cafe, member, '100.00');
    const reward = await newReward(gw, cafe, { pointsCost: 30 });
    const input = redeemInput(member.id, reward.id);
    const first = (await gw.ok(RedeemRewardDocument, { input }, member.token)).redeemReward;
    const again = (await gw.ok(RedeemRewardDocument, { input }, member.token)).redeemReward;
    expect(again.id).toBe(first.id);
    expect(again.code).toBe(first.code);
    expect(await balanceOf(gw, member.id)).toBe(70);
    const conflict = await gw.gql(RedeemRewardDocument, { input: { ...input, quantity: 2 } }, member.token);
    expect(conflict.errors?.[0]?.extensions?.code).toBe('IDEMPOTENCY_CONFLICT');
  });

  it('refuses what the member cannot afford, a tier it has not reached, and another member', async () => {
    const cafe = await newPartner(gw);
    const member = await newMember(gw, cafe);
    const other = await newMember(gw, cafe);
    await earn(gw, cafe, member, '100.00');
    const pricey = await newReward(gw, cafe, { pointsCost: 101 });
    const goldOnly = await newReward(gw, cafe, { pointsCost: 10, minTier: 'Gold' });
    const r1 = await gw.gql(RedeemRewardDocument, { input: redeemInput(member.id, pricey.id) }, member.token);
    expect(r1.errors?.[0]?.extensions).toMatchObject({ code: 'INSUFFICIENT_POINTS', required: 101, available: 100 });
    const r2 = await gw.gql(RedeemRewardDocument, { input: redeemInput(member.id, goldOnly.id) }, member.token);
    expect(r2.errors?.[0]?.extensions?.code).toBe('TIER_REQUIRED');
    const r3 = await gw.gql(RedeemRewardDocument, { input: redeemInput(member.id, pricey.id) }, other.token);
    expect(r3.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const elsewhere = await newPartner(gw);
    const r4 = await gw.gql(RedeemRewardDocument, { input: redeemInput(member.id, pricey.id) }, elsewhere.apiKey);
    expect(r4.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(await balanceOf(gw, member.id)).toBe(100);
    expect(await gw.sql(`SELECT 1 FROM redemption WHERE member_id = $1`, [member.id])).toHaveLength(0);
  });

  it('50 concurrent redemptions of a 1,000-point reward with 10,000 points: exactly 10 succeed', async () => {
    const cafe = await newPartner(gw);
    const member = await newMember(gw, cafe);
    await earn(gw, cafe, member, '10000.00');
    const reward = await newReward(gw, cafe, { pointsCost: 1000 });
    const results = await Promise.all(
      Array.from({ length: 50 }, () => gw.gql(RedeemRewardDocument, { input: redeemInput(member.id, reward.id) }, member.token)),
    );
    const ok = results.filter((r) => r.data?.redeemReward);
    const codes = results.flatMap((r) => r.errors ?? []).map((e) => e.extensions?.code);
    expect(ok).toHaveLength(10);
    expect(codes).toEqual(Array(40).fill('INSUFFICIENT_POINTS'));
    expect(await balanceOf(gw, member.id)).toBe(0);
    expect(new Set(ok.map((r) => r.data!.redeemReward.code)).size).toBe(10);
    expect(await ledgerViolations(gw)).toEqual([]);
  });

  it('30 members racing for a reward with stock 5: exactly 5 get one', async () => {
    const cafe = await newPartner(gw);
    const reward = await newReward(gw, cafe, { pointsCost: 10, stock: 5 });
    const members = await Promise.all(Array.from({ length: 30 }, () => newMember(gw, cafe)));
    await Promise.all(members.map((m) => earn(gw, cafe, m, '10.00')));
    const results = await Promise.all(members.map((m) => gw.gql(RedeemRewardDocument, { input: redeemInput(m.id, reward.id) }, m.token)));
    expect(results.filter((r) => r.data?.redeemReward)).toHaveLength(5);
    expect(results.flatMap((r) => r.errors ?? []).map((e) => e.extensions?.code)).toEqual(Array(25).fill('OUT_OF_STOCK'));
    expect(await gw.sql(`SELECT stock FROM reward WHERE id = $1`, [reward.id])).toEqual([{ stock: 0 }]);
  });
});

describe('reverseTransaction', () => {
  it('claws back a refund in parts, never more than was earned', async () => {
    const cafe = await newPartner(gw);
    const member = await newMember(gw, cafe);
    const purchase = await earn(gw, cafe, member, '100.00');
    const reverse = (points?: number) =>
      gw.gql(ReverseTransactionDocument, { input: { transactionId: purchase.id, points, reason: 'refund', idempotencyKey: uniq('rev') } }, cafe.apiKey);
    const half = await reverse(50);
    expect(half.data?.reverseTransaction).toMatchObject({ type: 'REVERSAL', points: -50, balanceAfter: 50, reverses: { id: purchase.id } });
    expect((await reverse(30)).data?.reverseTransaction.balanceAfter).toBe(20);
    const tooMuch = await reverse(21);
    expect(tooMuch.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.points', reversible: 20 });
    const rest = await reverse(); // default: everything that remains
    expect(rest.data?.reverseTransaction).toMatchObject({ points: -20, balanceAfter: 0 });
    expect(rest.data?.reverseTransaction.member.balance).toMatchObject({ available: 0, lifetimeEarned: 0, qualifyingPoints: 0 });
    const again = await reverse(1);
    expect(again.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.transactionId' });
    expect(await ledgerViolations(gw)).toEqual([]);
  });

  it('concurrent partial reversals never exceed the original', async () => {
    const cafe = await newPartner(gw);
    const member = await newMember(gw, cafe);
    const purchase = await earn(gw, cafe, member, '100.00');
    const results = await Promise.all(
      Array.from({ length: 12 }, () =>
        gw.gql(ReverseTransactionDocument, { input: { transactionId: purchase.id, points: 10, idempotencyKey: uniq('rev') } }, cafe.apiKey),
      ),
    );
    expect(results.filter((r) => r.data?.reverseTransaction)).toHaveLength(10);
    expect(await balanceOf(gw, member.id)).toBe(0);
  });

  it('takes the clawback from the refunded earn first and lets the balance go negative when spent', async () => {
    const cafe = await newPartner(gw);
    const airline = await newPartner(gw);
    const member = await newMember(gw, cafe);
    const first = await earn(gw, cafe, member, '100.00');
    await earn(gw, airline, member, '50.00');
    // Spend 120: the café lot (100) and 20 of the airline lot.
    const reward = await newReward(gw, airline, { pointsCost: 120 });
    await gw.ok(RedeemRewardDocument, { input: redeemInput(member.id, reward.id) }, member.token);
    const refund = await gw.ok(ReverseTransactionDocument, { input: { transactionId: first.id, idempotencyKey: uniq('rev') } }, cafe.apiKey);
    expect(refund.reverseTransaction.balanceAfter).toBe(-70);
    expect((await lotsOf(gw, member.id)).map((l) => l.remaining)).toEqual([0, 0]);
    // Negative: redemptions are refused until the balance is positive again.
    const cheap = await newReward(gw, airline, { pointsCost: 1 });
    const refused = await gw.gql(RedeemRewardDocument, { input: redeemInput(member.id, cheap.id) }, member.token);
    expect(refused.errors?.[0]?.extensions?.code).toBe('INSUFFICIENT_POINTS');
    // A new earn pays the debt first; only the surplus is spendable.
    await earn(gw, cafe, member, '100.00');
    expect(await balanceOf(gw, member.id)).toBe(30);
    expect((await lotsOf(gw, member.id)).map((l) => l.remaining)).toEqual([0, 0, 30]);
    expect(await ledgerViolations(gw)).toEqual([]);
  });

  it('cancels a redemption: points return to their lots with their expiry, stock comes back', async () => {
    const cafe = await newPartner(gw);
    const airline = await newPartner(gw);
    const member = await newMember(gw, cafe);
    await earn(gw, cafe, member, '100.00');
    const expiry = new Date('2031-01-31T00:00:00Z');
    await gw.sql(`UPDATE points_lot SET expires_at = $2 WHERE member_id = $1`, [member.id, expiry]);
    const reward = await newReward(gw, airline, { pointsCost: 80, stock: 3 });
    const { redeemReward } = await gw.ok(RedeemRewardDocument, { input: redeemInput(member.id, reward.id) }, member.token);
    // Only the partner owning the reward (or an admin) may cancel it.
    const denied = await gw.gql(
      ReverseTransactionDocument,
      { input: { transactionId: redeemReward.transaction.id, idempotencyKey: uniq('rev') } },
      cafe.apiKey,
    );
    expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const { reverseTransaction } = await gw.ok(
      ReverseTransactionDocument,
      { input: { transactionId: redeemReward.transaction.id, idempotencyKey: uniq('rev') } },
      airline.apiKey,
    );
    expect(reverseTransaction).toMatchObject({ type: 'REVERSAL', points: 80, balanceAfter: 100, reverses: { type: 'REDEEM' } });
    expect(await lotsOf(gw, member.id)).toEqual([{ partnerId: cafe.id, points: 100, remaining: 100, expiresAt: expiry }]);
    expect(await gw.sql(`SELECT stock FROM reward WHERE id = $1`, [reward.id])).toEqual([{ stock: 3 }]);
    const { member: m } = await gw.ok(MemberRedemptionsDocument, { id: member.id }, member.token);
    expect(m?.redemptions.edges[0]?.node.status).toBe('CANCELLED');
    const twice = await gw.gql(
      ReverseTransactionDocument,
      { input: { transactionId: redeemReward.transaction.id, idempotencyKey: uniq('rev') } },
      gw.adminToken,
    );
    expect(twice.errors?.[0]?.extensions).toMatchObject({ code: 'REDEMPTION_NOT_ACTIVE', status: 'CANCELLED', field: 'input.transactionId' });
    expect(await ledgerViolations(gw)).toEqual([]);
  });

  it('cancels a redemption that spent two lots with different expiries: each lot gets back exactly what it gave', async () => {
    const cafe = await newPartner(gw, { earnRate: '1' });
    const shop = await newPartner(gw, { earnRate: '1' });
    const airline = await newPartner(gw);
    const member = await newMember(gw, cafe);
    await earn(gw, cafe, member, '120.00');
    await earn(gw, shop, member, '90.00');
    // The later earn expires first, so it is spent first.
    const late = new Date('2031-03-01T00:00:00Z');
    const soon = new Date('2030-06-30T00:00:00Z');
    await gw.sql(`UPDATE points_lot SET expires_at = $2 WHERE member_id = $1 AND partner_id = $3`, [member.id, late, cafe.id]);
    await gw.sql(`UPDATE points_lot SET expires_at = $2 WHERE member_id = $1 AND partner_id = $3`, [member.id, soon, shop.id]);
    const reward = await newReward(gw, airline, { pointsCost: 150 });
    const { redeemReward } = await gw.ok(RedeemRewardDocument, { input: redeemInput(member.id, reward.id) }, member.token);
    expect(await lotsOf(gw, member.id)).toEqual([
      { partnerId: cafe.id, points: 120, remaining: 60, expiresAt: late },
      { partnerId: shop.id, points: 90, remaining: 0, expiresAt: soon },
    ]);

    const input = { transactionId: redeemReward.transaction.id, idempotencyKey: uniq('rev') };
    const { reverseTransaction } = await gw.ok(ReverseTransactionDocument, { input }, airline.apiKey);
    expect(reverseTransaction).toMatchObject({ type: 'REVERSAL', points: 150, balanceAfter: 210 });
    expect(await lotsOf(gw, member.id)).toEqual([
      { partnerId: cafe.id, points: 120, remaining: 120, expiresAt: late },
      { partnerId: shop.id, points: 90, remaining: 90, expiresAt: soon },
    ]);
    // Each lot's give-back mirrors what the redemption took from it.
    const flows = await gw.sql<{ issuer: string; taken: number; returned: number }>(
      `SELECT l.partner_id AS issuer,
              sum(c.points) FILTER (WHERE c.transaction_id = $1)::int AS taken,
              sum(c.points) FILTER (WHERE c.transaction_id = $2)::int AS returned
         FROM lot_consumption c JOIN points_lot l ON l.id = c.lot_id
        WHERE c.transaction_id IN ($1, $2) GROUP BY l.partner_id, l.earned_at ORDER BY l.earned_at`,
      [redeemReward.transaction.id, reverseTransaction.id],
    );
    expect(flows).toEqual([
      { issuer: cafe.id, taken: 60, returned: -60 },
      { issuer: shop.id, taken: 90, returned: -90 },
    ]);
    // Replaying the cancellation changes nothing.
    const again = (await gw.ok(ReverseTransactionDocument, { input }, airline.apiKey)).reverseTransaction;
    expect(again.id).toBe(reverseTransaction.id);
    expect((await lotsOf(gw, member.id)).map((l) => l.remaining)).toEqual([120, 90]);
    expect(await balanceOf(gw, member.id)).toBe(210);
    expect(await ledgerViolations(gw)).toEqual([]);
  });

  it('replays a reversal under the same key: the original result, nothing new written; different points conflict', async () => {
    const cafe = await newPartner(gw, { earnRate: '1' });
    const member = await newMember(gw, cafe);
    const purchase = await earn(gw, cafe, member, '100.00');
    const input = { transactionId: purchase.id, points: 30, reason: 'refund: part', idempotencyKey: uniq('rev') };
    const first = (await gw.ok(ReverseTransactionDocument, { input }, cafe.apiKey)).reverseTransaction;
    expect(first).toMatchObject({ type: 'REVERSAL', points: -30, balanceAfter: 70, reverses: { id: purchase.id } });

    const written = async () =>
      (
        await gw.sql<{ txs: number; entries: number; consumed: number; events: number }>(
          `SELECT (SELECT count(*) FROM ledger_transaction WHERE member_id = $1)::int AS txs,
                  (SELECT count(*) FROM ledger_entry e JOIN ledger_transaction t ON t.id = e.transaction_id WHERE t.member_id = $1)::int AS entries,
                  (SELECT count(*) FROM lot_consumption c JOIN points_lot l ON l.id = c.lot_id WHERE l.member_id = $1)::int AS consumed,
                  (SELECT count(*) FROM outbox_event WHERE member_id = $1)::int AS events`,
          [member.id],
        )
      )[0]!;
    const before = await written();
    const again = (await gw.ok(ReverseTransactionDocument, { input }, cafe.apiKey)).reverseTransaction;
    expect(again).toEqual(first);
    expect(await written()).toEqual(before);
    expect(await balanceOf(gw, member.id)).toBe(70);

    const conflict = await gw.gql(ReverseTransactionDocument, { input: { ...input, points: 40 } }, cafe.apiKey);
    expect(conflict.errors?.[0]?.extensions?.code).toBe('IDEMPOTENCY_CONFLICT');
    expect(await written()).toEqual(before);
    expect(await balanceOf(gw, member.id)).toBe(70);
    expect(await ledgerViolations(gw)).toEqual([]);
  });

  it('refuses members and other partners', async () => {
    const cafe = await newPartner(gw);
    const other = await newPartner(gw);
    const member = await newMember(gw, cafe);
    const purchase = await earn(gw, cafe, member, '10.00');
    const input = { transactionId: purchase.id, idempotencyKey: uniq('rev') };
    expect((await gw.gql(ReverseTransactionDocument, { input }, member.token)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await gw.gql(ReverseTransactionDocument, { input }, other.apiKey)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await gw.gql(ReverseTransactionDocument, { input })).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const { member: m } = await gw.ok(MemberBalanceDocument, { id: member.id }, member.token);
    expect(m?.balance.available).toBe(10);
  });
});
