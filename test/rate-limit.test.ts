// Rate limits: writes per partner key and per member, failed authentications per address; a
// fixed window shared through PostgreSQL by every instance. Reached, then recovered in the next
// window (1 s here, so no test sleeps for long).
import { print } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreatePartnerApiKeyDocument, EarnPointsDocument, RedeemRewardDocument, TwoEnrolmentsDocument, ViewerDocument } from './generated/graphql';
import { startTestGateway, TestGateway } from './support/gateway';
import { earn, earnInput, newMember, newPartner, newReward, TestPartner, uniq } from './support/factories';
import { liveClient, subscribe } from './support/live-client';
import { ChildGateway, startChildGateway } from './support/child-gateway';

const WINDOW_MS = 1000;
const LIMITS = {
  RATE_LIMIT_WINDOW_SECONDS: '1',
  RATE_LIMIT_PARTNER_WRITES: '3',
  RATE_LIMIT_MEMBER_WRITES: '2',
  RATE_LIMIT_AUTH_FAILURES: '3',
};

let gw: TestGateway;
let child: ChildGateway;

beforeAll(async () => {
  gw = await startTestGateway(LIMITS);
  child = await startChildGateway(gw.dbUrl, gw.adminToken, LIMITS);
});
afterAll(async () => {
  await child?.stop();
  await gw?.stop();
});

/** Milliseconds left in the current window, by the database's clock (which the counters use). */
async function leftInWindow(): Promise<number> {
  const [{ now }] = await gw.sql<{ now: string }>(`SELECT (extract(epoch FROM clock_timestamp()) * 1000)::text AS now`);
  return WINDOW_MS - (Number(now) % WINDOW_MS);
}

/** Waits for the next window. */
async function nextWindow(): Promise<void> {
  const left = await leftInWindow();
  await new Promise((r) => setTimeout(r, left + 20));
}

/** Makes sure the steps that follow fall in one window: waits for the next one only if this one is nearly over. */
async function roomInWindow(ms = 600): Promise<void> {
  if ((await leftInWindow()) < ms) await nextWindow();
}

/** A fresh key of the partner (admins are not limited): a write budget no setup step has touched. */
async function freshKey(partner: TestPartner): Promise<TestPartner> {
  const { createPartnerApiKey } = await gw.ok(CreatePartnerApiKeyDocument, { partnerId: partner.id }, gw.adminToken);
  return { ...partner, apiKey: createPartnerApiKey };
}

/** A raw POST, to see the status and headers. */
async function post<T, V>(url: string, doc: TypedDocumentNode<T, V>, variables: V, token: string | null) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query: print(doc), variables }),
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as { data?: T; errors?: any[] } };
}

const countOf = async (table: string, where = 'true', params: unknown[] = []) =>
  (await gw.sql<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`, params))[0]!.n;

describe('writes per partner API key', () => {
  it('the 4th write in a window is refused with 429 RATE_LIMITED and writes nothing; reads go on; the next window recovers', async () => {
    const partner = await newPartner(gw);
    const member = await newMember(gw, partner);
    const cafe = await freshKey(partner);
    await roomInWindow();
    for (let i = 0; i < 3; i++) expect((await post(gw.url, EarnPointsDocument, { input: earnInput(member, '1.00') }, cafe.apiKey)).status).toBe(200);

    const refused = await post(gw.url, EarnPointsDocument, { input: earnInput(member, '1.00') }, cafe.apiKey);
    expect(refused.status).toBe(429);
    expect(refused.retryAfter).toBe('1');
    expect(refused.body.data).toBeUndefined();
    expect(refused.body.errors).toHaveLength(1);
    expect(refused.body.errors![0].extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: 1 });
    expect(refused.body.errors![0].message).toMatch(/at most 3 every 1 s/);
    expect(await countOf('ledger_transaction', 'member_id = $1', [member.id])).toBe(3);
    // Reads are not writes.
    expect((await post(gw.url, ViewerDocument, {}, cafe.apiKey)).status).toBe(200);

    await nextWindow();
    expect((await post(gw.url, EarnPointsDocument, { input: earnInput(member, '1.00') }, cafe.apiKey)).status).toBe(200);
  });

  it('each key has its own budget', async () => {
    const partner = await newPartner(gw);
    const member = await newMember(gw, partner);
    const cafe = await freshKey(partner);
    const { apiKey: second } = await freshKey(partner);
    await roomInWindow();
    for (let i = 0; i < 3; i++) await earn(gw, cafe, member, '1.00');
    expect((await post(gw.url, EarnPointsDocument, { input: earnInput(member, '1.00') }, cafe.apiKey)).status).toBe(429);
    expect((await post(gw.url, EarnPointsDocument, { input: earnInput(member, '1.00') }, second)).status).toBe(200);
  });

  it('every root field is a write: two aliased enrolments after two earns go over, and neither is written', async () => {
    const partner = await newPartner(gw);
    const member = await newMember(gw, partner);
    const cafe = await freshKey(partner);
    await roomInWindow();
    await earn(gw, cafe, member, '1.00');
    await earn(gw, cafe, member, '1.00');
    const members = await countOf('member');
    const enrol = () => ({ email: `${uniq('twin')}@example.com`, displayName: 'Twin' });
    const r = await post(gw.url, TwoEnrolmentsDocument, { a: enrol(), b: enrol() }, cafe.apiKey);
    expect(r.status).toBe(429);
    expect(r.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(await countOf('member')).toBe(members);
  });

  it('over graphql-ws too: a mutation past the limit gets RATE_LIMITED', async () => {
    const partner = await newPartner(gw);
    const member = await newMember(gw, partner);
    const cafe = await freshKey(partner);
    await roomInWindow();
    await earn(gw, cafe, member, '1.00');
    await earn(gw, cafe, member, '1.00');
    const third = subscribe(liveClient(gw.wsUrl, cafe.apiKey), EarnPointsDocument, { input: earnInput(member, '1.00') });
    expect((await third.waitFor(1))[0]!.earnPoints.points).toBe(1);
    await third.stop();
    const fourth = subscribe(liveClient(gw.wsUrl, cafe.apiKey), EarnPointsDocument, { input: earnInput(member, '1.00') });
    expect((await fourth.waitForError())[0]!.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: 1 });
    await fourth.stop();
    expect(await countOf('ledger_transaction', 'member_id = $1', [member.id])).toBe(3);
  });
});

describe('writes per member', () => {
  it('a member has its own, smaller budget: the 3rd redemption in a window is refused', async () => {
    const cafe = await newPartner(gw);
    const member = await newMember(gw, cafe);
    await earn(gw, cafe, member, '100.00');
    const reward = await newReward(gw, cafe, { pointsCost: 10 });
    const redeem = () => post(gw.url, RedeemRewardDocument, { input: { memberId: member.id, rewardId: reward.id, idempotencyKey: uniq('r') } }, member.token);
    await roomInWindow();
    expect((await redeem()).status).toBe(200);
    expect((await redeem()).status).toBe(200);
    const refused = await redeem();
    expect(refused.status).toBe(429);
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(await countOf('redemption', 'member_id = $1', [member.id])).toBe(2);
    await nextWindow();
    expect((await redeem()).status).toBe(200);
  });
});

describe('shared by every instance', () => {
  it('writes on one instance count on the other', async () => {
    const partner = await newPartner(gw);
    const member = await newMember(gw, partner);
    const cafe = await freshKey(partner);
    await roomInWindow();
    for (let i = 0; i < 3; i++) await earn(gw, cafe, member, '1.00');
    const r = await post(child.url, EarnPointsDocument, { input: earnInput(member, '1.00') }, cafe.apiKey);
    expect(r.status).toBe(429);
    expect(r.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
  });
});

describe('failed authentications per address', () => {
  it('past the limit the address is refused, a valid key included, until the window ends; anonymous reads go on', async () => {
    const cafe = await newPartner(gw);
    await roomInWindow(800);
    for (let i = 0; i < 2; i++) expect((await post(gw.url, ViewerDocument, {}, `wrong-${i}`)).status).toBe(401);
    // Failures add up across instances.
    expect((await post(child.url, ViewerDocument, {}, 'wrong-2')).status).toBe(401);
    const fourth = await post(child.url, ViewerDocument, {}, 'wrong-3');
    expect(fourth.status).toBe(429);
    expect(fourth.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');

    // The instance that saw it refuses the address outright, even with a good key, over HTTP and WebSocket…
    const good = await post(child.url, ViewerDocument, {}, cafe.apiKey);
    expect(good.status).toBe(429);
    const sub = subscribe(liveClient(child.wsUrl, cafe.apiKey), ViewerDocument, {});
    await waitUntil(() => sub.closed !== null);
    expect(sub.closed!.code).toBe(4429);
    await sub.stop();
    // …while an instance that has not seen it yet refuses the next failure.
    expect((await post(gw.url, ViewerDocument, {}, 'wrong-4')).status).toBe(429);
    expect((await post(gw.url, ViewerDocument, {}, null)).body.data).toEqual({ viewer: 'anonymous' });

    await nextWindow();
    expect((await post(child.url, ViewerDocument, {}, cafe.apiKey)).body.data).toEqual({ viewer: `partner:${cafe.slug}` });
  });

  it('tokens tried on the file routes count too: the export past the limit answers 429 RATE_LIMITED', async () => {
    const exportOf = (token: string) =>
      fetch(gw.url.replace(/\/graphql$/, '/exports/transactions.csv?from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z'), {
        headers: { authorization: `Bearer ${token}` },
      });
    await nextWindow();
    await roomInWindow(800);
    for (let i = 0; i < 3; i++) expect((await exportOf(`wrong-file-${i}`)).status).toBe(401);
    const fourth = await exportOf('wrong-file-3');
    expect(fourth.status).toBe(429);
    expect(((await fourth.json()) as { error: { code: string } }).error.code).toBe('RATE_LIMITED');
    await nextWindow();
  });
});

async function waitUntil(done: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}
