// Campaign budgets and per-member caps on earn rules, through the real server: concurrent earns
// never overspend a budget, a refund gives the budget (and the member's cap) back, previewEarn
// shows the capped amount.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateBudgetedRuleDocument,
  EarnWithBreakdownDocument,
  PreviewEarnDocument,
  ReverseTransactionDocument,
  RuleBudgetsDocument,
  UpdateBudgetedRuleDocument,
} from './generated/graphql';
import { startTestGateway, TestGateway } from './support/gateway';
import { earnInput, ledgerViolations, newMember, newPartner, TestMember, TestPartner, uniq } from './support/factories';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw?.stop());

async function bonusRule(p: TestPartner, extra: Record<string, unknown>) {
  return (await gw.ok(CreateBudgetedRuleDocument, { input: { name: uniq('campaign'), kind: 'BONUS', bonusPoints: 100, ...extra } }, p.apiKey)).createEarnRule;
}
const earnAt = (p: TestPartner, member: TestMember, amount = '10.00') => gw.gql(EarnWithBreakdownDocument, { input: earnInput(member, amount) }, p.apiKey);
const bonusOf = (breakdown: { source: string; ruleId?: string | null; points: number }[], ruleId: string) =>
  breakdown.find((c) => c.source === 'BONUS' && c.ruleId === ruleId)?.points ?? 0;
const budgetOf = async (p: TestPartner, ruleId: string) =>
  (await gw.ok(RuleBudgetsDocument, { partnerId: p.id }, p.apiKey)).earnRules.find((r) => r.id === ruleId)!;

describe('campaign budgets', () => {
  it('50 concurrent earns against a budget worth 10 bonuses give exactly 10', async () => {
    const shop = await newPartner(gw);
    const rule = await bonusRule(shop, { budgetPoints: 1000 });
    expect(rule).toMatchObject({ budgetPoints: 1000, budgetUsed: 0, perMemberCap: null, capPeriodDays: null });
    const members = await Promise.all(Array.from({ length: 50 }, () => newMember(gw, shop)));
    const results = await Promise.all(members.map((m) => earnAt(shop, m)));
    expect(results.map((r) => r.errors)).toEqual(results.map(() => undefined));
    const bonuses = results.map((r) => bonusOf(r.data!.earnPoints.breakdown, rule.id));
    expect(bonuses.filter((b) => b === 100)).toHaveLength(10);
    expect(bonuses.filter((b) => b !== 100 && b !== 0)).toEqual([]);
    expect(results.every((r) => r.data!.earnPoints.points === 10 + bonusOf(r.data!.earnPoints.breakdown, rule.id))).toBe(true);
    expect((await budgetOf(shop, rule.id)).budgetUsed).toBe(1000);
    const [{ given }] = await gw.sql<{ given: string }>(
      `SELECT coalesce(sum((c->>'points')::bigint), 0) AS given FROM ledger_transaction t, jsonb_array_elements(t.breakdown) c WHERE c->>'ruleId' = $1`,
      [rule.id],
    );
    expect(Number(given)).toBe(1000);

    // A refund gives its bonus back to the budget: the next earn gets it again.
    const winner = results.find((r) => bonusOf(r.data!.earnPoints.breakdown, rule.id) === 100)!.data!.earnPoints;
    await gw.ok(ReverseTransactionDocument, { input: { transactionId: winner.id, idempotencyKey: uniq('refund') } }, shop.apiKey);
    expect((await budgetOf(shop, rule.id)).budgetUsed).toBe(900);
    const next = await earnAt(shop, members[0]!);
    expect(bonusOf(next.data!.earnPoints.breakdown, rule.id)).toBe(100);
    expect((await budgetOf(shop, rule.id)).budgetUsed).toBe(1000);
    expect(await ledgerViolations(gw)).toEqual([]);
  });

  it('previewEarn shows the capped amount; the last award is what the budget has left; then the rule stops applying', async () => {
    const shop = await newPartner(gw);
    const rule = await bonusRule(shop, { budgetPoints: 150 });
    const member = await newMember(gw, shop);
    const preview = async () =>
      (await gw.ok(PreviewEarnDocument, { input: { memberId: member.id, amount: '10.00', currencyCode: 'MYR' } }, shop.apiKey)).previewEarn;
    expect(bonusOf((await preview()).breakdown, rule.id)).toBe(100);
    expect(bonusOf((await earnAt(shop, member)).data!.earnPoints.breakdown, rule.id)).toBe(100);
    expect(bonusOf((await preview()).breakdown, rule.id)).toBe(50);
    const second = (await earnAt(shop, member)).data!.earnPoints;
    expect(bonusOf(second.breakdown, rule.id)).toBe(50);
    expect(second.points).toBe(60);
    const spent = await preview();
    expect(spent.breakdown.map((c) => c.source)).toEqual(['BASE']);
    expect(spent.points).toBe(10);
    expect(bonusOf((await earnAt(shop, member)).data!.earnPoints.breakdown, rule.id)).toBe(0);
    expect((await budgetOf(shop, rule.id)).budgetUsed).toBe(150);

    // The budget cannot go below what was given; raising it lets the rule apply again.
    const lower = await gw.gql(
      UpdateBudgetedRuleDocument,
      { id: rule.id, input: { name: 'c', kind: 'BONUS', bonusPoints: 100, budgetPoints: 149 } },
      shop.apiKey,
    );
    expect(lower.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.budgetPoints' });
    const raised = await gw.ok(
      UpdateBudgetedRuleDocument,
      { id: rule.id, input: { name: 'c', kind: 'BONUS', bonusPoints: 100, budgetPoints: 250 } },
      shop.apiKey,
    );
    expect(raised.updateEarnRule).toMatchObject({ budgetPoints: 250, budgetUsed: 150 });
    expect(bonusOf((await preview()).breakdown, rule.id)).toBe(100);
  });

  it('a partial refund gives back the share of the bonus it refunds', async () => {
    const shop = await newPartner(gw);
    const rule = await bonusRule(shop, { budgetPoints: 1000 });
    const member = await newMember(gw, shop);
    const e = (await earnAt(shop, member, '100.00')).data!.earnPoints; // 100 base + 100 bonus
    expect(e.points).toBe(200);
    await gw.ok(ReverseTransactionDocument, { input: { transactionId: e.id, points: 50, idempotencyKey: uniq('refund') } }, shop.apiKey);
    expect((await budgetOf(shop, rule.id)).budgetUsed).toBe(75);
    await gw.ok(ReverseTransactionDocument, { input: { transactionId: e.id, idempotencyKey: uniq('refund') } }, shop.apiKey);
    expect((await budgetOf(shop, rule.id)).budgetUsed).toBe(0);
  });
});

describe('per-member caps', () => {
  it('at most perMemberCap per member per period; other members unaffected; a refund frees the cap', async () => {
    const shop = await newPartner(gw);
    const rule = await bonusRule(shop, { perMemberCap: 150, capPeriodDays: 30 });
    expect(rule).toMatchObject({ budgetPoints: null, perMemberCap: 150, capPeriodDays: 30 });
    const [a, b] = await Promise.all([newMember(gw, shop), newMember(gw, shop)]);
    const first = (await earnAt(shop, a)).data!.earnPoints;
    expect(bonusOf(first.breakdown, rule.id)).toBe(100);
    expect(bonusOf((await earnAt(shop, a)).data!.earnPoints.breakdown, rule.id)).toBe(50);
    expect(bonusOf((await earnAt(shop, a)).data!.earnPoints.breakdown, rule.id)).toBe(0);
    expect(bonusOf((await earnAt(shop, b)).data!.earnPoints.breakdown, rule.id)).toBe(100);
    await gw.ok(ReverseTransactionDocument, { input: { transactionId: first.id, idempotencyKey: uniq('refund') } }, shop.apiKey);
    expect(bonusOf((await earnAt(shop, a)).data!.earnPoints.breakdown, rule.id)).toBe(100);

    // The next period starts afresh (the rule made 31 days ago: its second 30-day period began yesterday).
    await gw.sql(`UPDATE earn_rule SET created_at = created_at - interval '31 days' WHERE id = $1`, [rule.id]);
    expect(bonusOf((await earnAt(shop, a)).data!.earnPoints.breakdown, rule.id)).toBe(100);
    expect(await ledgerViolations(gw)).toEqual([]);
  });

  it('refuses bad limits on the field', async () => {
    const shop = await newPartner(gw);
    for (const [extra, field] of [
      [{ budgetPoints: 0 }, 'input.budgetPoints'],
      [{ budgetPoints: 1_000_000_001 }, 'input.budgetPoints'],
      [{ perMemberCap: -5 }, 'input.perMemberCap'],
      [{ capPeriodDays: 7 }, 'input.capPeriodDays'],
      [{ perMemberCap: 10, capPeriodDays: 0 }, 'input.capPeriodDays'],
    ] as const) {
      const r = await gw.gql(CreateBudgetedRuleDocument, { input: { name: 'x', kind: 'BONUS', bonusPoints: 1, ...extra } }, shop.apiKey);
      expect(r.errors?.[0]?.extensions, JSON.stringify(extra)).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
  });
});
