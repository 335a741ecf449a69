// Webhooks end to end: a real receiver on 127.0.0.1 verifying every request with the
// `standardwebhooks` package, the gateway over HTTP, real PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateWebhookEndpointDocument,
  FulfillRedemptionDocument,
  RedeemRewardDocument,
  RedeliverWebhookDocument,
  ReverseTransactionDocument,
  SetExchangeRateDocument,
  SetWebhookEndpointActiveDocument,
  WebhookDeliveriesDocument,
  WebhookEndpointsDocument,
} from './generated/graphql';
import { startTestGateway, TestGateway } from './support/gateway';
import { earn, newMember, newPartner, newReward, TestPartner, uniq } from './support/factories';
import { Receiver, startReceiver } from './support/webhook-receiver';
import { withTransaction } from '../src/db/transaction';
import { publish } from '../src/db/outbox';
import { expirePoints } from '../src/modules/lifecycle/expiry';
import { WEBHOOK_EVENT_TYPES } from '../src/db/webhook-events';
import { checkWebhookUrl, isPrivateAddress } from '../src/modules/webhook/webhook-target';
import { retryDelaySeconds } from '../src/modules/webhook/webhook-dispatcher';

let gw: TestGateway;
const receivers: Receiver[] = [];

beforeAll(async () => {
  gw = await startTestGateway({ WEBHOOK_RETRY_SCHEDULE: '0.2,0.2,0.2,0.2', WEBHOOK_POLL_INTERVAL_MS: '50', WEBHOOK_TIMEOUT_MS: '2000' });
});
afterAll(async () => {
  await gw?.stop();
  await Promise.all(receivers.map((r) => r.close()));
});

async function receiverFor(token: string, events: readonly string[] = WEBHOOK_EVENT_TYPES, partnerId?: string) {
  const receiver = await startReceiver();
  receivers.push(receiver);
  const { createWebhookEndpoint } = await gw.ok(
    CreateWebhookEndpointDocument,
    { input: { url: receiver.url, events: [...events] as never, partnerId } },
    token,
  );
  receiver.secret = createWebhookEndpoint.secret;
  return { receiver, endpointId: createWebhookEndpoint.endpoint.id };
}

/** Every delivery of the endpoint has an outcome (nothing pending any more). */
async function settled(endpointId: string, ms = 15_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const [row] = await gw.sql<{ n: number }>(`SELECT count(*)::int AS n FROM webhook_delivery WHERE endpoint_id = $1 AND status = 'PENDING'`, [endpointId]);
    if (row!.n === 0) return;
    if (Date.now() > deadline) throw new Error('deliveries still pending');
    await new Promise((r) => setTimeout(r, 25));
  }
}

const deliveriesOf = async (endpointId: string) =>
  (await gw.ok(WebhookDeliveriesDocument, { endpointId, first: 100 }, gw.adminToken)).webhookDeliveries.edges.map((e) => e.node);

describe('the coalition endpoint', () => {
  it('receives every event type that exists, signed per Standard Webhooks, with the data subscriptions carry', async () => {
    const { receiver, endpointId } = await receiverFor(gw.adminToken);
    const partner = await newPartner(gw); // EXCHANGE_RATE_CHANGED
    const member = await newMember(gw, partner); // MEMBER_ENROLLED
    const first = await earn(gw, partner, member, '10.00'); // POINTS_EARNED
    await earn(gw, partner, member, '5000.00'); // POINTS_EARNED, TIER_CHANGED (Silver at 5,000)
    const reward = await newReward(gw, partner, { pointsCost: 10 });
    const redeemed = await gw.ok(RedeemRewardDocument, { input: { memberId: member.id, rewardId: reward.id, idempotencyKey: uniq('r') } }, member.token);
    await gw.ok(ReverseTransactionDocument, { input: { transactionId: first.id, idempotencyKey: uniq('rev') } }, partner.apiKey); // POINTS_REVERSED
    await gw.sql(`UPDATE points_lot SET expires_at = now() - interval '1 day' WHERE member_id = $1 AND remaining > 0`, [member.id]);
    await expirePoints(gw.db, new Date()); // POINTS_EXPIRED
    await gw.ok(FulfillRedemptionDocument, { code: redeemed.redeemReward.code, key: uniq('f') }, partner.apiKey); // REDEMPTION_FULFILLED
    // The kind a later feature writes (an adjustment) goes through the same outbox table.
    await withTransaction(gw.db, async (m) => {
      await publish(m, {
        topic: 'BALANCE_CHANGED',
        memberId: member.id,
        partnerId: partner.id,
        payload: { transactionId: first.id, transactionType: 'ADJUSTMENT', available: 1, lifetimeEarned: 1, pending: 0, qualifyingPoints: 1 },
      });
    });

    await receiver.waitFor(() => WEBHOOK_EVENT_TYPES.every((t) => receiver.ofType(t).length > 0));
    await settled(endpointId);
    expect(receiver.received.every((r) => r.payload !== null)).toBe(true); // every signature verified
    for (const r of receiver.received) {
      expect(r.webhookId).toBe(`msg_${r.payload!.id}`);
      expect(r.payload!.timestamp).toMatch(/^\d{4}-\d\d-\d\dT/);
    }
    const earned = receiver.ofType('POINTS_EARNED').map((r) => r.payload!.data);
    expect(earned[0]).toMatchObject({
      memberId: member.id,
      balance: { available: 10 },
      transaction: { id: first.id, type: 'EARN', points: 10, partnerId: partner.id, purchase: { amount: '10.00', currencyCode: 'MYR' } },
    });
    expect(receiver.ofType('TIER_CHANGED')[0]!.payload!.data).toMatchObject({ memberId: member.id, from: { name: 'Bronze' }, to: { name: 'Silver' } });
    expect(receiver.ofType('MEMBER_ENROLLED')[0]!.payload!.data).toMatchObject({
      member: { id: member.id, email: member.email },
      enrolledByPartnerId: partner.id,
    });
    expect(receiver.ofType('EXCHANGE_RATE_CHANGED')[0]!.payload!.data).toMatchObject({ exchangeRate: { partnerId: partner.id, earnRate: '1' } });
    expect(receiver.ofType('POINTS_REDEEMED')[0]!.payload!.data.transaction).toMatchObject({ type: 'REDEEM', points: -10 });
    expect(receiver.ofType('POINTS_REVERSED')[0]!.payload!.data.transaction).toMatchObject({ type: 'REVERSAL', points: -10, reversesId: first.id });
    expect(receiver.ofType('POINTS_EXPIRED')[0]!.payload!.data.transaction).toMatchObject({ type: 'EXPIRY' });
    expect(receiver.ofType('REDEMPTION_FULFILLED')[0]!.payload!.data).toMatchObject({
      redemptionId: redeemed.redeemReward.id,
      rewardId: reward.id,
      quantity: 1,
      pointsSpent: 10,
    });
    // In order per member: this member's events arrived in event (commit) order.
    const ids = receiver.received.filter((r) => JSON.stringify(r.payload!.data).includes(member.id)).map((r) => Number(r.payload!.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    const deliveries = await deliveriesOf(endpointId);
    expect(deliveries.every((d) => d.status === 'SUCCEEDED' && d.attempts === 1 && d.lastStatusCode === 200)).toBe(true);
  });

  it('a rolled-back change produces no delivery; a refused write neither', async () => {
    const { endpointId } = await receiverFor(gw.adminToken, ['MEMBER_ENROLLED', 'POINTS_REDEEMED']);
    const partner = await newPartner(gw);
    const member = await newMember(gw, partner);
    await expect(
      withTransaction(gw.db, async (m) => {
        await publish(m, { topic: 'MEMBER_ENROLLED', memberId: member.id, partnerId: null, payload: { enrolledByPartnerId: null } });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    const reward = await newReward(gw, partner, { pointsCost: 10 });
    const refused = await gw.gql(RedeemRewardDocument, { input: { memberId: member.id, rewardId: reward.id, idempotencyKey: uniq('r') } }, member.token);
    expect(refused.errors?.[0]?.extensions?.code).toBe('INSUFFICIENT_POINTS');
    await settled(endpointId);
    expect((await deliveriesOf(endpointId)).map((d) => d.eventType)).toEqual(['MEMBER_ENROLLED']); // the real enrolment only
  });
});

describe('retries', () => {
  it('a receiver answering 500 three times then 200 gets the event on the fourth attempt; the member’s next events wait their turn', async () => {
    const partner = await newPartner(gw);
    const member = await newMember(gw, partner);
    const { receiver, endpointId } = await receiverFor(partner.apiKey, ['POINTS_EARNED']);
    receiver.answer = (n) => (n < 3 ? 500 : 200);
    await earn(gw, partner, member, '1.00');
    await earn(gw, partner, member, '2.00');
    await earn(gw, partner, member, '3.00');
    await receiver.waitFor((r) => r.length >= 6);
    await settled(endpointId);
    const points = receiver.received.map((r) => r.payload!.data.transaction.points);
    expect(points).toEqual([1, 1, 1, 1, 2, 3]);
    expect(new Set(receiver.received.slice(0, 4).map((r) => r.webhookId)).size).toBe(1);
    expect(new Set(receiver.received.slice(0, 4).map((r) => r.body)).size).toBe(1);
    const [last, , firstDelivery] = await deliveriesOf(endpointId); // newest first
    expect(firstDelivery).toMatchObject({ status: 'SUCCEEDED', attempts: 4, lastStatusCode: 200, nextAttemptAt: null });
    expect(last).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
  });

  it('after the whole schedule fails: FAILED, the endpoint deactivated with its reason; redelivery once switched on resends the same webhook-id', async () => {
    const partner = await newPartner(gw);
    const member = await newMember(gw, partner);
    const { receiver, endpointId } = await receiverFor(partner.apiKey, ['POINTS_EARNED']);
    receiver.answer = () => 503;
    await earn(gw, partner, member, '4.00');
    await settled(endpointId);
    const [failed] = await deliveriesOf(endpointId);
    expect(failed).toMatchObject({ status: 'FAILED', attempts: 5, lastStatusCode: 503, lastError: 'HTTP 503', nextAttemptAt: null });
    const [endpoint] = (await gw.ok(WebhookEndpointsDocument, {}, partner.apiKey)).webhookEndpoints;
    expect(endpoint).toMatchObject({ id: endpointId, active: false });
    expect(endpoint!.deactivatedReason).toMatch(/^every delivery failed since .*: delivery \d+ \(POINTS_EARNED\) failed 5 attempts, the last with HTTP 503$/);

    // Inactive: nothing new is queued for it, and a redelivery is refused.
    await earn(gw, partner, member, '5.00');
    expect(await deliveriesOf(endpointId)).toHaveLength(1);
    const refused = await gw.gql(RedeliverWebhookDocument, { deliveryId: failed!.id }, partner.apiKey);
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'WEBHOOK_ENDPOINT_INACTIVE', field: 'deliveryId' });

    receiver.answer = () => 204;
    expect((await gw.ok(SetWebhookEndpointActiveDocument, { id: endpointId, active: true }, partner.apiKey)).setWebhookEndpointActive).toEqual({
      id: endpointId,
      active: true,
      deactivatedReason: null,
    });
    const again = await gw.ok(RedeliverWebhookDocument, { deliveryId: failed!.id }, partner.apiKey);
    expect(again.redeliverWebhook).toMatchObject({ id: failed!.id, status: 'PENDING' });
    await receiver.waitFor((r) => r.length >= 6);
    await settled(endpointId);
    expect(receiver.received[5]!.webhookId).toBe(receiver.received[0]!.webhookId);
    expect(receiver.received[5]!.body).toBe(receiver.received[0]!.body);
    expect(receiver.received[5]!.payload).not.toBeNull();
    expect((await deliveriesOf(endpointId))[0]).toMatchObject({ status: 'SUCCEEDED', attempts: 6, lastStatusCode: 204 });
  });

  it('redeliverWebhook of a delivered event sends it again with the same webhook-id', async () => {
    const partner = await newPartner(gw);
    const member = await newMember(gw, partner);
    const { receiver, endpointId } = await receiverFor(partner.apiKey, ['POINTS_EARNED']);
    await earn(gw, partner, member, '6.00');
    await receiver.waitFor((r) => r.length === 1);
    await settled(endpointId);
    const [delivery] = await deliveriesOf(endpointId);
    await gw.ok(RedeliverWebhookDocument, { deliveryId: delivery!.id }, gw.adminToken);
    await receiver.waitFor((r) => r.length === 2);
    expect(receiver.received[1]!.webhookId).toBe(receiver.received[0]!.webhookId);
    expect(receiver.received[1]!.payload).toEqual(receiver.received[0]!.payload);
  });

  it('does not follow a redirect: a 3xx is a failed attempt, and nothing is sent to its Location', async () => {
    const partner = await newPartner(gw);
    const member = await newMember(gw, partner);
    const elsewhere = await startReceiver();
    receivers.push(elsewhere);
    const { receiver, endpointId } = await receiverFor(partner.apiKey, ['POINTS_EARNED']);
    receiver.answer = () => 307;
    receiver.headers = { location: elsewhere.url };
    await earn(gw, partner, member, '9.00');
    await receiver.waitFor((r) => r.length >= 2);
    const [delivery] = await deliveriesOf(endpointId);
    expect(delivery).toMatchObject({ status: 'PENDING', lastStatusCode: 307, lastError: 'HTTP 307' });
    expect(delivery!.attempts).toBeGreaterThanOrEqual(2);
    expect(elsewhere.received).toHaveLength(0);
    await gw.ok(SetWebhookEndpointActiveDocument, { id: endpointId, active: false }, partner.apiKey);
  });

  it('waits between attempts as the schedule says, with ±10 % jitter', () => {
    expect(retryDelaySeconds([5, 300], 1, () => 0)).toBeCloseTo(4.5);
    expect(retryDelaySeconds([5, 300], 2, () => 1)).toBeCloseTo(330);
    expect(retryDelaySeconds([5, 300], 3)).toBeNull();
  });
});

describe('scoping', () => {
  let a: TestPartner;
  let b: TestPartner;
  it("no partner receives another partner's transaction; tier changes go to the partners the member is linked to", async () => {
    [a, b] = await Promise.all([newPartner(gw), newPartner(gw)]);
    const atA = await receiverFor(a.apiKey);
    const atB = await receiverFor(b.apiKey);
    const member = await newMember(gw, a); // enrolled at A: linked to A only
    await earn(gw, a, member, '10.00');
    await earn(gw, b, member, '20.00');
    await earn(gw, b, member, '5000.00'); // B's earn takes the member to Silver
    await gw.ok(SetExchangeRateDocument, { input: { partnerId: a.id, earnRate: '2', burnRate: '0.01' } }, gw.adminToken);
    await atA.receiver.waitFor(() => atA.receiver.ofType('EXCHANGE_RATE_CHANGED').length === 1);
    await settled(atA.endpointId);
    await settled(atB.endpointId);

    const types = (r: Receiver) => r.received.map((x) => x.payload!.type).sort();
    expect(types(atA.receiver)).toEqual(['EXCHANGE_RATE_CHANGED', 'MEMBER_ENROLLED', 'POINTS_EARNED', 'TIER_CHANGED']);
    expect(types(atB.receiver)).toEqual(['POINTS_EARNED', 'POINTS_EARNED']);
    for (const [receiver, own] of [
      [atA.receiver, a.id],
      [atB.receiver, b.id],
    ] as const) {
      for (const r of receiver.ofType('POINTS_EARNED')) expect(r.payload!.data.transaction.partnerId).toBe(own);
      expect(receiver.received.some((r) => r.body.includes(own === a.id ? b.id : a.id))).toBe(false);
    }
    // A's tier-change webhook names no transaction (the upgrade came from B's earn).
    expect(atA.receiver.ofType('TIER_CHANGED')[0]!.body).not.toContain('transaction');
  });

  it('a partner lists only its own endpoints and may not name another partner', async () => {
    const own = (await gw.ok(WebhookEndpointsDocument, {}, a.apiKey)).webhookEndpoints;
    expect(own.length).toBeGreaterThan(0);
    expect(own.every((e) => e.partner?.id === a.id)).toBe(true);
    const other = await gw.gql(WebhookEndpointsDocument, { partnerId: b.id }, a.apiKey);
    expect(other.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const named = await gw.gql(CreateWebhookEndpointDocument, { input: { url: 'http://127.0.0.1:9/', events: ['POINTS_EARNED'], partnerId: b.id } }, a.apiKey);
    expect(named.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', field: 'input.partnerId' });
  });
});

describe('endpoint URLs', () => {
  it('refuses, naming the field, what is not an http(s) URL, carries credentials, or lists no event; nothing written', async () => {
    const [before] = await gw.sql<{ n: number }>(`SELECT count(*)::int AS n FROM webhook_endpoint`);
    for (const [url, events, field] of [
      ['ftp://127.0.0.1/x', ['POINTS_EARNED'], 'input.url'],
      ['not a url', ['POINTS_EARNED'], 'input.url'],
      ['http://user:pw@127.0.0.1/x', ['POINTS_EARNED'], 'input.url'],
      ['http://127.0.0.1/x', [], 'input.events'],
    ] as const) {
      const r = await gw.gql(CreateWebhookEndpointDocument, { input: { url, events: [...events] } }, gw.adminToken);
      expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    const [after] = await gw.sql<{ n: number }>(`SELECT count(*)::int AS n FROM webhook_endpoint`);
    expect(after!.n).toBe(before!.n);
  });

  it('in production: https only, and no private, loopback or link-local address unless WEBHOOK_ALLOW_PRIVATE_TARGETS', async () => {
    const production = { production: true, allowPrivateTargets: false };
    const dns = async (host: string) => ({ 'hooks.example.com': ['93.184.216.34'], 'inside.example.com': ['10.1.2.3'], localhost: ['127.0.0.1'] })[host] ?? [];
    const refused = async (url: string, rules = production) => {
      const err = await checkWebhookUrl(url, rules, 'input.url', dns).then(
        () => null,
        (e: { code?: string; field?: string; message: string }) => e,
      );
      return err ? `${err.code} ${err.field}: ${err.message}` : null;
    };
    expect(await refused('https://hooks.example.com/loyalty')).toBeNull();
    expect(await refused('https://93.184.216.34/loyalty')).toBeNull();
    expect(await refused('http://hooks.example.com/loyalty')).toMatch(/^BAD_USER_INPUT input.url: .*https/);
    for (const url of [
      'https://localhost/x',
      'https://inside.example.com/x',
      'https://127.0.0.1/x',
      'https://10.0.0.8/x',
      'https://192.168.1.1/x',
      'https://169.254.169.254/latest/meta-data',
      'https://[::1]/x',
      'https://[fe80::1]/x',
      'https://[::ffff:127.0.0.1]/x',
      'https://nowhere.example.com/x',
    ]) {
      expect(await refused(url), url).toMatch(/^BAD_USER_INPUT input.url: /);
    }
    expect(await refused('https://127.0.0.1/x', { production: true, allowPrivateTargets: true })).toBeNull();
    expect(await refused('http://127.0.0.1/x', { production: false, allowPrivateTargets: false })).toBeNull();
    expect(isPrivateAddress('8.8.8.8')).toBe(false);
    expect(isPrivateAddress('2001:4860:4860::8888')).toBe(false);
  });
});
