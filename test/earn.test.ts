import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EarnPointsDocument, MemberBalanceDocument, MemberTransactionsDocument, MemberTransactionsQuery, SetExchangeRateDocument } from './generated/graphql';
import { startTestGateway, TestGateway } from './support/gateway';
import { earn, earnInput, ledgerViolations, newMember, newPartner, uniq } from './support/factories';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw?.stop());

describe('earnPoints', () => {
  it('credits floor(amount × earnRate × tier multiplier) at once and records the rate used', async () => {
    const cafe = await newPartner(gw, { earnRate: '2.5' });
    const member = await newMember(gw, cafe);
    const tx = await earn(gw, cafe, member, '10.99'); // 10.99 × 2.5 × 1 = 27.475 → 27
    expect(tx).toMatchObject({ type: 'EARN', points: 27, balanceAfter: 27, purchase: { amount: '10.99', currencyCode: 'MYR' } });
    expect(tx.exchangeRate).toMatchObject({ version: 1, earnRate: '2.5' });
    const { member: m } = await gw.ok(MemberBalanceDocument, { id: member.id }, member.token);
    expect(m?.balance).toEqual({ available: 27, lifetimeEarned: 27, qualifyingPoints: 27 });
    expect(await ledgerViolations(gw)).toEqual([]);
  });

  it('applies the tier multiplier, and upgrades the tier in the same transaction that crosses it', async () => {
    const cafe = await newPartner(gw, { earnRate: '1' });
    const member = await newMember(gw, cafe);
    // Bronze ×1: 5,000 points reaches Silver (5,000) exactly.
    const first = await earn(gw, cafe, member, '5000.00');
    expect(first.points).toBe(5000);
    expect(first.tierMultiplier).toBe('1');
    expect(first.member.tier.name).toBe('Silver');
    // Silver ×1.25: 101 × 1.25 = 126.25 → 126.
    const second = await earn(gw, cafe, member, '101.00');
    expect(second.points).toBe(126);
    expect(second.tierMultiplier).toBe('1.25');
    const { member: m } = await gw.ok(MemberBalanceDocument, { id: member.id }, cafe.apiKey);
    expect(m).toMatchObject({
      tier: { name: 'Silver' },
      nextTier: { name: 'Gold', qualifyingPoints: 20000 },
      pointsToNextTier: 20000 - 5126,
      balance: { available: 5126, lifetimeEarned: 5126, qualifyingPoints: 5126 },
    });
    const events = await gw.sql<{ topic: string }>(`SELECT topic FROM outbox_event WHERE member_id = $1 ORDER BY id`, [member.id]);
    // The enrolment's own event (for MEMBER_ENROLLED webhooks) comes first.
    expect(events.map((e) => e.topic)).toEqual(['MEMBER_ENROLLED', 'BALANCE_CHANGED', 'TIER_CHANGED', 'BALANCE_CHANGED']);
  });

  it('replays an idempotent retry: same key and input return the original, nothing new is written', async () => {
    const cafe = await newPartner(gw);
    const member = await newMember(gw, cafe);
    const input = earnInput(member, '12.00');
    const first = (await gw.ok(EarnPointsDocument, { input }, cafe.apiKey)).earnPoints;
    const countBefore = await gw.sql<{ n: number }>(`SELECT count(*)::int AS n FROM ledger_transaction`);
    const again = (await gw.ok(EarnPointsDocument, { input: { ...input, amount: '12.0' } }, cafe.apiKey)).earnPoints;
    expect(again.id).toBe(first.id);
    expect(again.balanceAfter).toBe(first.balanceAfter);
    expect(await gw.sql(`SELECT count(*)::int AS n FROM ledger_transaction`)).toEqual(countBefore);
    const { member: m } = await gw.ok(MemberBalanceDocument, { id: member.id }, cafe.apiKey);
    expect(m?.balance.available).toBe(12);
  });

  it('refuses the same key with a different amount: IDEMPOTENCY_CONFLICT, nothing written', async () => {
    const cafe = await newPartner(gw);
    const member = await newMember(gw, cafe);
    const input = earnInput(member, '12.00');
    await gw.ok(EarnPointsDocument, { input }, cafe.apiKey);
    const r = await gw.gql(EarnPointsDocument, { input: { ...input, amount: '13.00' } }, cafe.apiKey);
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'IDEMPOTENCY_CONFLICT', field: 'input.idempotencyKey' });
    const { member: m } = await gw.ok(MemberBalanceDocument, { id: member.id }, cafe.apiKey);
    expect(m?.balance.available).toBe(12);
  });

  it('scopes keys to the caller: two partners may use the same key independently', async () => {
    const a = await newPartner(gw);
    const b = await newPartner(gw);
    const member = await newMember(gw, a);
    const key = uniq('shared-key');
    await gw.ok(EarnPointsDocument, { input: earnInput(member, '10.00', { idempotencyKey: key }) }, a.apiKey);
    await gw.ok(EarnPointsDocument, { input: earnInput(member, '20.00', { idempotencyKey: key }) }, b.apiKey);
    const { member: m } = await gw.ok(MemberBalanceDocument, { id: member.id }, a.apiKey);
    expect(m?.balance.available).toBe(30);
  });

  it('earns a receipt (partner, externalRef) at most once, even with a new key', async () => {
    const cafe = await newPartner(gw);
    const member = await newMember(gw, cafe);
    const input = earnInput(member, '12.00');
    const first = (await gw.ok(EarnPointsDocument, { input }, cafe.apiKey)).earnPoints;
    const r = await gw.gql(EarnPointsDocument, { input: { ...input, idempotencyKey: uniq('new-key') } }, cafe.apiKey);
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.externalRef', originalTransactionId: first.id });
    const { member: m } = await gw.ok(MemberBalanceDocument, { id: member.id }, cafe.apiKey);
    expect(m?.balance.available).toBe(12);
  });

  it('20 concurrent earns with distinct keys on one member: balance is their sum, books balance', async () => {
    const cafe = await newPartner(gw);
    const member = await newMember(gw, cafe);
    const amounts = Array.from({ length: 20 }, (_, i) => `${i + 1}.00`);
    const results = await Promise.all(amounts.map((a) => gw.gql(EarnPointsDocument, { input: earnInput(member, a) }, cafe.apiKey)));
    expect(results.flatMap((r) => r.errors ?? [])).toEqual([]);
    const { member: m } = await gw.ok(MemberBalanceDocument, { id: member.id }, cafe.apiKey);
    expect(m?.balance.available).toBe(210);
    // Each balanceAfter is distinct: the wallet lock serialised them.
    const after = results.map((r) => r.data!.earnPoints.balanceAfter).sort((x, y) => x - y);
    expect(new Set(after).size).toBe(20);
    expect(after.at(-1)).toBe(210);
    expect(await ledgerViolations(gw)).toEqual([]);
  });

  it('20 concurrent earns with the same key credit once and all return the same transaction', async () => {
    const cafe = await newPartner(gw);
    const member = await newMember(gw, cafe);
    const input = earnInput(member, '50.00');
    const results = await Promise.all(Array.from({ length: 20 }, () => gw.gql(EarnPointsDocument, { input }, cafe.apiKey)));
    expect(results.flatMap((r) => r.errors ?? [])).toEqual([]);
    expect(new Set(results.map((r) => r.data!.earnPoints.id)).size).toBe(1);
    const { member: m } = await gw.ok(MemberBalanceDocument, { id: member.id }, cafe.apiKey);
    expect(m?.balance.available).toBe(50);
    const txs = await gw.sql(`SELECT id FROM ledger_transaction WHERE member_id = $1`, [member.id]);
    expect(txs).toHaveLength(1);
  });

  it('a rate change applies to new earns only; old transactions keep their rate version', async () => {
    const cafe = await newPartner(gw, { earnRate: '1' });
    const member = await newMember(gw, cafe);
    const before = await earn(gw, cafe, member, '100.00');
    const { setExchangeRate } = await gw.ok(SetExchangeRateDocument, { input: { partnerId: cafe.id, earnRate: '3', burnRate: '0.02' } }, gw.adminToken);
    expect(setExchangeRate.version).toBe(2);
    const after = await earn(gw, cafe, member, '100.00');
    expect(before.points).toBe(100);
    expect(after.points).toBe(300);
    expect(after.exchangeRate).toMatchObject({ version: 2, earnRate: '3' });
    const { member: m } = await gw.ok(MemberTransactionsDocument, { id: member.id }, member.token);
    const nodes = m!.transactions.edges.map((e) => e.node);
    expect(nodes.map((n) => [n.points, n.exchangeRate?.version])).toEqual([
      [300, 2],
      [100, 1],
    ]);
  });

  it('a rate scheduled for the future does not apply yet', async () => {
    const cafe = await newPartner(gw, { earnRate: '1' });
    const member = await newMember(gw, cafe);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
    await gw.ok(SetExchangeRateDocument, { input: { partnerId: cafe.id, earnRate: '9', burnRate: '0.02', effectiveFrom: tomorrow } }, gw.adminToken);
    expect((await earn(gw, cafe, member, '10.00')).points).toBe(10);
  });
});

describe('Member.transactions', () => {
  it('pages newest first with Relay cursors and no gaps or duplicates', async () => {
    const cafe = await newPartner(gw);
    const member = await newMember(gw, cafe);
    for (let i = 1; i <= 5; i++) await earn(gw, cafe, member, `${i}.00`);
    const seen: number[] = [];
    let after: string | null | undefined = undefined;
    for (;;) {
      const page: MemberTransactionsQuery = await gw.ok(MemberTransactionsDocument, { id: member.id, first: 2, after }, member.token);
      const m = page.member;
      expect(m!.transactions.totalCount).toBe(5);
      seen.push(...m!.transactions.edges.map((e) => e.node.points));
      if (!m!.transactions.pageInfo.hasNextPage) break;
      after = m!.transactions.pageInfo.endCursor;
    }
    expect(seen).toEqual([5, 4, 3, 2, 1]);
  });
});
