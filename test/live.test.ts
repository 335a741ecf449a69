import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { print } from 'graphql';
import WebSocket from 'ws';
import {
  BalanceChangedDocument,
  BalanceChangedSubscription,
  BalanceChangedWithMemberDocument,
  EarnPointsDocument,
  ExchangeRateChangedDocument,
  RedeemRewardDocument,
  SetExchangeRateDocument,
  TierChangedDocument,
} from './generated/graphql';
import { startTestGateway, TestGateway } from './support/gateway';
import { earn, earnInput, newMember, newPartner, newReward, rewriteLedgerHistory, uniq } from './support/factories';
import { liveClient, settle, subscribe } from './support/live-client';
import { startChildGateway } from './support/child-gateway';
import { evaluateTiers } from '../src/modules/tier/tier-evaluation';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw?.stop());

const available = (events: BalanceChangedSubscription[]) => events.map((e) => e.balanceChanged.balance.available);

describe('balanceChanged', () => {
  it('delivers the new balance after an earn over HTTP', async () => {
    const cafe = await newPartner(gw);
    const member = await newMember(gw, cafe);
    const sub = subscribe(liveClient(gw.wsUrl, member.token), BalanceChangedDocument, { memberId: member.id });
    await settle();
    const tx = await earn(gw, cafe, member, '42.00');
    const [event] = await sub.waitFor(1);
    expect(event!.balanceChanged).toMatchObject({
      member: { id: member.id },
      balance: { available: 42, lifetimeEarned: 42, qualifyingPoints: 42 },
      transaction: { id: tx.id, type: 'EARN', points: 42 },
    });
    expect(event!.balanceChanged.eventId).toMatch(/^\d+$/);
    await sub.stop();
  });

  it('refuses a member watching another member: an error, and nothing delivered', async () => {
    const cafe = await newPartner(gw);
    const a = await newMember(gw, cafe);
    const b = await newMember(gw, cafe);
    const sub = subscribe(liveClient(gw.wsUrl, a.token), BalanceChangedDocument, { memberId: b.id });
    const [error] = await sub.waitForError();
    expect(error!.extensions?.code).toBe('FORBIDDEN');
    await earn(gw, cafe, b, '10.00');
    await settle(300);
    expect(sub.events).toEqual([]);
    await sub.stop();
  });

  it("shows a partner every member's balance but not another partner's transaction", async () => {
    const cafe = await newPartner(gw);
    const airline = await newPartner(gw);
    const member = await newMember(gw, cafe);
    const sub = subscribe(liveClient(gw.wsUrl, airline.apiKey), BalanceChangedDocument, { memberId: member.id });
    await settle();
    await earn(gw, cafe, member, '10.00');
    const own = await earn(gw, airline, member, '5.00');
    const events = await sub.waitFor(2);
    expect(events[0]!.balanceChanged).toMatchObject({ balance: { available: 10 }, transaction: null });
    expect(events[1]!.balanceChanged).toMatchObject({ balance: { available: 15 }, transaction: { id: own.id } });
    await sub.stop();
  });

  it("reads each event's relations afresh, not from the first event's loaders", async () => {
    const cafe = await newPartner(gw);
    const member = await newMember(gw, cafe);
    const sub = subscribe(liveClient(gw.wsUrl, member.token), BalanceChangedWithMemberDocument, { memberId: member.id });
    await settle();
    await earn(gw, cafe, member, '10.00');
    await sub.waitFor(1);
    await earn(gw, cafe, member, '5.00');
    const events = await sub.waitFor(2);
    expect(events.map((e) => [e.balanceChanged.balance.available, e.balanceChanged.member.balance.available])).toEqual([
      [10, 10],
      [15, 15],
    ]);
    await sub.stop();
  });

  it('emits nothing for a transaction that fails', async () => {
    const cafe = await newPartner(gw);
    const member = await newMember(gw, cafe);
    const reward = await newReward(gw, cafe, { pointsCost: 1000 });
    const sub = subscribe(liveClient(gw.wsUrl, member.token), BalanceChangedDocument, { memberId: member.id });
    await settle();
    const refused = await gw.gql(RedeemRewardDocument, { input: { memberId: member.id, rewardId: reward.id, idempotencyKey: uniq('r') } }, member.token);
    expect(refused.errors?.[0]?.extensions?.code).toBe('INSUFFICIENT_POINTS');
    await earn(gw, cafe, member, '7.00');
    await sub.waitFor(1);
    await settle(200);
    expect(available(sub.events)).toEqual([7]);
    await sub.stop();
  });

  it('delivers 100 concurrent earns on one member in commit order', async () => {
    const cafe = await newPartner(gw);
    const member = await newMember(gw, cafe);
    const sub = subscribe(liveClient(gw.wsUrl, member.token), BalanceChangedDocument, { memberId: member.id });
    await settle();
    const results = await Promise.all(Array.from({ length: 100 }, () => gw.gql(EarnPointsDocument, { input: earnInput(member, '1.00') }, cafe.apiKey)));
    expect(results.flatMap((r) => r.errors ?? [])).toEqual([]);
    const events = await sub.waitFor(100, 20_000);
    expect(available(events)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    const ids = events.map((e) => Number(e.balanceChanged.eventId));
    expect([...ids].sort((x, y) => x - y)).toEqual(ids);
    await sub.stop();
  });

  it('replays exactly what a reconnecting subscriber missed, then goes live, without duplicates', async () => {
    const cafe = await newPartner(gw);
    const member = await newMember(gw, cafe);
    const first = subscribe(liveClient(gw.wsUrl, member.token), BalanceChangedDocument, { memberId: member.id });
    await settle();
    await earn(gw, cafe, member, '1.00');
    const [seen] = await first.waitFor(1);
    await first.stop();
    for (let i = 2; i <= 6; i++) await earn(gw, cafe, member, `${i}.00`);
    const resumed = subscribe(liveClient(gw.wsUrl, member.token), BalanceChangedDocument, {
      memberId: member.id,
      after: seen!.balanceChanged.eventId,
    });
    const missed = await resumed.waitFor(5);
    expect(available(missed)).toEqual([3, 6, 10, 15, 21]);
    await earn(gw, cafe, member, '100.00');
    await resumed.waitFor(6);
    await settle(200);
    expect(available(resumed.events)).toEqual([3, 6, 10, 15, 21, 121]);
    await resumed.stop();
  });

  it('reaches a subscriber on another gateway process sharing the database', async () => {
    const other = await startChildGateway(gw.dbUrl, gw.adminToken);
    try {
      const cafe = await newPartner(gw);
      const member = await newMember(gw, cafe);
      const sub = subscribe(liveClient(other.wsUrl, member.token), BalanceChangedDocument, { memberId: member.id });
      await settle(300);
      await earn(gw, cafe, member, '33.00');
      const [event] = await sub.waitFor(1);
      expect(event!.balanceChanged.balance.available).toBe(33);
      await sub.stop();
    } finally {
      await other.stop();
    }
  }, 60_000);
});

describe('tierChanged', () => {
  it('announces the upgrade made by a threshold-crossing earn', async () => {
    const cafe = await newPartner(gw);
    const member = await newMember(gw, cafe);
    const sub = subscribe(liveClient(gw.wsUrl, member.token), TierChangedDocument, { memberId: member.id });
    await settle();
    await earn(gw, cafe, member, '4999.00');
    await earn(gw, cafe, member, '1.00');
    const [event] = await sub.waitFor(1);
    expect(event!.tierChanged).toMatchObject({ member: { id: member.id }, from: { name: 'Bronze' }, to: { name: 'Silver' } });
    await sub.stop();
  });

  it('announces a downgrade from the scheduled evaluation once points leave the 12-month window', async () => {
    const cafe = await newPartner(gw);
    const member = await newMember(gw, cafe);
    await earn(gw, cafe, member, '6000.00');
    // Those points were earned 13 months ago, as far as the rolling window is concerned.
    await rewriteLedgerHistory(gw, `UPDATE ledger_transaction SET created_at = now() - interval '13 months' WHERE member_id = $1`, [member.id]);
    await earn(gw, cafe, member, '100.00');
    const sub = subscribe(liveClient(gw.wsUrl, cafe.apiKey), TierChangedDocument, { memberId: member.id });
    await settle();
    const result = await evaluateTiers(gw.db, gw.services.tiers);
    expect(result.ran).toBe(true);
    expect(result.downgraded).toBeGreaterThanOrEqual(1);
    const [event] = await sub.waitFor(1);
    expect(event!.tierChanged).toMatchObject({ from: { name: 'Silver' }, to: { name: 'Bronze' } });
    await sub.stop();
  });
});

describe('exchangeRateChanged', () => {
  it('reaches a subscriber (anonymous: rates are public) when an admin sets a rate', async () => {
    const cafe = await newPartner(gw);
    const sub = subscribe(liveClient(gw.wsUrl), ExchangeRateChangedDocument, { partnerId: cafe.id });
    await settle();
    await gw.ok(SetExchangeRateDocument, { input: { partnerId: cafe.id, earnRate: '4', burnRate: '0.03' } }, gw.adminToken);
    const [event] = await sub.waitFor(1);
    expect(event!.exchangeRateChanged).toMatchObject({ version: 2, earnRate: '4', burnRate: '0.03', partner: { id: cafe.id } });
    await sub.stop();
  });
});

describe('the socket itself', () => {
  it('closes a connection whose token proves nothing with 4403', async () => {
    const code = await new Promise<number>((resolve) => {
      const ws = new WebSocket(gw.wsUrl, 'graphql-transport-ws');
      ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: 'Bearer nonsense' } })));
      ws.on('close', (c) => resolve(c));
    });
    expect(code).toBe(4403);
  });

  it('closes a subscribe sent before connection_init with 4401', async () => {
    const code = await new Promise<number>((resolve) => {
      const ws = new WebSocket(gw.wsUrl, 'graphql-transport-ws');
      ws.on('open', () =>
        ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: print(BalanceChangedDocument), variables: { memberId: uniq('x') } } })),
      );
      ws.on('close', (c) => resolve(c));
    });
    expect(code).toBe(4401);
  });

  it('applies the same authorization to mutations over the socket', async () => {
    const cafe = await newPartner(gw);
    const member = await newMember(gw, cafe);
    const client = liveClient(gw.wsUrl, member.token);
    const sub = subscribe(client, EarnPointsDocument, { input: earnInput(member, '10.00') });
    const [error] = await sub.waitForError();
    expect(error!.extensions?.code).toBe('FORBIDDEN');
    await sub.stop();
    const partnerClient = liveClient(gw.wsUrl, cafe.apiKey);
    const ok = subscribe(partnerClient, EarnPointsDocument, { input: earnInput(member, '10.00') });
    const [result] = await ok.waitFor(1);
    expect(result!.earnPoints.points).toBe(10);
    await ok.stop();
  });
});
