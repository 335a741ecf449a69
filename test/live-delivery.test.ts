// What an open socket and the live streams promise beyond the basics in live.test.ts: a partner's
// suspension applies to sockets already open; a resumed stream replays its whole backlog, a page at
// a time; a relay started while a transaction is in flight still delivers it; a future-dated rate
// is announced when it is created, with its effectiveFrom.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client as PgClient } from 'pg';
import {
  BalanceChangedDocument,
  ExchangeRateChangedDocument,
  PartnerRatesDocument,
  ReverseTransactionDocument,
  SetExchangeRateDocument,
  SetPartnerStatusDocument,
  UpsertRewardDocument,
} from './generated/graphql';
import { startTestGateway, TestGateway } from './support/gateway';
import { earn, newMember, newPartner, TestPartner, uniq } from './support/factories';
import { liveClient, settle, subscribe } from './support/live-client';
import { LiveService } from '../src/modules/live/live.service';
import { OutboxRelay } from '../src/modules/live/outbox-relay';
import { LocalBus } from '../src/modules/live/local-bus';
import { OutboxEvent, memberChannel } from '../src/modules/live/outbox-event';
import { createLogger } from '../src/logger';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw?.stop());

/** The next item of a stream, or 'timeout' after ms. */
async function next<T>(stream: AsyncIterator<T>, ms = 5_000): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
  try {
    return await Promise.race([stream.next().then((r) => (r.done ? ('timeout' as const) : r.value)), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('a partner suspended or reactivated while its socket is open', () => {
  /** A partner socket held open by a subscription, counting its connections (it must stay one). */
  async function openSocket(partner: TestPartner, memberId: string) {
    const client = liveClient(gw.wsUrl, partner.apiKey);
    let connections = 0;
    client.on('connected', () => connections++);
    const holder = subscribe(client, BalanceChangedDocument, { memberId });
    await settle();
    return { client, holder, connections: () => connections };
  }

  const reverse = (transactionId: string) => ({ input: { transactionId, points: 10, idempotencyKey: uniq('rev') } });
  const reward = (partner: TestPartner) => ({ input: { name: uniq('reward'), pointsCost: 50, partnerId: partner.id } });
  const writes = async (memberId: string, partnerId: string) =>
    (
      await gw.sql<{ transactions: number; rewards: number }>(
        `SELECT (SELECT count(*) FROM ledger_transaction WHERE member_id = $1)::int AS transactions,
                (SELECT count(*) FROM reward WHERE partner_id = $2)::int AS rewards`,
        [memberId, partnerId],
      )
    )[0]!;

  it('refuses its writes over the open socket once suspended (nothing written), and accepts them again once reactivated', async () => {
    const cafe = await newPartner(gw);
    const member = await newMember(gw, cafe);
    const purchase = await earn(gw, cafe, member, '100.00');
    const socket = await openSocket(cafe, member.id);

    await gw.ok(SetPartnerStatusDocument, { partnerId: cafe.id, status: 'SUSPENDED' }, gw.adminToken);
    const before = await writes(member.id, cafe.id);
    const refusedReversal = subscribe(socket.client, ReverseTransactionDocument, reverse(purchase.id));
    const refusedReward = subscribe(socket.client, UpsertRewardDocument, reward(cafe));
    expect((await refusedReversal.waitForError())[0]!.extensions?.code).toBe('PARTNER_SUSPENDED');
    expect((await refusedReward.waitForError())[0]!.extensions?.code).toBe('PARTNER_SUSPENDED');
    expect(await writes(member.id, cafe.id)).toEqual(before);

    await gw.ok(SetPartnerStatusDocument, { partnerId: cafe.id, status: 'ACTIVE' }, gw.adminToken);
    const reversal = subscribe(socket.client, ReverseTransactionDocument, reverse(purchase.id));
    expect((await reversal.waitFor(1))[0]!.reverseTransaction).toMatchObject({ type: 'REVERSAL', points: -10 });
    expect(socket.connections()).toBe(1);
    expect(socket.holder.closed).toBeNull();
    await socket.holder.stop();
  });

  it('lets a partner that connected while suspended write over that socket once reactivated', async () => {
    const cafe = await newPartner(gw);
    const member = await newMember(gw, cafe);
    await gw.ok(SetPartnerStatusDocument, { partnerId: cafe.id, status: 'SUSPENDED' }, gw.adminToken);
    const socket = await openSocket(cafe, member.id);
    const refused = subscribe(socket.client, UpsertRewardDocument, reward(cafe));
    expect((await refused.waitForError())[0]!.extensions?.code).toBe('PARTNER_SUSPENDED');

    await gw.ok(SetPartnerStatusDocument, { partnerId: cafe.id, status: 'ACTIVE' }, gw.adminToken);
    const created = subscribe(socket.client, UpsertRewardDocument, reward(cafe));
    expect((await created.waitFor(1))[0]!.upsertReward).toMatchObject({ partner: { id: cafe.id }, pointsCost: 50 });
    expect(socket.connections()).toBe(1);
    await socket.holder.stop();
  });
});

describe('resuming with after', () => {
  it('replays a backlog of several pages in full, then goes live, with no duplicates or gaps', async () => {
    const cafe = await newPartner(gw);
    const member = await newMember(gw, cafe);
    for (let i = 1; i <= 10; i++) await earn(gw, cafe, member, `${i}.00`);
    const [first] = await gw.sql<{ id: number }>(`SELECT min(id)::int AS id FROM outbox_event WHERE member_id = $1 AND topic = 'BALANCE_CHANGED'`, [member.id]);
    // Pages of 3 rows: the 9 events after the first are three full pages, then an empty one.
    const queuesBefore = gw.services.relay.bus.subscriptionCount;
    const stream = new LiveService(gw.db, gw.services.relay, 3).memberEvents(member.id, 'BALANCE_CHANGED', String(first!.id));
    const got: OutboxEvent[] = [];
    const take = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const event = await next(stream);
        if (event === 'timeout') throw new Error(`timed out after ${got.length} events`);
        got.push(event);
      }
    };
    try {
      await take(4);
      // Committed mid-replay: delivered after the backlog, once.
      await earn(gw, cafe, member, '11.00');
      await earn(gw, cafe, member, '12.00');
      await take(7);
      // Then live.
      await earn(gw, cafe, member, '13.00');
      await take(1);
      expect(await next(stream, 500)).toBe('timeout');
    } finally {
      // Returns at once though a next() is still waiting for a live event, releasing its queue.
      await stream.return!(undefined);
    }
    expect(gw.services.relay.bus.subscriptionCount).toBe(queuesBefore);
    const sums = Array.from({ length: 13 }, (_, i) => ((i + 1) * (i + 2)) / 2);
    expect(got.map((e) => Number(e.payload.available))).toEqual(sums.slice(1));
    const ids = got.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
  });
});

describe('leaving a subscription', () => {
  it('releases its live queue at once, though no further event comes', async () => {
    const member = await newMember(gw, await newPartner(gw));
    const before = gw.services.relay.bus.subscriptionCount;
    const sub = subscribe(liveClient(gw.wsUrl, member.token), BalanceChangedDocument, { memberId: member.id, after: '0' });
    await settle(300);
    expect(gw.services.relay.bus.subscriptionCount).toBe(before + 1);
    await sub.stop();
    const deadline = Date.now() + 5_000;
    while (gw.services.relay.bus.subscriptionCount > before && Date.now() < deadline) await settle(20);
    expect(gw.services.relay.bus.subscriptionCount).toBe(before);
  });
});

describe('a relay that starts while a transaction is in flight', () => {
  it("delivers that transaction's event once it commits, though a later id committed before the start", async () => {
    const cafe = await newPartner(gw);
    const member = await newMember(gw, cafe);
    const insert = `INSERT INTO outbox_event (topic, member_id, payload) VALUES ('BALANCE_CHANGED', $1, $2) RETURNING id::int AS id`;
    const inFlight = new PgClient({ connectionString: gw.dbUrl });
    await inFlight.connect();
    const relay = new OutboxRelay(gw.db, gw.dbUrl, new LocalBus(100), createLogger('fatal'));
    try {
      await inFlight.query('BEGIN');
      const { rows } = await inFlight.query<{ id: number }>(insert, [member.id, { available: 1 }]);
      const low = rows[0]!.id;
      const [later] = await gw.sql<{ id: number }>(insert, [member.id, { available: 2 }]);
      expect(later!.id).toBeGreaterThan(low);

      await relay.start();
      const queue = relay.bus.subscribe(memberChannel(member.id));
      await inFlight.query('COMMIT');
      await relay.poll();
      const delivered = await next(queue);
      expect(delivered).not.toBe('timeout');
      expect((delivered as OutboxEvent).id).toBe(low);
      await queue.return();
    } finally {
      await relay.stop();
      await inFlight.end();
    }
  });
});

describe('exchangeRateChanged', () => {
  it('announces a future-dated version when it is created, with its effectiveFrom; the version in force stays until then', async () => {
    const cafe = await newPartner(gw);
    const sub = subscribe(liveClient(gw.wsUrl), ExchangeRateChangedDocument, { partnerId: cafe.id });
    await settle();
    const effectiveFrom = new Date(Date.now() + 3_600_000);
    await gw.ok(
      SetExchangeRateDocument,
      { input: { partnerId: cafe.id, earnRate: '3', burnRate: '0.02', effectiveFrom: effectiveFrom.toISOString() } },
      gw.adminToken,
    );
    const [event] = await sub.waitFor(1);
    expect(event!.exchangeRateChanged).toMatchObject({ version: 2, earnRate: '3', burnRate: '0.02', partner: { id: cafe.id } });
    expect(new Date(event!.exchangeRateChanged.effectiveFrom).getTime()).toBe(effectiveFrom.getTime());
    const { partner } = await gw.ok(PartnerRatesDocument, { id: cafe.id });
    expect(partner!.exchangeRate).toMatchObject({ version: 1, earnRate: '1' });
    await sub.stop();
  });
});
