// Issue 19: three gateway processes on one database behind a round-robin client, as a load
// balancer would spread them. An event written through one replica reaches subscribers on the
// others; rate limits and key revocation hold across replicas; and a rolling restart of all three
// (SIGTERM, wait for exit 0, start a new one, next) under write load loses no acknowledged write,
// while every subscriber, reconnecting to another replica with `after` when its socket is closed
// with 1012, ends with every event of its member, once each, in order (each balance = the
// previous + the transaction's points).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { print } from 'graphql';
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import { Client as PgClient } from 'pg';
import { gqlAt, GqlResult, newTestDatabase } from './support/gateway';
import { ChildGateway, startChildGateway } from './support/child-gateway';
import { liveClient, settle, subscribe } from './support/live-client';
import {
  BalanceChangedDocument,
  BalanceChangedSubscription,
  CreatePartnerApiKeyDocument,
  CreatePartnerDocument,
  CreatePartnerLinkCodeDocument,
  EarnPointsDocument,
  EnrollMemberDocument,
  IssueMemberTokenDocument,
  RevokePartnerApiKeyDocument,
  SetExchangeRateDocument,
  ViewerDocument,
} from './generated/graphql';

const ENV = {
  LOG_LEVEL: 'warn',
  TRUST_PROXY_HOPS: '1',
  // Fixed windows aligned to the clock: a day's, so the counts below cannot straddle two.
  RATE_LIMIT_WINDOW_SECONDS: '86400',
  RATE_LIMIT_AUTH_FAILURES: '5',
  RATE_LIMIT_MEMBER_WRITES: '4',
  POINTS_LIFECYCLE_INTERVAL_SECONDS: '0',
  TIER_EVALUATION_INTERVAL_SECONDS: '0',
  WEBHOOK_POLL_INTERVAL_MS: '5000',
};

let database: { url: string; drop(): Promise<void> };
const adminToken = `adm_replicas_${randomBytes(12).toString('hex')}`;
const replicas: ChildGateway[] = [];
let turn = 0;
/** The next replica in the rotation (the round-robin client). */
const next = () => replicas[turn++ % replicas.length]!;

let partner: { id: string; apiKey: string };
interface Member {
  id: string;
  token: string;
}
const members: Member[] = [];

beforeAll(async () => {
  database = await newTestDatabase();
  replicas.push(...(await Promise.all([0, 1, 2].map(() => startChildGateway(database.url, adminToken, ENV)))));
  const slug = `rr-${randomBytes(3).toString('hex')}`;
  const created = await must(gqlAt(replicas[0]!.url, CreatePartnerDocument, { input: { slug, name: 'Round Robin Café', currencyCode: 'MYR' } }, adminToken));
  await must(gqlAt(replicas[1]!.url, SetExchangeRateDocument, { input: { partnerId: created.createPartner.id, earnRate: '1', burnRate: '0.01' } }, adminToken));
  const key = await must(gqlAt(replicas[2]!.url, CreatePartnerApiKeyDocument, { partnerId: created.createPartner.id }, adminToken));
  partner = { id: created.createPartner.id, apiKey: key.createPartnerApiKey };
  for (let i = 0; i < 4; i++) {
    const { enrollMember } = await must(
      gqlAt(next().url, EnrollMemberDocument, { input: { email: `rr-${slug}-${i}@example.com`, displayName: `RR ${i}` } }, partner.apiKey),
    );
    const { issueMemberToken } = await must(gqlAt(next().url, IssueMemberTokenDocument, { memberId: enrollMember.id }, partner.apiKey));
    members.push({ id: enrollMember.id, token: issueMemberToken });
  }
}, 90_000);

afterAll(async () => {
  await Promise.all(replicas.map((r) => r.kill('SIGKILL')));
  await database?.drop();
});

async function must<T>(r: Promise<GqlResult<T>>): Promise<T> {
  const { data, errors } = await r;
  if (errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(errors)}`);
  return data!;
}

let receipt = 0;
const earnInput = (member: Member, amount = '1.00') => {
  const ref = `rr-${++receipt}-${randomBytes(3).toString('hex')}`;
  return { memberId: member.id, amount, currencyCode: 'MYR', externalRef: ref, idempotencyKey: ref };
};

it('an event written through one replica reaches subscribers on the others', async () => {
  const member = members[0]!;
  const onB = subscribe(liveClient(replicas[1]!.wsUrl, member.token), BalanceChangedDocument, { memberId: member.id });
  const onC = subscribe(liveClient(replicas[2]!.wsUrl, member.token), BalanceChangedDocument, { memberId: member.id });
  await settle(400);
  const { earnPoints } = await must(gqlAt(replicas[0]!.url, EarnPointsDocument, { input: earnInput(member, '7.00') }, partner.apiKey));
  for (const sub of [onB, onC]) {
    const [event] = await sub.waitFor(1, 15_000);
    expect(event!.balanceChanged.transaction?.id).toBe(earnPoints.id);
    await sub.stop();
  }
}, 30_000);

it('rate limits hold across replicas: failed authentications and member writes are counted together', async () => {
  // One client address (named by the proxy hop the replicas trust), a bad token, round robin.
  const codes: string[] = [];
  for (let i = 0; i < 9; i++) {
    const r = await gqlAt(next().url, ViewerDocument, undefined, 'lgk_nope_not-a-key', { 'x-forwarded-for': '198.51.100.7' });
    codes.push(String(r.errors?.[0]?.extensions?.code));
  }
  expect(codes.slice(0, 5)).toEqual(Array(5).fill('UNAUTHENTICATED'));
  expect(codes.slice(5)).toEqual(Array(4).fill('RATE_LIMITED'));

  // A member's writes (RATE_LIMIT_MEMBER_WRITES=4): four pass, whichever replica; then none does.
  const member = members[3]!;
  const writes: string[] = [];
  for (let i = 0; i < 7; i++) {
    const r = await gqlAt(next().url, CreatePartnerLinkCodeDocument, { memberId: member.id }, member.token);
    writes.push(r.errors ? String(r.errors[0]!.extensions?.code) : 'ok');
  }
  expect(writes).toEqual(['ok', 'ok', 'ok', 'ok', 'RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED']);
}, 30_000);

it('a key revoked through one replica stops working on all of them, sockets included', async () => {
  const { createPartnerApiKey: key } = await must(gqlAt(replicas[0]!.url, CreatePartnerApiKeyDocument, { partnerId: partner.id }, adminToken));
  for (const r of replicas) expect((await gqlAt(r.url, ViewerDocument, undefined, key)).errors).toBeUndefined();
  const sockets = [1, 2].map((i) => subscribe(liveClient(replicas[i]!.wsUrl, key), BalanceChangedDocument, { memberId: members[0]!.id }));
  await settle(400);
  await must(gqlAt(replicas[0]!.url, RevokePartnerApiKeyDocument, { prefix: key.split('_')[1]! }, adminToken));
  for (const r of replicas) expect((await gqlAt(r.url, ViewerDocument, undefined, key)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  for (const s of sockets) {
    const deadline = Date.now() + 10_000;
    while (!s.closed && Date.now() < deadline) await settle(50);
    expect(s.closed?.code).toBe(4403);
    await s.stop();
  }
}, 30_000);

/** A subscriber that, whenever its socket goes, reconnects to the next replica and resumes with `after`. */
function resumingSubscriber(member: Member) {
  const events: BalanceChangedSubscription['balanceChanged'][] = [];
  const closeCodes: number[] = [];
  let stopped = false;
  let dispose: (() => void) | null = null;
  const connect = () => {
    if (stopped) return;
    const after = events.at(-1)?.eventId ?? null;
    const client = createClient({
      url: next().wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${member.token}` },
      retryAttempts: 0,
      lazy: true,
    });
    let again = false;
    const reconnect = () => {
      if (again) return;
      again = true;
      void client.dispose();
      setTimeout(connect, 50);
    };
    const unsubscribe = client.subscribe<BalanceChangedSubscription>(
      { query: print(BalanceChangedDocument), variables: { memberId: member.id, after } },
      {
        next: (r) => {
          if (r.data) events.push(r.data.balanceChanged);
        },
        error: (err) => {
          if (err && typeof err === 'object' && 'code' in err) closeCodes.push((err as { code: number }).code);
          reconnect();
        },
        complete: reconnect,
      },
    );
    dispose = () => {
      unsubscribe();
      void client.dispose();
    };
  };
  connect();
  return {
    events,
    closeCodes,
    stop() {
      stopped = true;
      dispose?.();
    },
  };
}

/** Earns `input` until a replica acknowledges it, moving on to the next replica after a failure (same key). */
async function earnUntilAcknowledged(input: ReturnType<typeof earnInput>): Promise<string> {
  for (let attempt = 0; attempt < 200; attempt++) {
    try {
      const r = await gqlAt(next().url, EarnPointsDocument, { input }, partner.apiKey);
      if (r.data?.earnPoints) return r.data.earnPoints.id;
      const code = r.errors?.[0]?.extensions?.code;
      if (code !== 'SERVICE_UNAVAILABLE' && r.status < 500) throw new Error(`earn refused: ${JSON.stringify(r.errors)}`);
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('earn refused')) throw err;
      // Connection refused or reset (a replica going or gone): try the next one with the same key.
    }
    await settle(20);
  }
  throw new Error('no replica acknowledged the earn');
}

it('a rolling restart of all three under write load loses no acknowledged write, and subscribers resume gap-free', async () => {
  // Members with no history yet (the first earned above): each subscriber sees its member's every transaction.
  const subscribers = members.slice(1, 4).map((m) => ({ member: m, sub: resumingSubscriber(m) }));
  await settle(500);
  // One earn each first, so every subscriber has an event id to resume after.
  for (const { member, sub } of subscribers) {
    const before = sub.events.length;
    await earnUntilAcknowledged(earnInput(member));
    const deadline = Date.now() + 15_000;
    while (sub.events.length <= before && Date.now() < deadline) await settle(20);
    expect(sub.events.length).toBeGreaterThan(before);
  }

  const acknowledged: { memberId: string; id: string }[] = [];
  let writing = true;
  const writers = [0, 1, 2, 3, 4, 5].map(async (w) => {
    for (let i = 0; writing; i++) {
      const member = subscribers[(w + i) % subscribers.length]!.member;
      acknowledged.push({ memberId: member.id, id: await earnUntilAcknowledged(earnInput(member)) });
    }
  });

  for (let i = 0; i < replicas.length; i++) {
    await settle(500);
    const old = replicas[i]!;
    await old.stop();
    expect(await old.exited).toBe(0);
    replicas[i] = await startChildGateway(database.url, adminToken, ENV);
  }
  await settle(500);
  writing = false;
  await Promise.all(writers);
  expect(acknowledged.length).toBeGreaterThan(30);

  const db = new PgClient({ connectionString: database.url });
  await db.connect();
  try {
    // Every acknowledged write is in the ledger, once.
    const ids = acknowledged.map((a) => a.id);
    const found = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ledger_transaction WHERE id = ANY($1::uuid[])`, [ids]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(found.rows[0]!.n).toBe(ids.length);

    for (const { member, sub } of subscribers) {
      const rows = await db.query<{ id: string }>(`SELECT id FROM ledger_transaction WHERE member_id = $1`, [member.id]);
      const balance = await db.query<{ balance: number }>(`SELECT balance FROM account WHERE member_id = $1`, [member.id]);
      const final = balance.rows[0]!.balance;
      const deadline = Date.now() + 20_000;
      while (sub.events.at(-1)?.balance.available !== final && Date.now() < deadline) await settle(50);
      sub.stop();
      const seen = sub.events.map((e) => e.transaction!.id);
      // Every transaction of the member, once each (its subscription began before the first).
      expect(new Set(seen).size, 'no event twice').toBe(seen.length);
      const missing = rows.rows.map((r) => r.id).filter((id) => !seen.includes(id));
      if (missing.length > 0) {
        const ev = await db.query(`SELECT id, topic, created_at, payload FROM outbox_event WHERE member_id = $1 ORDER BY id`, [member.id]);
        const all = ev.rows.map((r) => `${r.id} ${r.topic} ${JSON.stringify(r.payload).slice(0, 120)}`);
        console.log('MISSING', missing, 'seen eventIds', sub.events.map((e) => e.eventId).join(','), 'close codes', sub.closeCodes, '\n', all.join('\n'));
      }
      expect([...seen].sort()).toEqual(rows.rows.map((r) => r.id).sort());
      // In order, with nothing between: each balance is the previous one plus the transaction's points.
      let available = 0;
      for (const e of sub.events) {
        available += e.transaction!.points;
        expect(e.balance.available).toBe(available);
      }
      const eventIds = sub.events.map((e) => Number(e.eventId));
      expect(eventIds).toEqual([...eventIds].sort((a, b) => a - b));
    }
    // The restarts really moved them: sockets were closed with 1012 (service restart).
    expect(subscribers.flatMap((s) => s.sub.closeCodes)).toContain(1012);
  } finally {
    await db.end();
  }
}, 120_000);
