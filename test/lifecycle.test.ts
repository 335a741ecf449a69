import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LifecycleBalanceDocument,
  MemberLifecycleDocument,
  ReverseTransactionDocument,
  SetPartnerSettingsDocument,
  ProgramSettingsDocument,
  RedeemRewardDocument,
  SetProgramSettingsDocument,
  SettlementBreakageDocument,
} from './generated/graphql';
import { startTestGateway, TestGateway } from './support/gateway';
import { earn, ledgerViolations, lotsOf, newMember, newPartner, newReward, uniq } from './support/factories';
import { expirePoints } from '../src/modules/lifecycle/expiry';
import { releasePendingPoints } from '../src/modules/lifecycle/pending';
import { liveClient, settle, subscribe } from './support/live-client';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
  await gw.ok(SetProgramSettingsDocument, { input: { pointsExpireAfterMonths: 12 } }, gw.adminToken);
});
afterAll(() => gw?.stop());

const DAY = 86_400_000;
const inDays = (days: number, from = Date.now()) => new Date(from + days * DAY);

async function expiryTransactions(memberId: string) {
  return gw.sql<{ id: string; points: number; balanceAfter: number }>(
    `SELECT id, points, balance_after AS "balanceAfter" FROM ledger_transaction WHERE member_id = $1 AND type = 'EXPIRY'`,
    [memberId],
  );
}

describe('program settings', () => {
  it('admins set them; others read but may not change them; bad values name the field', async () => {
    const cafe = await newPartner(gw);
    expect((await gw.ok(ProgramSettingsDocument, {}, cafe.apiKey)).programSettings.pointsExpireAfterMonths).toBe(12);
    const refused = await gw.gql(SetProgramSettingsDocument, { input: { pointsExpireAfterMonths: 1 } }, cafe.apiKey);
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const bad = await gw.gql(SetProgramSettingsDocument, { input: { pointsExpireAfterMonths: 0 } }, gw.adminToken);
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.pointsExpireAfterMonths' });
    expect((await gw.ok(ProgramSettingsDocument, {}, gw.adminToken)).programSettings).toMatchObject({
      pointsExpireAfterMonths: 12,
      extendExpiryOnActivity: false,
    });
  });
});

describe('expiry', () => {
  it('gives each lot its expiry when earned, and the job expires it on schedule (injected clock), once', async () => {
    const cafe = await newPartner(gw);
    const member = await newMember(gw, cafe);
    const tx = await earn(gw, cafe, member, '100.00');
    const [lot] = await lotsOf(gw, member.id);
    const [{ createdAt }] = await gw.sql<{ createdAt: Date }>(`SELECT created_at AS "createdAt" FROM ledger_transaction WHERE id = $1`, [tx.id]);
    const due = new Date(createdAt);
    due.setUTCMonth(due.getUTCMonth() + 12);
    expect(lot!.expiresAt!.getTime()).toBe(due.getTime());

    // A day before: nothing; after: everything, once.
    expect(await expirePoints(gw.db, new Date(due.getTime() - DAY))).toMatchObject({ ran: true });
    expect(await expiryTransactions(member.id)).toEqual([]);
    await expirePoints(gw.db, new Date(due.getTime() + 1000));
    await expirePoints(gw.db, new Date(due.getTime() + 2000));
    const expired = await expiryTransactions(member.id);
    expect(expired).toEqual([{ id: expect.any(String), points: -100, balanceAfter: 0 }]);
    expect((await lotsOf(gw, member.id)).map((l) => l.remaining)).toEqual([0]);

    const { member: seen } = await gw.ok(MemberLifecycleDocument, { id: member.id, withinDays: 30 }, member.token);
    expect(seen!.balance.available).toBe(0);
    expect(seen!.transactions.edges[0]!.node).toMatchObject({ type: 'EXPIRY', points: -100, breakdown: [{ source: 'EXPIRY', points: -100 }] });
    // Entries: wallet −100, the coalition's breakage account +100; the lot consumption logged.
    const entries = await gw.sql<{ kind: string; amount: number }>(
      `SELECT a.kind, e.amount FROM ledger_entry e JOIN account a ON a.id = e.account_id WHERE e.transaction_id = $1 ORDER BY e.amount`,
      [expired[0]!.id],
    );
    expect(entries).toEqual([
      { kind: 'MEMBER', amount: -100 },
      { kind: 'COALITION_BREAKAGE', amount: 100 },
    ]);
    const [{ n }] = await gw.sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM outbox_event WHERE topic = 'BALANCE_CHANGED' AND payload->>'transactionId' = $1`,
      [expired[0]!.id],
    );
    expect(n).toBe(1);
    expect(await ledgerViolations(gw)).toEqual([]);
  });

  it('spends oldest-expiry first and expires only what is left of the lapsed lot; settlement counts it as breakage', async () => {
    const cafe = await newPartner(gw);
    const airline = await newPartner(gw);
    const member = await newMember(gw, cafe);
    const before = new Date(Date.now() - 1000);
    await earn(gw, airline, member, '100.00');
    await earn(gw, cafe, member, '50.00');
    // The café's (later) lot expires first: spending takes it first.
    const cafeExpiry = inDays(3);
    await gw.sql(`UPDATE points_lot SET expires_at = $2 WHERE member_id = $1 AND partner_id = $3`, [member.id, cafeExpiry, cafe.id]);
    await gw.sql(`UPDATE points_lot SET expires_at = $2 WHERE member_id = $1 AND partner_id = $3`, [member.id, inDays(40), airline.id]);
    const reward = await newReward(gw, airline, { pointsCost: 30 });
    await gw.ok(RedeemRewardDocument, { input: { memberId: member.id, rewardId: reward.id, quantity: 1, idempotencyKey: uniq('redeem') } }, member.token);
    expect((await lotsOf(gw, member.id)).map((l) => [l.partnerId, l.remaining])).toEqual([
      [airline.id, 100],
      [cafe.id, 20],
    ]);

    const { member: soon } = await gw.ok(MemberLifecycleDocument, { id: member.id, withinDays: 7 }, member.token);
    expect(soon!.expiringPoints.map((e) => [e.points, new Date(e.expiresAt).getTime()])).toEqual([[20, cafeExpiry.getTime()]]);
    const { member: later } = await gw.ok(MemberLifecycleDocument, { id: member.id, withinDays: 60 }, member.token);
    expect(later!.expiringPoints.map((e) => e.points)).toEqual([20, 100]);

    const result = await expirePoints(gw.db, inDays(4));
    expect(result.ran).toBe(true);
    expect(await expiryTransactions(member.id)).toEqual([{ id: expect.any(String), points: -20, balanceAfter: 100 }]);
    expect((await lotsOf(gw, member.id)).map((l) => [l.partnerId, l.remaining])).toEqual([
      [airline.id, 100],
      [cafe.id, 0],
    ]);
    const { settlement } = await gw.ok(SettlementBreakageDocument, { from: before.toISOString(), to: inDays(1).toISOString() }, gw.adminToken);
    const line = (id: string) => settlement.find((l) => l.partner.id === id)!;
    // Valued at the café's burn rate when it issued them: 20 × 0.01 MYR.
    expect(line(cafe.id)).toMatchObject({ pointsIssued: 50, pointsExpired: 20, breakage: { amount: '0.20', currencyCode: 'MYR' } });
    expect(line(airline.id)).toMatchObject({ pointsIssued: 100, pointsRedeemed: 30, pointsExpired: 0, breakage: { amount: '0.00' } });
    expect(await ledgerViolations(gw)).toEqual([]);
  });

  it('with extendExpiryOnActivity, an earn pushes the unexpired lots to now + the expiry period', async () => {
    await gw.ok(SetProgramSettingsDocument, { input: { extendExpiryOnActivity: true } }, gw.adminToken);
    try {
      const cafe = await newPartner(gw);
      const member = await newMember(gw, cafe);
      await earn(gw, cafe, member, '10.00');
      await gw.sql(`UPDATE points_lot SET expires_at = $2 WHERE member_id = $1`, [member.id, inDays(2)]);
      await earn(gw, cafe, member, '5.00');
      const lots = await lotsOf(gw, member.id);
      expect(lots).toHaveLength(2);
      for (const l of lots) expect(l.expiresAt!.getTime()).toBeGreaterThan(inDays(330).getTime());
      const { member: seen } = await gw.ok(MemberLifecycleDocument, { id: member.id, withinDays: 30 }, member.token);
      expect(seen!.expiringPoints).toEqual([]);
    } finally {
      await gw.ok(SetProgramSettingsDocument, { input: { extendExpiryOnActivity: false } }, gw.adminToken);
    }
  });

  it('concurrent runs (two instances) write each expiry once, and a redemption racing the job never spends expired points twice', async () => {
    const cafe = await newPartner(gw);
    const members = await Promise.all([newMember(gw, cafe), newMember(gw, cafe), newMember(gw, cafe)]);
    for (const m of members) await earn(gw, cafe, m, '40.00');
    const ids = members.map((m) => m.id);
    await gw.sql(`UPDATE points_lot SET expires_at = now() - interval '1 minute' WHERE member_id = ANY($1::uuid[])`, [ids]);
    const reward = await newReward(gw, cafe, { pointsCost: 40 });
    const [r1, r2, redeem] = await Promise.all([
      expirePoints(gw.db),
      expirePoints(gw.db),
      gw.gql(
        RedeemRewardDocument,
        { input: { memberId: members[0]!.id, rewardId: reward.id, quantity: 1, idempotencyKey: uniq('redeem') } },
        members[0]!.token,
      ),
    ]);
    const expired = await gw.sql<{ memberId: string; points: number }>(
      `SELECT member_id AS "memberId", points FROM ledger_transaction WHERE member_id = ANY($1::uuid[]) AND type = 'EXPIRY'`,
      [ids],
    );
    // Each member's 40 points went exactly one way: expired once, or (member 0) redeemed first.
    const redeemed = !redeem.errors;
    expect(expired.length).toBe(redeemed ? 2 : 3);
    expect(expired.every((e) => e.points === -40)).toBe(true);
    expect(r1.points + r2.points).toBe(redeemed ? 80 : 120);
    if (!redeemed) expect(redeem.errors?.[0]?.extensions?.code).toBe('INSUFFICIENT_POINTS');
    for (const id of ids) expect(await balance(id)).toMatchObject({ available: 0 });
    expect(await ledgerViolations(gw)).toEqual([]);
  });

  it('one instance at a time: a run finding the lock taken does nothing', async () => {
    const holder = await gw.db.connect();
    try {
      await holder.query(`SELECT pg_advisory_lock($1)`, [0x65787069]);
      expect(await expirePoints(gw.db, inDays(10_000))).toEqual({ ran: false, members: 0, points: 0 });
    } finally {
      await holder.query(`SELECT pg_advisory_unlock($1)`, [0x65787069]);
      holder.release();
    }
  });
});

async function balance(memberId: string) {
  const { member } = await gw.ok(MemberLifecycleDocument, { id: memberId, withinDays: 0 }, gw.adminToken);
  return member!.balance;
}

const reverse = (transactionId: string, token: string, points?: number) =>
  gw.ok(ReverseTransactionDocument, { input: { transactionId, points, idempotencyKey: uniq('rev') } }, token);

describe('pending points', () => {
  it("a partner sets its own return window; not another partner's", async () => {
    const shop = await newPartner(gw);
    const other = await newPartner(gw);
    expect((await gw.ok(SetPartnerSettingsDocument, { partnerId: shop.id, pendingDays: 14 }, shop.apiKey)).setPartnerSettings.pendingDays).toBe(14);
    const refused = await gw.gql(SetPartnerSettingsDocument, { partnerId: shop.id, pendingDays: 0 }, other.apiKey);
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const bad = await gw.gql(SetPartnerSettingsDocument, { partnerId: shop.id, pendingDays: 366 }, gw.adminToken);
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'pendingDays' });
  });

  it('holds points earned inside the window out of the balance, then releases them once (injected clock) and says so live', async () => {
    const shop = await newPartner(gw);
    await gw.ok(SetPartnerSettingsDocument, { partnerId: shop.id, pendingDays: 14 }, gw.adminToken);
    const member = await newMember(gw, shop);
    const tx = await earn(gw, shop, member, '80.00');
    expect(tx).toMatchObject({ points: 80, balanceAfter: 0 });
    expect(await balance(member.id)).toMatchObject({ available: 0, pending: 80, lifetimeEarned: 80 });
    // Not spendable.
    const reward = await newReward(gw, shop, { pointsCost: 10 });
    const refused = await gw.gql(
      RedeemRewardDocument,
      { input: { memberId: member.id, rewardId: reward.id, quantity: 1, idempotencyKey: uniq('redeem') } },
      member.token,
    );
    expect(refused.errors?.[0]?.extensions?.code).toBe('INSUFFICIENT_POINTS');
    expect(await ledgerViolations(gw)).toEqual([]);

    const sub = subscribe(liveClient(gw.wsUrl, member.token), LifecycleBalanceDocument, { memberId: member.id });
    await settle();
    await releasePendingPoints(gw.db, inDays(13));
    expect(await balance(member.id)).toMatchObject({ available: 0, pending: 80 });
    await releasePendingPoints(gw.db, inDays(15));
    await releasePendingPoints(gw.db, inDays(16));
    expect(await balance(member.id)).toMatchObject({ available: 80, pending: 0, lifetimeEarned: 80 });
    const [event] = await sub.waitFor(1);
    expect(event!.balanceChanged).toMatchObject({ balance: { available: 80, pending: 0 }, transaction: { id: tx.id, type: 'EARN' } });
    await sub.stop();
    expect((await lotsOf(gw, member.id)).map((l) => l.remaining)).toEqual([80]);
    await gw.ok(RedeemRewardDocument, { input: { memberId: member.id, rewardId: reward.id, quantity: 1, idempotencyKey: uniq('redeem') } }, member.token);
    expect(await balance(member.id)).toMatchObject({ available: 70, pending: 0 });
    expect(await ledgerViolations(gw)).toEqual([]);
  });

  it('a refund while pending cancels pending points only, partly or wholly; available points are untouched', async () => {
    const cafe = await newPartner(gw);
    const shop = await newPartner(gw);
    await gw.ok(SetPartnerSettingsDocument, { partnerId: shop.id, pendingDays: 30 }, shop.apiKey);
    const member = await newMember(gw, cafe);
    await earn(gw, cafe, member, '100.00');
    const first = await earn(gw, shop, member, '50.00');
    const second = await earn(gw, shop, member, '40.00');
    expect(await balance(member.id)).toMatchObject({ available: 100, pending: 90 });

    const { reverseTransaction } = await reverse(first.id, shop.apiKey);
    expect(reverseTransaction).toMatchObject({ type: 'REVERSAL', points: -50, balanceAfter: 100 });
    await reverse(second.id, shop.apiKey, 15);
    expect(await balance(member.id)).toMatchObject({ available: 100, pending: 25, lifetimeEarned: 125 });
    expect(await ledgerViolations(gw)).toEqual([]);

    await releasePendingPoints(gw.db, inDays(31));
    expect(await balance(member.id)).toMatchObject({ available: 125, pending: 0 });
    expect(await ledgerViolations(gw)).toEqual([]);
    // After the window a refund is an ordinary clawback from available points.
    await reverse(second.id, shop.apiKey, 25);
    expect(await balance(member.id)).toMatchObject({ available: 100, pending: 0 });
    expect(await ledgerViolations(gw)).toEqual([]);
  });
});
