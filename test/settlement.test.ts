import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedeemRewardDocument, ReverseTransactionDocument, SetExchangeRateDocument, SettlementDocument, SettlementMatrixDocument } from './generated/graphql';
import { startTestGateway, TestGateway } from './support/gateway';
import { earn, newMember, newPartner, newReward, TestPartner, uniq } from './support/factories';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw?.stop());

describe('settlement', () => {
  // Hand-worked: café (MYR) and airline (IDR), each changing its rate mid-period.
  //   earn 1000.00 MYR at café, rate v1 (earn 1, burn 0.01)  → 1000 pts issued, owed 10.00 MYR
  //   café moves to v2 (earn 2, burn 0.02)
  //   earn  500.00 MYR at café, v2                           → 1000 pts issued, owed 20.00 MYR
  //   redeem 1500 at airline, v1 (burn 35)                   → 1500 pts honoured, 52,500 IDR
  //   airline moves to v2 (burn 40)
  //   redeem 300 at airline, v2, then cancel it              → nets to 0
  //   café refunds 250 pts of the first earn, at v1          → −250 pts, −2.50 MYR
  //   café:    issued 1750, owedByPartner 27.50 MYR, owedToPartner 0.00, net −27.50
  //   airline: redeemed 1500, owedToPartner 52500 IDR, net 52500
  //   matrix:  café → airline 1500 pts = 52500 IDR
  let cafe: TestPartner;
  let airline: TestPartner;
  let from: string;
  let to: string;

  beforeAll(async () => {
    from = new Date(Date.now() - 1000).toISOString();
    cafe = await newPartner(gw, { currencyCode: 'MYR', earnRate: '1', burnRate: '0.01' });
    airline = await newPartner(gw, { currencyCode: 'IDR', earnRate: '0.001', burnRate: '35' });
    const member = await newMember(gw, cafe);
    const first = await earn(gw, cafe, member, '1000.00');
    await gw.ok(SetExchangeRateDocument, { input: { partnerId: cafe.id, earnRate: '2', burnRate: '0.02' } }, gw.adminToken);
    expect((await earn(gw, cafe, member, '500.00')).points).toBe(1000);
    const seat = await newReward(gw, airline, { pointsCost: 1500 });
    await gw.ok(RedeemRewardDocument, { input: { memberId: member.id, rewardId: seat.id, idempotencyKey: uniq('r') } }, member.token);
    await gw.ok(SetExchangeRateDocument, { input: { partnerId: airline.id, earnRate: '0.001', burnRate: '40' } }, gw.adminToken);
    const lounge = await newReward(gw, airline, { pointsCost: 300 });
    const { redeemReward } = await gw.ok(
      RedeemRewardDocument,
      { input: { memberId: member.id, rewardId: lounge.id, idempotencyKey: uniq('r') } },
      member.token,
    );
    await gw.ok(ReverseTransactionDocument, { input: { transactionId: redeemReward.transaction.id, idempotencyKey: uniq('rev') } }, airline.apiKey);
    await gw.ok(ReverseTransactionDocument, { input: { transactionId: first.id, points: 250, idempotencyKey: uniq('rev') } }, cafe.apiKey);
    to = new Date(Date.now() + 1000).toISOString();
  });

  it('values each transaction at the rate version it used, reversals included', async () => {
    const { settlement } = await gw.ok(SettlementDocument, { from, to }, gw.adminToken);
    const byId = new Map(settlement.map((l) => [l.partner.id, l]));
    expect(byId.get(cafe.id)).toMatchObject({
      pointsIssued: 1750,
      pointsRedeemed: 0,
      owedByPartner: { amount: '27.50', currencyCode: 'MYR' },
      owedToPartner: { amount: '0.00', currencyCode: 'MYR' },
      net: { amount: '-27.50', currencyCode: 'MYR' },
    });
    expect(byId.get(airline.id)).toMatchObject({
      pointsIssued: 0,
      pointsRedeemed: 1500,
      owedByPartner: { amount: '0', currencyCode: 'IDR' },
      owedToPartner: { amount: '52500', currencyCode: 'IDR' },
      net: { amount: '52500', currencyCode: 'IDR' },
    });
  });

  it('shows who issued the points each partner honoured', async () => {
    const { settlementMatrix } = await gw.ok(SettlementMatrixDocument, { from, to }, gw.adminToken);
    const mine = settlementMatrix.filter((f) => [cafe.id, airline.id].includes(f.redeemer.id));
    expect(mine).toEqual([{ issuer: { id: cafe.id }, redeemer: { id: airline.id }, points: 1500, value: { amount: '52500', currencyCode: 'IDR' } }]);
  });

  it('counts only the period asked for', async () => {
    const { settlement } = await gw.ok(SettlementDocument, { from: '2020-01-01T00:00:00Z', to: '2020-02-01T00:00:00Z' }, gw.adminToken);
    const line = settlement.find((l) => l.partner.id === cafe.id);
    expect(line).toMatchObject({ pointsIssued: 0, pointsRedeemed: 0, net: { amount: '0.00' } });
  });

  it('shows a partner only its own line, row and column; members not at all', async () => {
    const { settlement } = await gw.ok(SettlementDocument, { from, to }, cafe.apiKey);
    expect(settlement.map((l) => l.partner.id)).toEqual([cafe.id]);
    const { settlementMatrix } = await gw.ok(SettlementMatrixDocument, { from, to }, airline.apiKey);
    expect(settlementMatrix.every((f) => f.redeemer.id === airline.id || f.issuer?.id === airline.id)).toBe(true);
    expect(settlementMatrix).toHaveLength(1);
    const stranger = await newPartner(gw);
    expect((await gw.ok(SettlementMatrixDocument, { from, to }, stranger.apiKey)).settlementMatrix).toEqual([]);
    const member = await newMember(gw, cafe);
    expect((await gw.gql(SettlementDocument, { from, to }, member.token)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await gw.gql(SettlementDocument, { from, to })).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses an empty or inverted period', async () => {
    const r = await gw.gql(SettlementDocument, { from: to, to: from }, gw.adminToken);
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'to' });
  });
});
