import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuditLogDocument,
  CancelMembershipDocument,
  CreateEarnRuleDocument,
  CreateMembershipPlanDocument,
  CreatePunchCardDocument,
  EarnWithBreakdownDocument,
  EarnRuleInput,
  MemberPerksDocument,
  PreviewEarnDocument,
  ReverseTransactionDocument,
  SettlementDocument,
  StartMembershipDocument,
  UpdateEarnRuleDocument,
} from './generated/graphql';
import { startTestGateway, TestGateway } from './support/gateway';
import { earn, earnInput, ledgerViolations, newMember, newPartner, newReward, TestMember, TestPartner, uniq } from './support/factories';
import { isoWeekday } from '../src/modules/earning/points-calculator';
import { Exact } from '../src/money/decimal';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw?.stop());

async function rule(token: string, input: EarnRuleInput) {
  return (await gw.ok(CreateEarnRuleDocument, { input }, token)).createEarnRule;
}

/** Earn, and check what every earn must satisfy: the breakdown adds up to the points. */
async function earnWith(partner: TestPartner, member: TestMember, amount: string, extra: Record<string, unknown> = {}) {
  const { earnPoints } = await gw.ok(
    EarnWithBreakdownDocument,
    { input: earnInput(member, amount, { currencyCode: partner.currencyCode, ...extra }) },
    partner.apiKey,
  );
  expect(earnPoints.breakdown.reduce((s, c) => s + c.points, 0)).toBe(earnPoints.points);
  return earnPoints;
}

const parts = (b: { source: string; points: number }[]) => b.map((c) => [c.source, c.points]);

describe('earn rules, each kind alone', () => {
  it('MULTIPLIER doubles base points as a CAMPAIGN component', async () => {
    const cafe = await newPartner(gw, { earnRate: '1' });
    const member = await newMember(gw, cafe);
    const r = await rule(cafe.apiKey, { name: 'Double points', kind: 'MULTIPLIER', multiplier: '2' });
    const tx = await earnWith(cafe, member, '100.00');
    expect(tx.points).toBe(200);
    expect(tx.breakdown).toEqual([
      { source: 'BASE', ruleId: null, points: 100, funder: 'PARTNER' },
      { source: 'CAMPAIGN', ruleId: r.id, points: 100, funder: 'PARTNER' },
    ]);
  });

  it('CASHBACK returns a percentage of the spend as points at the burn rate, exactly', async () => {
    const cafe = await newPartner(gw, { earnRate: '1', burnRate: '0.01' });
    const member = await newMember(gw, cafe);
    await rule(cafe.apiKey, { name: '5% back', kind: 'CASHBACK', percent: '5' });
    // 5 % of 100 MYR at 0.01 MYR/point = 500 points (the example).
    expect(parts((await earnWith(cafe, member, '100.00')).breakdown)).toEqual([
      ['BASE', 100],
      ['CASHBACK', 500],
    ]);
    const odd = await newPartner(gw, { earnRate: '1', burnRate: '0.03' });
    await rule(odd.apiKey, { name: '5% back', kind: 'CASHBACK', percent: '5' });
    // 99.99 × 0.05 / 0.03 = 166.65 → 166 (a float would say 166.64999…).
    expect(parts((await earnWith(odd, member, '99.99')).breakdown)).toEqual([
      ['BASE', 99],
      ['CASHBACK', 166],
    ]);
  });

  it('BONUS adds fixed points per qualifying purchase, capped by nothing but itself', async () => {
    const cafe = await newPartner(gw);
    const member = await newMember(gw, cafe);
    await rule(cafe.apiKey, { name: 'Welcome 50', kind: 'BONUS', bonusPoints: 50, conditions: { minSpend: '20' } });
    expect(parts((await earnWith(cafe, member, '19.99')).breakdown)).toEqual([['BASE', 19]]);
    expect(parts((await earnWith(cafe, member, '20.00')).breakdown)).toEqual([
      ['BASE', 20],
      ['BONUS', 50],
    ]);
  });
});

describe('conditions', () => {
  it('a category rule counts only the matching items of a mixed basket', async () => {
    const cafe = await newPartner(gw);
    const member = await newMember(gw, cafe);
    await rule(cafe.apiKey, { name: 'Triple on drinks', kind: 'MULTIPLIER', multiplier: '3', conditions: { categories: ['Drinks'] } });
    const items = [
      { sku: 'KOPI', category: 'drinks', quantity: 2, amount: '30.00' },
      { sku: 'CAKE', category: 'food', quantity: 1, amount: '20.00' },
    ];
    // base 50; campaign on the 30.00 of drinks only: 30 × (3 − 1) = 60.
    expect(parts((await earnWith(cafe, member, '50.00', { items })).breakdown)).toEqual([
      ['BASE', 50],
      ['CAMPAIGN', 60],
    ]);
    // Without items the purchase has no drinks to count.
    expect(parts((await earnWith(cafe, member, '50.00')).breakdown)).toEqual([['BASE', 50]]);
  });

  it('refuses items that do not add up to the amount, writing nothing', async () => {
    const cafe = await newPartner(gw);
    const member = await newMember(gw, cafe);
    const r = await gw.gql(
      EarnWithBreakdownDocument,
      { input: earnInput(member, '50.00', { items: [{ sku: 'A', quantity: 1, amount: '49.00' }] }) },
      cafe.apiKey,
    );
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.items' });
    expect(await gw.sql(`SELECT 1 FROM ledger_transaction WHERE member_id = $1`, [member.id])).toHaveLength(0);
  });

  it('date window, weekday, channel and tier conditions switch a rule on and off', async () => {
    const cafe = await newPartner(gw);
    const member = await newMember(gw, cafe);
    const hour = 3_600_000;
    const today = isoWeekday(new Date(), 'UTC');
    const otherDay = (today % 7) + 1;
    await rule(cafe.apiKey, { name: 'future', kind: 'BONUS', bonusPoints: 1, conditions: { startsAt: new Date(Date.now() + hour).toISOString() } });
    await rule(cafe.apiKey, { name: 'over', kind: 'BONUS', bonusPoints: 2, conditions: { endsAt: new Date(Date.now() - hour).toISOString() } });
    await rule(cafe.apiKey, {
      name: 'now',
      kind: 'BONUS',
      bonusPoints: 4,
      conditions: { startsAt: new Date(Date.now() - hour).toISOString(), endsAt: new Date(Date.now() + hour).toISOString() },
    });
    await rule(cafe.apiKey, { name: 'not today', kind: 'BONUS', bonusPoints: 8, conditions: { daysOfWeek: [otherDay] } });
    await rule(cafe.apiKey, { name: 'today', kind: 'BONUS', bonusPoints: 16, conditions: { daysOfWeek: [today] } });
    await rule(cafe.apiKey, { name: 'app only', kind: 'BONUS', bonusPoints: 32, conditions: { channels: ['APP'] } });
    const gold = (await gw.sql<{ id: string }>(`SELECT id FROM tier WHERE name = 'Gold'`))[0]!.id;
    await rule(cafe.apiKey, { name: 'gold only', kind: 'BONUS', bonusPoints: 64, conditions: { minTierId: gold } });
    const bonus = (tx: { breakdown: { source: string; points: number }[] }) =>
      tx.breakdown.filter((c) => c.source === 'BONUS').reduce((s, c) => s + c.points, 0);
    expect(bonus(await earnWith(cafe, member, '1.00', { channel: 'IN_STORE' }))).toBe(4 + 16);
    expect(bonus(await earnWith(cafe, member, '1.00', { channel: 'APP' }))).toBe(4 + 16 + 32);
    await gw.sql(`UPDATE member SET tier_id = $2 WHERE id = $1`, [member.id, gold]);
    expect(bonus(await earnWith(cafe, member, '1.00', { channel: 'APP' }))).toBe(4 + 16 + 32 + 64);
  });
});

describe('stacking', () => {
  it('tier, membership and campaigns each add their extra on the base; none compounds another', async () => {
    const cafe = await newPartner(gw, { earnRate: '1' });
    const member = await newMember(gw, cafe);
    const silver = (await gw.sql<{ id: string }>(`SELECT id FROM tier WHERE name = 'Silver'`))[0]!.id;
    await gw.sql(`UPDATE member SET tier_id = $2 WHERE id = $1`, [member.id, silver]); // ×1.25
    const own = await rule(cafe.apiKey, { name: 'x2', kind: 'MULTIPLIER', multiplier: '2' });
    const capped = await rule(cafe.apiKey, { name: 'x3 capped', kind: 'MULTIPLIER', multiplier: '3', maxPoints: 50 });
    const wide = await rule(gw.adminToken, { name: 'coalition x1.5', kind: 'MULTIPLIER', multiplier: '1.5' });
    const { createMembershipPlan: plan } = await gw.ok(
      CreateMembershipPlanDocument,
      { input: { name: uniq('Plus'), price: '9.90', currencyCode: 'MYR', periodMonths: 1, earnMultiplier: '1.1' } },
      gw.adminToken,
    );
    await gw.ok(StartMembershipDocument, { memberId: member.id, planId: plan.id, ref: uniq('pay'), key: uniq('k') }, cafe.apiKey);
    const tx = await earnWith(cafe, member, '100.00');
    expect(tx.breakdown).toEqual([
      { source: 'BASE', ruleId: null, points: 100, funder: 'PARTNER' },
      { source: 'TIER', ruleId: null, points: 25, funder: 'PARTNER' },
      { source: 'MEMBERSHIP', ruleId: plan.id, points: 10, funder: 'COALITION' },
      { source: 'CAMPAIGN', ruleId: own.id, points: 100, funder: 'PARTNER' },
      { source: 'CAMPAIGN', ruleId: capped.id, points: 50, funder: 'PARTNER' },
      { source: 'CAMPAIGN', ruleId: wide.id, points: 50, funder: 'COALITION' },
    ]);
    expect(tx.points).toBe(335);
    // Coalition-wide rules apply everywhere: switch it off so other tests are not affected.
    await gw.ok(
      UpdateEarnRuleDocument,
      { id: wide.id, input: { name: 'coalition x1.5', kind: 'MULTIPLIER', multiplier: '1.5', active: false } },
      gw.adminToken,
    );
    expect(await ledgerViolations(gw)).toEqual([]);
  });

  it('BASE + TIER is floor(amount × earnRate × tier multiplier), rounded once: 10.99 MYR at 2.5 gives Silver 34 and Gold 41', async () => {
    const cafe = await newPartner(gw, { earnRate: '2.5' });
    const tiers = await gw.sql<{ name: string; id: string }>(`SELECT name, id FROM tier WHERE name IN ('Silver', 'Gold')`);
    // base 27.475: Silver ×1.25 = 34.34375 → 34 (27 + 7), Gold ×1.5 = 41.2125 → 41 (27 + 14);
    // rounding the tier's extra on its own would give 27 + 6 and 27 + 13.
    for (const [name, points, tier] of [
      ['Silver', 34, 7],
      ['Gold', 41, 14],
    ] as const) {
      const member = await newMember(gw, cafe);
      await gw.sql(`UPDATE member SET tier_id = $2 WHERE id = $1`, [member.id, tiers.find((t) => t.name === name)!.id]);
      const purchase = { memberId: member.id, amount: '10.99', currencyCode: 'MYR' };
      const { previewEarn } = await gw.ok(PreviewEarnDocument, { input: purchase }, cafe.apiKey);
      const tx = await earnWith(cafe, member, '10.99');
      expect(tx.points, name).toBe(points);
      expect(tx.balanceAfter, name).toBe(points);
      expect(parts(tx.breakdown), name).toEqual([
        ['BASE', 27],
        ['TIER', tier],
      ]);
      expect(previewEarn.points, name).toBe(points);
      expect(previewEarn.breakdown, name).toEqual(tx.breakdown);
    }
    expect(await ledgerViolations(gw)).toEqual([]);
  });

  it('previewEarn shows exactly what the earn then records, and writes nothing', async () => {
    const cafe = await newPartner(gw);
    const member = await newMember(gw, cafe);
    await rule(cafe.apiKey, { name: 'x2 drinks', kind: 'MULTIPLIER', multiplier: '2', conditions: { categories: ['drinks'] } });
    await rule(cafe.apiKey, { name: '3% back', kind: 'CASHBACK', percent: '3' });
    const items = [
      { sku: 'KOPI', category: 'drinks', quantity: 1, amount: '12.40' },
      { sku: 'ROTI', category: 'food', quantity: 1, amount: '7.35' },
    ];
    const purchase = { memberId: member.id, amount: '19.75', currencyCode: 'MYR', items };
    const { previewEarn } = await gw.ok(PreviewEarnDocument, { input: purchase }, cafe.apiKey);
    expect(await gw.sql(`SELECT 1 FROM ledger_transaction WHERE member_id = $1`, [member.id])).toHaveLength(0);
    const tx = await earnWith(cafe, member, '19.75', { items });
    expect(tx.points).toBe(previewEarn.points);
    expect(tx.breakdown).toEqual(previewEarn.breakdown);
    const denied = await gw.gql(PreviewEarnDocument, { input: purchase }, member.token);
    expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('a replay returns the original breakdown even after the rules changed', async () => {
    const cafe = await newPartner(gw);
    const member = await newMember(gw, cafe);
    const r = await rule(cafe.apiKey, { name: 'x2', kind: 'MULTIPLIER', multiplier: '2' });
    const input = earnInput(member, '10.00');
    const first = (await gw.ok(EarnWithBreakdownDocument, { input }, cafe.apiKey)).earnPoints;
    await gw.ok(UpdateEarnRuleDocument, { id: r.id, input: { name: 'x2', kind: 'MULTIPLIER', multiplier: '2', active: false } }, cafe.apiKey);
    const again = (await gw.ok(EarnWithBreakdownDocument, { input }, cafe.apiKey)).earnPoints;
    expect(again).toEqual(first);
  });
});

describe('punch cards', () => {
  it('punch per qualifying purchase; the full card gives the reward as a zero-point redemption and restarts', async () => {
    const cafe = await newPartner(gw);
    const member = await newMember(gw, cafe);
    const freeKopi = await newReward(gw, cafe, { pointsCost: 120, stock: 10 });
    const { createPunchCard: card } = await gw.ok(
      CreatePunchCardDocument,
      { input: { name: 'Kopi card', punchesRequired: 3, rewardId: freeKopi.id, minSpend: '5.00' } },
      cafe.apiKey,
    );
    await earn(gw, cafe, member, '6.00');
    await earn(gw, cafe, member, '4.99'); // below minSpend: no punch
    await earn(gw, cafe, member, '7.00');
    let perks = (await gw.ok(MemberPerksDocument, { id: member.id }, member.token)).member!;
    expect(perks.punchCards).toEqual([{ card: { id: card.id, name: 'Kopi card', punchesRequired: 3 }, punches: 2, completedCount: 0 }]);
    expect(perks.redemptions.totalCount).toBe(0);
    const balanceBefore = (await gw.sql<{ balance: number }>(`SELECT balance FROM account WHERE member_id = $1`, [member.id]))[0]!.balance;
    await earn(gw, cafe, member, '5.00');
    perks = (await gw.ok(MemberPerksDocument, { id: member.id }, member.token)).member!;
    expect(perks.punchCards[0]).toMatchObject({ punches: 0, completedCount: 1 });
    expect(perks.redemptions.totalCount).toBe(1);
    const gift = perks.redemptions.edges[0]!.node;
    expect(gift).toMatchObject({ pointsSpent: 0, reward: { id: freeKopi.id }, transaction: { type: 'REDEEM', points: 0 } });
    expect(gift.transaction.breakdown).toEqual([{ source: 'PUNCH_CARD', ruleId: card.id, points: 0, funder: null }]);
    expect(gift.code).toMatch(/^[0-9A-Z]{4}-/);
    // The gift cost no points: the balance only grew by the last earn.
    expect((await gw.sql<{ balance: number }>(`SELECT balance FROM account WHERE member_id = $1`, [member.id]))[0]!.balance).toBe(balanceBefore + 5);
    expect(await gw.sql(`SELECT stock FROM reward WHERE id = $1`, [freeKopi.id])).toEqual([{ stock: 9 }]);
    expect(await ledgerViolations(gw)).toEqual([]);
  });

  it("a partner cannot put another partner's reward on its card", async () => {
    const cafe = await newPartner(gw);
    const other = await newPartner(gw);
    const reward = await newReward(gw, other, { pointsCost: 10 });
    const r = await gw.gql(CreatePunchCardDocument, { input: { name: 'x', punchesRequired: 2, rewardId: reward.id } }, cafe.apiKey);
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.rewardId' });
  });
});

describe('paid memberships', () => {
  it('the multiplier applies while active, not after cancellation or once the period is over', async () => {
    const cafe = await newPartner(gw);
    const member = await newMember(gw, cafe);
    const { createMembershipPlan: plan } = await gw.ok(
      CreateMembershipPlanDocument,
      { input: { name: uniq('Prime'), price: '19.00', currencyCode: 'MYR', periodMonths: 12, earnMultiplier: '2' } },
      gw.adminToken,
    );
    const key = uniq('k');
    const start = () => gw.ok(StartMembershipDocument, { memberId: member.id, planId: plan.id, ref: 'pay_123', key }, cafe.apiKey);
    const first = (await start()).startMembership;
    expect((await start()).startMembership).toEqual(first); // idempotent replay
    expect(first.status).toBe('ACTIVE');
    expect(parts((await earnWith(cafe, member, '10.00')).breakdown)).toEqual([
      ['BASE', 10],
      ['MEMBERSHIP', 10],
    ]);
    expect((await gw.ok(CancelMembershipDocument, { memberId: member.id }, member.token)).cancelMembership.status).toBe('CANCELLED');
    expect(parts((await earnWith(cafe, member, '10.00')).breakdown)).toEqual([['BASE', 10]]);

    await gw.ok(StartMembershipDocument, { memberId: member.id, planId: plan.id, ref: 'pay_124', key: uniq('k') }, cafe.apiKey);
    expect(parts((await earnWith(cafe, member, '10.00')).breakdown)).toEqual([
      ['BASE', 10],
      ['MEMBERSHIP', 10],
    ]);
    await gw.sql(`UPDATE membership SET current_period_end = now() - interval '1 second' WHERE member_id = $1 AND status = 'ACTIVE'`, [member.id]);
    expect(parts((await earnWith(cafe, member, '10.00')).breakdown)).toEqual([['BASE', 10]]);
    const perks = (await gw.ok(MemberPerksDocument, { id: member.id }, cafe.apiKey)).member!;
    expect(perks.membership).toMatchObject({ status: 'EXPIRED', externalPaymentRef: 'pay_124', plan: { id: plan.id, price: { amount: '19.00' } } });
    // The payment reference is the café's record: the member's token (held by some partner's app) does not show it.
    const own = (await gw.ok(MemberPerksDocument, { id: member.id }, member.token)).member!;
    expect(own.membership).toMatchObject({ status: 'EXPIRED', externalPaymentRef: null, plan: { id: plan.id } });
  });
});

describe('funding', () => {
  it('coalition-wide rules are issued by the coalition: its own settlement line, and refunds share out', async () => {
    const from = new Date(Date.now() - 1000).toISOString();
    const cafe = await newPartner(gw, { earnRate: '1', burnRate: '0.01' });
    const member = await newMember(gw, cafe);
    // Other tests' coalition-funded points may fall in this period too: count from a baseline.
    const lines = async () => {
      const { settlement } = await gw.ok(SettlementDocument, { from, to: new Date(Date.now() + 1000).toISOString() }, gw.adminToken);
      const cafeLine = settlement.find((l) => l.partner.id === cafe.id)!;
      const coalitionLine = settlement.find((l) => l.partner.slug === 'coalition')!;
      return {
        cafe: [cafeLine.pointsIssued, cafeLine.owedByPartner.amount],
        coalition: [coalitionLine.pointsIssued, new Exact(coalitionLine.owedByPartner.amount)],
      };
    };
    const before = (await lines()).coalition;
    const delta = async () => {
      const now = await lines();
      return {
        cafe: now.cafe,
        coalition: [(now.coalition[0] as number) - (before[0] as number), (now.coalition[1] as Exact).minus(before[1] as Exact).toFixed(2)],
      };
    };
    const wide = await rule(gw.adminToken, { name: 'Coalition week', kind: 'BONUS', bonusPoints: 100, conditions: { minSpend: '77.77' } });
    const tx = await earnWith(cafe, member, '77.77');
    await gw.ok(UpdateEarnRuleDocument, { id: wide.id, input: { name: 'Coalition week', kind: 'BONUS', bonusPoints: 100, active: false } }, gw.adminToken);
    expect(tx.breakdown).toEqual([
      { source: 'BASE', ruleId: null, points: 77, funder: 'PARTNER' },
      { source: 'BONUS', ruleId: wide.id, points: 100, funder: 'COALITION' },
    ]);
    expect(await delta()).toEqual({ cafe: [77, '0.77'], coalition: [100, '1.00'] });
    // Refund 88 of the 177 points: each issuer takes back its share (77:100 → 38 and 50).
    await gw.ok(ReverseTransactionDocument, { input: { transactionId: tx.id, points: 88, idempotencyKey: uniq('rev') } }, cafe.apiKey);
    expect(await delta()).toEqual({ cafe: [39, '0.39'], coalition: [50, '0.50'] });
    await gw.ok(ReverseTransactionDocument, { input: { transactionId: tx.id, idempotencyKey: uniq('rev') } }, cafe.apiKey);
    expect(await delta()).toEqual({ cafe: [0, '0.00'], coalition: [0, '0.00'] });
    expect(await ledgerViolations(gw)).toEqual([]);
  });
});

describe('who may manage rules', () => {
  it('a partner manages only its own; members and anonymous callers none', async () => {
    const cafe = await newPartner(gw);
    const other = await newPartner(gw);
    const member = await newMember(gw, cafe);
    const input = { name: 'x2', kind: 'MULTIPLIER' as const, multiplier: '2' };
    const forOther = await gw.gql(CreateEarnRuleDocument, { input: { ...input, partnerId: other.id } }, cafe.apiKey);
    expect(forOther.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await gw.gql(CreateEarnRuleDocument, { input }, member.token)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await gw.gql(CreateEarnRuleDocument, { input })).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const theirs = await rule(other.apiKey, input);
    const hijack = await gw.gql(UpdateEarnRuleDocument, { id: theirs.id, input: { ...input, multiplier: '9' } }, cafe.apiKey);
    expect(hijack.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const badKind = await gw.gql(CreateEarnRuleDocument, { input: { name: 'x', kind: 'BONUS', multiplier: '2' } }, cafe.apiKey);
    expect(badKind.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.bonusPoints' });
    expect(await gw.sql(`SELECT 1 FROM earn_rule WHERE partner_id = $1`, [cafe.id])).toHaveLength(0);
  });
});

describe('audit trail', () => {
  it('records rule, punch card and plan changes with who, what and the previous value', async () => {
    const cafe = await newPartner(gw);
    const r = await rule(cafe.apiKey, { name: 'x2', kind: 'MULTIPLIER', multiplier: '2' });
    await gw.ok(UpdateEarnRuleDocument, { id: r.id, input: { name: 'x3', kind: 'MULTIPLIER', multiplier: '3' } }, cafe.apiKey);
    const reward = await newReward(gw, cafe, { pointsCost: 10 });
    await gw.ok(CreatePunchCardDocument, { input: { name: 'card', punchesRequired: 5, rewardId: reward.id } }, cafe.apiKey);
    const { auditLog } = await gw.ok(AuditLogDocument, { filter: { partnerId: cafe.id }, first: 10 }, gw.adminToken);
    const entries = auditLog.edges.map((e) => e.node);
    const changed = entries.find((e) => e.action === 'EARN_RULE_CHANGED')!;
    expect(changed).toMatchObject({ actorKind: 'PARTNER', targetId: r.id, partner: { id: cafe.id } });
    expect(changed.previousValue).toMatchObject({ name: 'x2', multiplier: '2' });
    expect(changed.newValue).toMatchObject({ name: 'x3', multiplier: '3' });
    expect(entries.map((e) => e.action)).toEqual(expect.arrayContaining(['EARN_RULE_CREATED', 'EARN_RULE_CHANGED', 'PUNCH_CARD_CREATED']));
    const { createMembershipPlan: plan } = await gw.ok(
      CreateMembershipPlanDocument,
      { input: { name: uniq('Audit plan'), price: '5.00', currencyCode: 'MYR', periodMonths: 1, earnMultiplier: '1.2' } },
      gw.adminToken,
    );
    const plans = (await gw.ok(AuditLogDocument, { filter: { action: 'MEMBERSHIP_PLAN_CREATED' }, first: 50 }, gw.adminToken)).auditLog;
    expect(plans.edges.map((e) => e.node)).toEqual(expect.arrayContaining([expect.objectContaining({ actorKind: 'ADMIN', targetId: plan.id })]));
  });
});
