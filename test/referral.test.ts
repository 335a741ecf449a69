// The referral bonus is paid for a purchase that counts: the referred member's first earn of at
// least referralMinimumPoints, pending with that purchase while it can still be returned, and
// taken back if it is refunded. Run with one and with several earns per batch: the one earn path
// writes a lone earn as a batch of one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EnrollWithCodeDocument,
  IssueMemberTokenDocument,
  MemberLifecycleDocument,
  ReferralSettingsDocument,
  ReverseTransactionDocument,
  SetPartnerSettingsDocument,
  SetReferralSettingsDocument,
} from './generated/graphql';
import { startTestGateway, TestGateway } from './support/gateway';
import { earn, ledgerViolations, newPartner, rewriteLedgerHistory, TestMember, TestPartner, uniq } from './support/factories';
import { releasePendingPoints } from '../src/modules/lifecycle/pending';

const DAY = 86_400_000;
const inDays = (days: number) => new Date(Date.now() + days * DAY);

describe.each([
  ['batches of up to 64 earns', {}],
  ['batches of one earn', { EARN_BATCH_SIZE: '1' }],
])('referral bonus through %s', (_writer, env: Record<string, string>) => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway(env);
    await gw.ok(SetReferralSettingsDocument, { input: { referralBonusPoints: 200 } }, gw.adminToken);
  });
  afterAll(() => gw?.stop());

  async function enroll(by: TestPartner, referralCode?: string): Promise<TestMember & { referralCode: string }> {
    const email = `${uniq('member')}@example.com`;
    const { enrollMember } = await gw.ok(EnrollWithCodeDocument, { input: { email, displayName: 'Test Member', referralCode } }, by.apiKey);
    const { issueMemberToken } = await gw.ok(IssueMemberTokenDocument, { memberId: enrollMember.id }, by.apiKey);
    return { id: enrollMember.id, email, token: issueMemberToken, referralCode: enrollMember.referralCode };
  }

  async function seen(memberId: string) {
    const { member } = await gw.ok(MemberLifecycleDocument, { id: memberId, withinDays: 0 }, gw.adminToken);
    const txs = member!.transactions.edges.map((e) => e.node).reverse();
    const { available, pending } = member!.balance;
    // The referral bonus's own transactions: BONUS and, if taken back, its REVERSAL.
    const referral = txs.filter((t) => t.breakdown[0]?.source === 'REFERRAL').map((t) => [t.type, t.points]);
    return { available, pending, referral };
  }

  const reverse = (partner: TestPartner, transactionId: string, points?: number) =>
    gw.ok(ReverseTransactionDocument, { input: { transactionId, points, idempotencyKey: uniq('rev') } }, partner.apiKey);

  it('purchases worth 0 points give nobody a bonus and do not use up the first; the first earn worth a point does', async () => {
    const cafe = await newPartner(gw);
    const referrer = await enroll(cafe);
    const referred = [await enroll(cafe, referrer.referralCode), await enroll(cafe, referrer.referralCode), await enroll(cafe, referrer.referralCode)];
    for (const m of referred) expect(await earn(gw, cafe, m, '0.01')).toMatchObject({ points: 0 });

    expect(await seen(referrer.id)).toEqual({ available: 0, pending: 0, referral: [] });
    for (const m of referred) expect(await seen(m.id)).toEqual({ available: 0, pending: 0, referral: [] });

    // The same members' next purchase worth something is the one that counts.
    await earn(gw, cafe, referred[0]!, '10.00');
    expect(await seen(referred[0]!.id)).toEqual({ available: 10 + 200, pending: 0, referral: [['BONUS', 200]] });
    expect(await seen(referrer.id)).toEqual({ available: 200, pending: 0, referral: [['BONUS', 200]] });
    expect(await ledgerViolations(gw)).toEqual([]);
  });

  it('referralMinimumPoints is configurable (default 1, at least 1); a refund below it takes the bonuses back', async () => {
    expect((await gw.ok(ReferralSettingsDocument, {}, gw.adminToken)).programSettings).toEqual({ referralBonusPoints: 200, referralMinimumPoints: 1 });
    for (const bad of [0, -1, 1_000_001]) {
      const refused = await gw.gql(SetReferralSettingsDocument, { input: { referralMinimumPoints: bad } }, gw.adminToken);
      expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.referralMinimumPoints' });
    }
    const cafe = await newPartner(gw);
    const byPartner = await gw.gql(SetReferralSettingsDocument, { input: { referralMinimumPoints: 5 } }, cafe.apiKey);
    expect(byPartner.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await gw.ok(ReferralSettingsDocument, {}, gw.adminToken)).programSettings.referralMinimumPoints).toBe(1);

    await gw.ok(SetReferralSettingsDocument, { input: { referralMinimumPoints: 50 } }, gw.adminToken);
    try {
      const referrer = await enroll(cafe);
      const referred = await enroll(cafe, referrer.referralCode);
      await earn(gw, cafe, referred, '30.00');
      await earn(gw, cafe, referred, '49.99');
      expect(await seen(referrer.id)).toMatchObject({ available: 0, referral: [] });
      const counts = await earn(gw, cafe, referred, '50.00');
      expect(await seen(referred.id)).toMatchObject({ available: 30 + 49 + 50 + 200, referral: [['BONUS', 200]] });
      expect(await seen(referrer.id)).toMatchObject({ available: 200, referral: [['BONUS', 200]] });

      // Refunded down to 49 points, the purchase no longer counts: both bonuses go.
      await reverse(cafe, counts.id, 1);
      expect(await seen(referred.id)).toMatchObject({
        available: 30 + 49 + 49,
        referral: [
          ['BONUS', 200],
          ['REVERSAL', -200],
        ],
      });
      expect(await seen(referrer.id)).toMatchObject({
        available: 0,
        referral: [
          ['BONUS', 200],
          ['REVERSAL', -200],
        ],
      });
      // And a later purchase is not a new chance: the bonus was given once.
      await earn(gw, cafe, referred, '60.00');
      expect((await seen(referrer.id)).available).toBe(0);
      expect(await ledgerViolations(gw)).toEqual([]);
    } finally {
      await gw.ok(SetReferralSettingsDocument, { input: { referralMinimumPoints: 1 } }, gw.adminToken);
    }
  });

  it('inside a return window both bonuses are pending with the purchase and the release job frees them with it', async () => {
    const shop = await newPartner(gw);
    await gw.ok(SetPartnerSettingsDocument, { partnerId: shop.id, pendingDays: 14 }, shop.apiKey);
    const referrer = await enroll(shop);
    const referred = await enroll(shop, referrer.referralCode);
    await earn(gw, shop, referred, '50.00');
    expect(await seen(referred.id)).toEqual({ available: 0, pending: 50 + 200, referral: [['BONUS', 200]] });
    expect(await seen(referrer.id)).toEqual({ available: 0, pending: 200, referral: [['BONUS', 200]] });
    const [lots] = await gw.sql<{ until: number }>(
      `SELECT count(DISTINCT pending_until)::int AS until FROM points_lot WHERE member_id = ANY($1::uuid[]) AND pending > 0`,
      [[referred.id, referrer.id]],
    );
    expect(lots!.until).toBe(1); // the purchase's lot and both bonus lots: one release time
    expect(await ledgerViolations(gw)).toEqual([]);

    await releasePendingPoints(gw.db, inDays(13));
    expect(await seen(referrer.id)).toMatchObject({ available: 0, pending: 200 });
    await releasePendingPoints(gw.db, inDays(15));
    expect(await seen(referred.id)).toMatchObject({ available: 250, pending: 0 });
    expect(await seen(referrer.id)).toMatchObject({ available: 200, pending: 0 });
    expect(await ledgerViolations(gw)).toEqual([]);
  });

  it('a refund while pending cancels the pending bonuses; after release it takes them from the balance', async () => {
    const shop = await newPartner(gw);
    await gw.ok(SetPartnerSettingsDocument, { partnerId: shop.id, pendingDays: 14 }, shop.apiKey);
    const taken = [
      ['BONUS', 200],
      ['REVERSAL', -200],
    ];

    const early = await enroll(shop);
    const earlyFriend = await enroll(shop, early.referralCode);
    const returned = await earn(gw, shop, earlyFriend, '50.00');
    expect(await seen(early.id)).toEqual({ available: 0, pending: 200, referral: [['BONUS', 200]] });
    await reverse(shop, returned.id);
    expect(await seen(earlyFriend.id)).toEqual({ available: 0, pending: 0, referral: taken });
    expect(await seen(early.id)).toEqual({ available: 0, pending: 0, referral: taken });
    expect(await ledgerViolations(gw)).toEqual([]);

    const late = await enroll(shop);
    const lateFriend = await enroll(shop, late.referralCode);
    const kept = await earn(gw, shop, lateFriend, '50.00');
    await releasePendingPoints(gw.db, inDays(15));
    expect(await seen(late.id)).toMatchObject({ available: 200, pending: 0 });
    await reverse(shop, kept.id);
    expect(await seen(lateFriend.id)).toEqual({ available: 0, pending: 0, referral: taken });
    expect(await seen(late.id)).toEqual({ available: 0, pending: 0, referral: taken });
    // The released points were spendable; nothing is left pending to release again.
    await releasePendingPoints(gw.db, inDays(30));
    expect(await seen(late.id)).toMatchObject({ available: 0, pending: 0 });
    expect(await ledgerViolations(gw)).toEqual([]);
  });

  it('the bonuses are final 30 days after the return window ended', async () => {
    const shop = await newPartner(gw);
    await gw.ok(SetPartnerSettingsDocument, { partnerId: shop.id, pendingDays: 14 }, shop.apiKey);
    const pairs = [];
    for (const daysAgo of [43, 45]) {
      const referrer = await enroll(shop);
      const referred = await enroll(shop, referrer.referralCode);
      const purchase = await earn(gw, shop, referred, '50.00');
      pairs.push({ daysAgo, referrer, referred, purchase });
    }
    await releasePendingPoints(gw.db, inDays(15));
    for (const { daysAgo, purchase } of pairs) {
      await rewriteLedgerHistory(gw, `UPDATE ledger_transaction SET created_at = now() - make_interval(days => $2) WHERE id = $1`, [purchase.id, daysAgo]);
      await reverse(shop, purchase.id);
    }
    // 14 + 30 days: at 43 days the refund still takes the bonuses back; at 45 it does not.
    expect(await seen(pairs[0]!.referrer.id)).toMatchObject({
      available: 0,
      referral: [
        ['BONUS', 200],
        ['REVERSAL', -200],
      ],
    });
    expect(await seen(pairs[1]!.referrer.id)).toMatchObject({ available: 200, referral: [['BONUS', 200]] });
    expect(await seen(pairs[1]!.referred.id)).toMatchObject({ available: 200 });
    expect(await ledgerViolations(gw)).toEqual([]);
  });
});
