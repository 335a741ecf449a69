// Paying with points at a partner's till (issue 15, section 3): points × burnRate off the bill,
// rounded down to the currency's decimals, within the bill and the program's cap and minimum;
// refunded into the very lots; settled exactly as a reward redemption.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EarnPointsDocument,
  PayWithPointsDocument,
  RedeemRewardDocument,
  ReverseTransactionDocument,
  SetPartnerStatusDocument,
  SetPaymentSettingsDocument,
  SettlementDocument,
  SettlementMatrixDocument,
} from './generated/graphql';
import { startTestGateway, TestGateway } from './support/gateway';
import {
  balanceOf,
  earn,
  earnInput,
  ledgerViolations,
  linkPartner,
  lotsOf,
  newMember,
  newPartner,
  newReward,
  TestMember,
  TestPartner,
  uniq,
} from './support/factories';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw?.stop());

const DAY = 86_400_000;

const payInput = (member: TestMember, points: number, billAmount: string, currencyCode: string, extra: Record<string, unknown> = {}) => ({
  memberId: member.id,
  points,
  billAmount,
  currencyCode,
  externalRef: uniq('receipt'),
  idempotencyKey: uniq('pay'),
  ...extra,
});

const pay = (partner: TestPartner, input: ReturnType<typeof payInput>) => gw.gql(PayWithPointsDocument, { input }, partner.apiKey);

/** A member enrolled at `till` with `amount` earned there (earn rate 1: as many points). */
async function memberWith(till: TestPartner, amount: string) {
  const member = await newMember(gw, till);
  await earn(gw, till, member, amount);
  return member;
}

/** What a refused payment must leave untouched. */
async function books() {
  const [row] = await gw.sql(`
    SELECT (SELECT count(*) FROM ledger_transaction)::int AS transactions, (SELECT count(*) FROM points_payment)::int AS payments,
           (SELECT count(*) FROM idempotency_key)::int AS keys, (SELECT count(*) FROM outbox_event)::int AS events,
           (SELECT sum(remaining)::text FROM points_lot) AS lots, (SELECT sum(balance)::text FROM account WHERE kind = 'MEMBER') AS balances`);
  return row;
}

async function withPaymentSettings(settings: { maxPointsPaymentShare?: string; minPointsPerPayment?: number }, run: () => Promise<void>) {
  await gw.ok(SetPaymentSettingsDocument, { input: settings }, gw.adminToken);
  try {
    await run();
  } finally {
    await gw.ok(SetPaymentSettingsDocument, { input: { maxPointsPaymentShare: '1', minPointsPerPayment: 1 } }, gw.adminToken);
  }
}

describe('payWithPoints: the arithmetic', () => {
  it('MYR (2 decimals): 333 points at burn rate 0.015 take 4.99 off a 50.00 bill (4.995 rounded down), at the rate version in force', async () => {
    const cafe = await newPartner(gw, { currencyCode: 'MYR', earnRate: '1', burnRate: '0.015' });
    const member = await memberWith(cafe, '1000.00');
    const input = payInput(member, 333, '50.00', 'MYR');
    const { payWithPoints } = (await pay(cafe, input)).data!;
    expect(payWithPoints).toMatchObject({
      points: 333,
      externalRef: input.externalRef,
      discount: { amount: '4.99', currencyCode: 'MYR' },
      bill: { amount: '50.00', currencyCode: 'MYR' },
      member: { id: member.id, balance: { available: 667 } },
      partner: { id: cafe.id },
      transaction: {
        type: 'PAYMENT',
        points: -333,
        balanceAfter: 667,
        externalRef: input.externalRef,
        purchase: { amount: '50.00', currencyCode: 'MYR' },
        exchangeRate: { version: 1, burnRate: '0.015' },
      },
    });
    expect(await ledgerViolations(gw)).toEqual([]);
  });

  it('IDR at its ISO 4217 decimals (2, as the app treats IDR everywhere): 3 points at burn rate 35.125 take 105.37 off (105.375 rounded down)', async () => {
    const airline = await newPartner(gw, { currencyCode: 'IDR', earnRate: '0.01', burnRate: '35.125' });
    const member = await memberWith(airline, '100000');
    const { payWithPoints } = (await pay(airline, payInput(member, 3, '250000', 'IDR'))).data!;
    expect(payWithPoints.discount).toEqual({ amount: '105.37', currencyCode: 'IDR' });
    expect(payWithPoints.bill).toEqual({ amount: '250000.00', currencyCode: 'IDR' });
    // Whole-rupiah rates give whole rupiah: 700 points at 35 = 24,500.00.
    const flat = await newPartner(gw, { currencyCode: 'IDR', earnRate: '0.01', burnRate: '35' });
    const other = await memberWith(flat, '100000');
    expect((await pay(flat, payInput(other, 700, '30000', 'IDR'))).data!.payWithPoints.discount.amount).toBe('24500.00');
    // A bill with more decimals than the currency has is refused.
    const r = await pay(flat, payInput(other, 10, '30000.001', 'IDR'));
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.billAmount' });
  });

  it('the discount never exceeds the bill: 1,001 points at 0.01 on a 10.00 bill are refused naming input.points, with the most that fits', async () => {
    const cafe = await newPartner(gw);
    const member = await memberWith(cafe, '2000.00');
    const r = await pay(cafe, payInput(member, 1001, '10.00', 'MYR'));
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.points', discount: '10.01', maxPoints: 1000 });
    const ok = await pay(cafe, payInput(member, 1000, '10.00', 'MYR'));
    expect(ok.data?.payWithPoints.discount.amount).toBe('10.00');
  });

  it('the cap (maxPointsPaymentShare 0.5): at most half a bill; and the minimum points per payment', async () => {
    const cafe = await newPartner(gw);
    const member = await memberWith(cafe, '2000.00');
    await withPaymentSettings({ maxPointsPaymentShare: '0.5', minPointsPerPayment: 100 }, async () => {
      const over = await pay(cafe, payInput(member, 501, '10.00', 'MYR'));
      expect(over.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.points', maxDiscount: '5.00', maxPoints: 500 });
      const below = await pay(cafe, payInput(member, 99, '10.00', 'MYR'));
      expect(below.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.points', minimum: 100 });
      expect((await pay(cafe, payInput(member, 500, '10.00', 'MYR'))).data?.payWithPoints.discount.amount).toBe('5.00');
      expect((await pay(cafe, payInput(member, 100, '10.00', 'MYR'))).data?.payWithPoints.discount.amount).toBe('1.00');
    });
    expect(await balanceOf(gw, member.id)).toBe(1400);
    // The settings themselves are checked.
    for (const input of [{ maxPointsPaymentShare: '0' }, { maxPointsPaymentShare: '1.01' }, { minPointsPerPayment: 0 }]) {
      const r = await gw.gql(SetPaymentSettingsDocument, { input }, gw.adminToken);
      expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: `input.${Object.keys(input)[0]}` });
    }
  });
});

describe('payWithPoints: lots, refunds and settlement', () => {
  it('spends the lots that expire first, whoever issued them; a refund puts the points back into those very lots, once', async () => {
    const cafe = await newPartner(gw);
    const shop = await newPartner(gw);
    const airline = await newPartner(gw, { currencyCode: 'IDR', earnRate: '0.01', burnRate: '35' });
    const member = await memberWith(cafe, '300.00');
    await earn(gw, shop, member, '200.00');
    await linkPartner(gw, member, airline);
    await gw.sql(`UPDATE points_lot SET expires_at = now() + interval '30 days' WHERE member_id = $1 AND partner_id = $2`, [member.id, shop.id]);
    await gw.sql(`UPDATE points_lot SET expires_at = now() + interval '90 days' WHERE member_id = $1 AND partner_id = $2`, [member.id, cafe.id]);
    const before = await lotsOf(gw, member.id);
    const { payWithPoints } = (await pay(airline, payInput(member, 350, '100000', 'IDR'))).data!;
    const taken = await gw.sql<{ issuer: string; points: number }>(
      `SELECT l.partner_id AS issuer, c.points FROM lot_consumption c JOIN points_lot l ON l.id = c.lot_id WHERE c.transaction_id = $1 ORDER BY c.points DESC`,
      [payWithPoints.transaction.id],
    );
    expect(taken).toEqual([
      { issuer: shop.id, points: 200 },
      { issuer: cafe.id, points: 150 },
    ]);

    // Another partner may not refund it; a partial refund is refused; the till's refund is whole.
    const denied = await gw.gql(ReverseTransactionDocument, { input: { transactionId: payWithPoints.transaction.id, idempotencyKey: uniq('r') } }, cafe.apiKey);
    expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const partial = await gw.gql(
      ReverseTransactionDocument,
      { input: { transactionId: payWithPoints.transaction.id, points: 100, idempotencyKey: uniq('r') } },
      airline.apiKey,
    );
    expect(partial.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.points' });
    const { reverseTransaction } = await gw.ok(
      ReverseTransactionDocument,
      { input: { transactionId: payWithPoints.transaction.id, reason: 'returned at the counter', idempotencyKey: uniq('r') } },
      airline.apiKey,
    );
    expect(reverseTransaction).toMatchObject({
      type: 'REVERSAL',
      points: 350,
      balanceAfter: 500,
      reverses: { id: payWithPoints.transaction.id, type: 'PAYMENT' },
    });
    expect(await lotsOf(gw, member.id)).toEqual(before);
    const again = await gw.gql(
      ReverseTransactionDocument,
      { input: { transactionId: payWithPoints.transaction.id, idempotencyKey: uniq('r') } },
      airline.apiKey,
    );
    expect(again.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.transactionId' });
    expect(await balanceOf(gw, member.id)).toBe(500);
    expect(await ledgerViolations(gw)).toEqual([]);
  });

  it('settlement counts a payment exactly as a reward redemption: pointsRedeemed, owedToPartner, the issuer → redeemer matrix, and refunds', async () => {
    const from = new Date(Date.now() - 1000).toISOString();
    const cafe = await newPartner(gw, { currencyCode: 'MYR', earnRate: '1', burnRate: '0.01' });
    const airline = await newPartner(gw, { currencyCode: 'IDR', earnRate: '0.01', burnRate: '35' });
    const payer = await memberWith(cafe, '1000.00');
    const redeemer = await memberWith(cafe, '1000.00');
    await linkPartner(gw, payer, airline);
    // 400 points paid at the airline's till, and 400 spent on one of its rewards: the same to settlement.
    const { payWithPoints } = (await pay(airline, payInput(payer, 400, '50000', 'IDR'))).data!;
    expect(payWithPoints.discount.amount).toBe('14000.00');
    const reward = await newReward(gw, airline, { pointsCost: 400 });
    await gw.ok(RedeemRewardDocument, { input: { memberId: redeemer.id, rewardId: reward.id, idempotencyKey: uniq('redeem') } }, redeemer.token);
    // A payment of 100 more, refunded in the same period: it counts 100 − 100 = 0.
    const refunded = (await pay(airline, payInput(payer, 100, '50000', 'IDR'))).data!.payWithPoints;
    await gw.ok(ReverseTransactionDocument, { input: { transactionId: refunded.transaction.id, idempotencyKey: uniq('r') } }, airline.apiKey);

    const period = { from, to: new Date(Date.now() + DAY).toISOString() };
    const lines = (await gw.ok(SettlementDocument, period, gw.adminToken)).settlement;
    expect(lines.find((l) => l.partner.id === airline.id)).toMatchObject({
      pointsRedeemed: 800,
      owedToPartner: { amount: '28000.00', currencyCode: 'IDR' },
      net: { amount: '28000.00', currencyCode: 'IDR' },
    });
    expect(lines.find((l) => l.partner.id === cafe.id)).toMatchObject({ pointsIssued: 2000, pointsRedeemed: 0 });
    const flows = (await gw.ok(SettlementMatrixDocument, period, airline.apiKey)).settlementMatrix;
    expect(flows).toEqual([{ issuer: { id: cafe.id }, redeemer: { id: airline.id }, points: 800, value: { amount: '28000.00', currencyCode: 'IDR' } }]);
  });
});

describe('payWithPoints: idempotency, receipts and refusals', () => {
  it('replays under the same key, refuses another request under it, and pays a receipt once; earning on the rest of the bill is separate', async () => {
    const cafe = await newPartner(gw);
    const member = await memberWith(cafe, '1000.00');
    const input = payInput(member, 1000, '50.00', 'MYR');
    const first = (await pay(cafe, input)).data!.payWithPoints;
    const again = (await pay(cafe, input)).data!.payWithPoints;
    expect(again.id).toBe(first.id);
    expect(await balanceOf(gw, member.id)).toBe(0);
    const conflict = await pay(cafe, { ...input, points: 10 });
    expect(conflict.errors?.[0]?.extensions?.code).toBe('IDEMPOTENCY_CONFLICT');
    await earn(gw, cafe, member, '100.00');
    const sameReceipt = await pay(cafe, { ...input, points: 10, idempotencyKey: uniq('pay') });
    expect(sameReceipt.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.externalRef', originalPaymentId: first.id });
    // The till earns on what the member paid in money (50.00 − 10.00), under the same receipt.
    const rest = await gw.ok(EarnPointsDocument, { input: earnInput(member, '40.00', { externalRef: input.externalRef }) }, cafe.apiKey);
    expect(rest.earnPoints).toMatchObject({ type: 'EARN', points: 40, externalRef: input.externalRef });
    expect(await balanceOf(gw, member.id)).toBe(140);
  });

  it('refuses every bad input with a code naming the field, and writes nothing', async () => {
    const cafe = await newPartner(gw);
    const stranger = await newPartner(gw);
    const member = await memberWith(cafe, '100.00');
    const cases: [Record<string, unknown>, string, string, TestPartner | string][] = [
      [{ points: 0 }, 'BAD_USER_INPUT', 'input.points', cafe],
      [{ points: -5 }, 'BAD_USER_INPUT', 'input.points', cafe],
      [{ points: 101 }, 'INSUFFICIENT_POINTS', 'input.points', cafe],
      [{ points: 10_000_001 }, 'BAD_USER_INPUT', 'input.points', cafe],
      [{ billAmount: '0' }, 'BAD_USER_INPUT', 'input.billAmount', cafe],
      [{ billAmount: '-10.00' }, 'BAD_USER_INPUT', 'input.billAmount', cafe],
      [{ billAmount: '10.001' }, 'BAD_USER_INPUT', 'input.billAmount', cafe],
      [{ currencyCode: 'THB' }, 'BAD_USER_INPUT', 'input.currencyCode', cafe],
      [{ externalRef: '  ' }, 'BAD_USER_INPUT', 'input.externalRef', cafe],
      [{ idempotencyKey: '' }, 'BAD_USER_INPUT', 'input.idempotencyKey', cafe],
      [{ memberId: 'not-an-id' }, 'BAD_USER_INPUT', 'input.memberId', cafe],
      // Spending a member's points is acting for it: only a partner it linked.
      [{}, 'FORBIDDEN', 'input.memberId', stranger],
      [{ partnerId: stranger.id }, 'FORBIDDEN', 'input.partnerId', cafe],
      // An admin names the till's partner.
      [{}, 'BAD_USER_INPUT', 'input.partnerId', gw.adminToken],
    ];
    const before = await books();
    for (const [extra, code, field, by] of cases) {
      const input = { ...payInput(member, 10, '10.00', 'MYR'), ...extra };
      const r = await gw.gql(PayWithPointsDocument, { input } as never, typeof by === 'string' ? by : by.apiKey);
      expect([r.errors?.[0]?.extensions?.code, r.errors?.[0]?.extensions?.field], JSON.stringify(extra)).toEqual([code, field]);
    }
    // Not an integer: GraphQL's Int refuses it before the gateway runs.
    const fraction = await gw.gql(PayWithPointsDocument, { input: payInput(member, 1.5, '10.00', 'MYR') }, cafe.apiKey);
    expect(fraction.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(await books()).toEqual(before);
    // Worth less than a sen: 1 point at 0.001.
    const tiny = await newPartner(gw, { burnRate: '0.001' });
    const m2 = await memberWith(tiny, '10.00');
    const before2 = await books();
    const r = await pay(tiny, payInput(m2, 1, '10.00', 'MYR'));
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.points' });
    expect(await books()).toEqual(before2);
    expect(await balanceOf(gw, member.id)).toBe(100);
  });

  it('a suspended partner takes no points (PARTNER_SUSPENDED), nor does an admin at its till', async () => {
    const cafe = await newPartner(gw);
    const member = await memberWith(cafe, '100.00');
    await gw.ok(SetPartnerStatusDocument, { partnerId: cafe.id, status: 'SUSPENDED' }, gw.adminToken);
    const before = await books();
    expect((await pay(cafe, payInput(member, 10, '10.00', 'MYR'))).errors?.[0]?.extensions?.code).toBe('PARTNER_SUSPENDED');
    const byAdmin = await gw.gql(PayWithPointsDocument, { input: payInput(member, 10, '10.00', 'MYR', { partnerId: cafe.id }) }, gw.adminToken);
    expect(byAdmin.errors?.[0]?.extensions).toMatchObject({ code: 'PARTNER_SUSPENDED', field: 'input.partnerId' });
    expect(await books()).toEqual(before);
    await gw.ok(SetPartnerStatusDocument, { partnerId: cafe.id, status: 'ACTIVE' }, gw.adminToken);
    expect((await pay(cafe, payInput(member, 10, '10.00', 'MYR'))).data?.payWithPoints.points).toBe(10);
  });

  it('20 tills racing to spend 100 points each of a 1,000-point balance: exactly 10 succeed', async () => {
    const cafe = await newPartner(gw);
    const member = await memberWith(cafe, '1000.00');
    const results = await Promise.all(Array.from({ length: 20 }, () => pay(cafe, payInput(member, 100, '10.00', 'MYR'))));
    expect(results.filter((r) => r.data?.payWithPoints)).toHaveLength(10);
    expect(results.flatMap((r) => r.errors ?? []).map((e) => e.extensions?.code)).toEqual(Array(10).fill('INSUFFICIENT_POINTS'));
    expect(await balanceOf(gw, member.id)).toBe(0);
    expect(await ledgerViolations(gw)).toEqual([]);
  });
});
