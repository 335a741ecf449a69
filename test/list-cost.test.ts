// Lists in the cost limit and the response ceiling (README: Query limits). Every list field counts
// by its size: `first` on connections, a declared maximum enforced where the items are created
// (earn rules, punch cards), or its real length as it resolves (lists that grow with history).
// A response holds at most MAX_RESPONSE_OBJECTS list items and objects. Past a limit the client
// gets one QUERY_TOO_COMPLEX error and no data, over HTTP and graphql-ws alike, and lists nested
// under lists cost one query per level, not one per parent.
import { getNamedType, getNullableType, isListType, isObjectType, parse } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateEarnRuleDocument, CreatePunchCardDocument, SetExchangeRateDocument } from './generated/graphql';
import { startTestGateway, TestGateway } from './support/gateway';
import { newPartner, newReward, TestPartner, uniq } from './support/factories';
import { liveClient, settle, subscribe } from './support/live-client';
import { gatewaySchema } from '../src/app/schema';
import { listSizeOf } from '../src/graphql/list-size';

interface Answer {
  status: number;
  body: { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}

async function post(gw: TestGateway, query: string, token?: string): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(gw.url, { method: 'POST', headers, body: JSON.stringify({ query }) });
  return { status: res.status, body: (await res.json()) as Answer['body'] };
}

/** One operation over graphql-ws (anonymous): its first result, or the errors it was refused with. */
async function overWs(gw: TestGateway, query: string) {
  const sub = subscribe(liveClient(gw.wsUrl, null), parse(query) as TypedDocumentNode<unknown, Record<string, unknown>>, {});
  try {
    await Promise.race([sub.waitFor(1), sub.waitForError()]);
    return { data: sub.events[0], errors: sub.errors };
  } finally {
    await sub.stop();
  }
}

function expectRefused(r: Answer, limit: string) {
  expect(r.status).toBe(400);
  expect(r.body.data).toBeUndefined();
  expect(r.body.errors).toHaveLength(1);
  expect(r.body.errors![0]!.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit });
}

async function addRules(gw: TestGateway, partner: TestPartner, n: number) {
  for (let i = 0; i < n; i++) {
    await gw.ok(CreateEarnRuleDocument, { input: { name: `Bonus ${i}`, kind: 'BONUS', bonusPoints: 1 } }, partner.apiKey);
  }
}

async function addRates(gw: TestGateway, partner: TestPartner, n: number) {
  for (let i = 0; i < n; i++) {
    await gw.ok(SetExchangeRateDocument, { input: { partnerId: partner.id, earnRate: String(i + 2), burnRate: '0.01' } }, gw.adminToken);
  }
}

/** `partner { L { partner { L { … { id } } } } }`, `levels` lists deep. */
function nested(partnerId: string, list: string, levels: number, leaf = 'id'): string {
  let inner = leaf;
  for (let i = 1; i < levels; i++) inner = `partner { ${list} { ${inner} } }`;
  return `{ partner(id: "${partnerId}") { ${list} { ${inner} } } }`;
}

describe('every list field declares its size', () => {
  it('a maximum, measured, or a page of its connection: none is left to the default', async () => {
    const schema = await gatewaySchema();
    const undeclared: string[] = [];
    const declared: Record<string, string> = {};
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith('__')) continue;
      for (const field of Object.values(type.getFields())) {
        if (!isListType(getNullableType(field.type))) continue;
        const size = listSizeOf(field);
        if (!size) undeclared.push(`${type.name}.${field.name}`);
        else declared[`${type.name}.${field.name}`] = 'max' in size ? `max ${size.max}` : 'measured' in size ? 'measured' : 'page';
      }
    }
    expect(undeclared).toEqual([]);
    // The two the nested-list attack went through carry a maximum the services enforce.
    expect(declared).toMatchObject({ 'Partner.earnRules': 'max 50', 'Query.earnRules': 'max 50', 'Partner.punchCards': 'max 20' });
    // Connection edges are weighed by the connection's first.
    expect(
      Object.entries(declared)
        .filter(([f]) => f.endsWith('Connection.edges'))
        .every(([, s]) => s === 'page'),
    ).toBe(true);
    expect(getNamedType(schema.getQueryType()!.getFields().partners!.type).name).toBe('PartnerConnection');
  });
});

describe('with the default limits', () => {
  let gw: TestGateway;
  let cafe: TestPartner;

  beforeAll(async () => {
    gw = await startTestGateway();
    cafe = await newPartner(gw);
    await addRules(gw, cafe, 30);
  });
  afterAll(() => gw?.stop());

  it('the nested earnRules query (30 rules, 4 levels: 810,000 objects) is refused at once, and a concurrent small query answers fast', async () => {
    const attack = nested(cafe.id, 'earnRules', 4, 'id name');
    const started = Date.now();
    const [refused, small] = await Promise.all([
      post(gw, attack),
      (async () => {
        const t0 = Date.now();
        const r = await post(gw, `{ partner(id: "${cafe.id}") { id name earnRules { id } } }`);
        return { r, ms: Date.now() - t0 };
      })(),
    ]);
    expectRefused(refused, 'cost');
    // 1 + (1 + 50 × (1 + (1 + 50 × (1 + (1 + 50 × (1 + (1 + 50 × 2))))))): each list at its maximum of 50.
    expect(refused.body.errors![0]!.message).toContain('found 12755102');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(small.r.body.errors).toBeUndefined();
    expect((small.r.body.data!.partner as { earnRules: unknown[] }).earnRules).toHaveLength(30);
    expect(small.ms).toBeLessThan(2_000);
  }, 60_000);

  it('the same over graphql-ws', async () => {
    const r = await overWs(gw, nested(cafe.id, 'earnRules', 4, 'id name'));
    expect(r.data).toBeUndefined();
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]!.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'cost' });
  });

  it('a partner has at most 50 earn rules: the 51st is refused naming input.partnerId, nothing written', async () => {
    const p = await newPartner(gw);
    await addRules(gw, p, 50);
    const r = await gw.gql(CreateEarnRuleDocument, { input: { name: 'One too many', kind: 'BONUS', bonusPoints: 1 } }, p.apiKey);
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.partnerId' });
    const [{ n }] = await gw.sql<{ n: number }>(`SELECT count(*)::int AS n FROM earn_rule WHERE partner_id = $1`, [p.id]);
    expect(n).toBe(50);
    // Another partner is not affected, and the full one's list answers with all 50 (its maximum).
    expect((await gw.gql(CreateEarnRuleDocument, { input: { name: 'Fine', kind: 'BONUS', bonusPoints: 1 } }, cafe.apiKey)).errors).toBeUndefined();
    const list = await post(gw, `{ partner(id: "${p.id}") { earnRules { id } } }`);
    expect((list.body.data!.partner as { earnRules: unknown[] }).earnRules).toHaveLength(50);
  }, 60_000);

  it('a partner has at most 20 punch cards: the 21st is refused naming input.partnerId, nothing written', async () => {
    const p = await newPartner(gw);
    const reward = await newReward(gw, p, { pointsCost: 10 });
    const card = (i: number) => gw.gql(CreatePunchCardDocument, { input: { name: `Card ${i}`, punchesRequired: 5, rewardId: reward.id } }, p.apiKey);
    for (let i = 0; i < 20; i++) expect((await card(i)).errors).toBeUndefined();
    expect((await card(20)).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.partnerId' });
    const [{ n }] = await gw.sql<{ n: number }>(`SELECT count(*)::int AS n FROM punch_card WHERE partner_id = $1`, [p.id]);
    expect(n).toBe(20);
  }, 60_000);

  describe('a list that grows with history counts by its real length', () => {
    let airline: TestPartner;
    beforeAll(async () => {
      airline = await newPartner(gw);
      await addRates(gw, airline, 24); // 25 versions
    });

    it('two levels of exchangeRateHistory (25 × 25) are served', async () => {
      const r = await post(gw, nested(airline.id, 'exchangeRateHistory', 2));
      expect(r.body.errors).toBeUndefined();
      const history = (r.body.data!.partner as { exchangeRateHistory: { partner: { exchangeRateHistory: unknown[] } }[] }).exchangeRateHistory;
      expect(history).toHaveLength(25);
      expect(history[0]!.partner.exchangeRateHistory).toHaveLength(25);
    });

    it('three levels (25 × 25 × 25) pass validation but are refused as they resolve: one error, no data', async () => {
      const query = nested(airline.id, 'exchangeRateHistory', 3);
      const r = await post(gw, query);
      expectRefused(r, 'cost');
      expect(r.body.errors![0]!.message).toMatch(/real length/);
      const ws = await overWs(gw, query);
      expect(ws.data).toBeUndefined();
      expect(ws.errors).toHaveLength(1);
      expect(ws.errors[0]!.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'cost' });
      // The server goes on serving.
      expect((await post(gw, '{ viewer }')).body.data).toEqual({ viewer: 'anonymous' });
    });
  });

  describe('lists nested under lists cost one query per level, not one per parent', () => {
    let statements: string[] | null = null;
    const original = Client.prototype.query;
    const partners: TestPartner[] = [];

    beforeAll(async () => {
      Client.prototype.query = function (this: Client, ...args: unknown[]) {
        const first = args[0] as string | { text?: string };
        const text = typeof first === 'string' ? first : (first?.text ?? '');
        if (statements && /\b(earn_rule|punch_card)\b/.test(text)) statements.push(text.replace(/\s+/g, ' ').trim());
        return (original as (...a: unknown[]) => unknown).apply(this, args);
      } as typeof Client.prototype.query;
      for (let i = 0; i < 4; i++) {
        const p = await newPartner(gw);
        await addRules(gw, p, 2);
        await gw.ok(
          CreatePunchCardDocument,
          { input: { name: uniq('card'), punchesRequired: 5, rewardId: (await newReward(gw, p, { pointsCost: 10 })).id } },
          p.apiKey,
        );
        partners.push(p);
      }
    });
    afterAll(() => {
      Client.prototype.query = original;
    });

    async function counted(n: number) {
      const fields = partners
        .slice(0, n)
        .map((p, i) => `p${i}: partner(id: "${p.id}") { id earnRules { id partner { punchCards { id } } } punchCards { id } }`);
      statements = [];
      try {
        const r = await post(gw, `{ ${fields.join(' ')} }`);
        expect(r.body.errors).toBeUndefined();
        return { data: r.body.data!, sql: statements };
      } finally {
        statements = null;
      }
    }

    it('earn rules and punch cards of 1 or 4 partners (8 rules, each back to its partner): one query each', async () => {
      const one = await counted(1);
      const four = await counted(4);
      expect(Object.keys(four.data)).toHaveLength(4);
      for (const p of Object.values(four.data) as { earnRules: { partner: { punchCards: unknown[] } }[]; punchCards: unknown[] }[]) {
        expect(p.earnRules).toHaveLength(2);
        expect(p.earnRules[0]!.partner.punchCards).toHaveLength(1);
        expect(p.punchCards).toHaveLength(1);
      }
      expect(four.sql.length, four.sql.join('\n')).toBe(one.sql.length);
      expect(four.sql.length, four.sql.join('\n')).toBeLessThanOrEqual(2);
    });
  });
});

describe('the response ceiling (MAX_RESPONSE_OBJECTS)', () => {
  let gw: TestGateway;
  let partner: TestPartner;

  beforeAll(async () => {
    gw = await startTestGateway({ MAX_RESPONSE_OBJECTS: '100' });
    partner = await newPartner(gw);
    await addRates(gw, partner, 11); // 12 versions
  });
  afterAll(() => gw?.stop());

  it('12 rate versions (13 objects) are served; 12 × 12 nested (169 objects) is refused whole, over HTTP and graphql-ws', async () => {
    const ok = await post(gw, nested(partner.id, 'exchangeRateHistory', 1));
    expect(ok.body.errors).toBeUndefined();
    expect((ok.body.data!.partner as { exchangeRateHistory: unknown[] }).exchangeRateHistory).toHaveLength(12);
    const query = nested(partner.id, 'exchangeRateHistory', 2);
    const r = await post(gw, query);
    expectRefused(r, 'objects');
    expect(r.body.errors![0]!.extensions!.max).toBe(100);
    const ws = await overWs(gw, query);
    expect(ws.data).toBeUndefined();
    expect(ws.errors).toHaveLength(1);
    expect(ws.errors[0]!.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'objects' });
  });

  it('a subscription has a ceiling per event, not for its whole life', async () => {
    const doc = parse(`subscription($p: ID) { exchangeRateChanged(partnerId: $p) { id partner { exchangeRateHistory { id } } } }`);
    const sub = subscribe(
      liveClient(gw.wsUrl, null),
      doc as TypedDocumentNode<{ exchangeRateChanged: { partner: { exchangeRateHistory: unknown[] } } }, { p: string }>,
      {
        p: partner.id,
      },
    );
    try {
      await settle();
      // Each event holds 2 + 13…18 objects, all of them together well over 100.
      await addRates(gw, partner, 6);
      const events = await sub.waitFor(6);
      expect(sub.errors).toEqual([]);
      expect(events.map((e) => e.exchangeRateChanged.partner.exchangeRateHistory.length)).toEqual([13, 14, 15, 16, 17, 18]);
    } finally {
      await sub.stop();
    }
  });
});
