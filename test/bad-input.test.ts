// Bad input (DESIGN.md "Errors"): the right code, a message naming the field, nothing written, and
// the server goes on serving. In production no error carries a stack trace or internal detail.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreatePartnerDocument,
  EarnPointsDocument,
  EnrollMemberDocument,
  MemberByEmailDocument,
  MemberTransactionsDocument,
  PartnersDocument,
  RevokePartnerApiKeyDocument,
  SetExchangeRateDocument,
  SetPartnerStatusDocument,
  TiersDocument,
} from './generated/graphql';
import { GqlError, GqlResult, startTestGateway, TestGateway } from './support/gateway';
import { earn, earnInput, newMember, newPartner, TestMember, TestPartner, uniq } from './support/factories';

let gw: TestGateway;
let cafe: TestPartner; // MYR, earn rate 1
let member: TestMember;

beforeAll(async () => {
  gw = await startTestGateway();
  cafe = await newPartner(gw);
  member = await newMember(gw, cafe);
});
afterAll(() => gw?.stop());

async function counts(target: TestGateway = gw) {
  const [row] = await target.sql(`
    SELECT (SELECT count(*) FROM ledger_transaction)::int AS transactions,
           (SELECT count(*) FROM ledger_entry)::int AS entries,
           (SELECT count(*) FROM points_lot)::int AS lots,
           (SELECT count(*) FROM idempotency_key)::int AS idempotency_keys,
           (SELECT count(*) FROM outbox_event)::int AS events,
           (SELECT coalesce(sum(balance), 0)::text FROM account WHERE kind = 'MEMBER') AS balances,
           (SELECT count(*) FROM member)::int AS members,
           (SELECT count(*) FROM account)::int AS accounts,
           (SELECT count(*) FROM partner)::int AS partners,
           (SELECT count(*) FROM exchange_rate)::int AS rates`);
  return row!;
}

interface Expected {
  code: string;
  /** extensions.field, for errors the gateway raises; the message names it too. */
  field?: string;
  /** For errors graphql-js raises while coercing variables (no extensions.field): what the message must say. */
  message?: RegExp;
}

/** Exactly one error, with the code and the field named in extensions and message. */
function expectRefused(r: GqlResult<unknown>, want: Expected): GqlError {
  expect(r.errors, JSON.stringify(r.errors)).toHaveLength(1);
  const err = r.errors![0]!;
  expect(err.extensions?.code).toBe(want.code);
  if (want.field) {
    expect(err.extensions?.field).toBe(want.field);
    expect(err.message).toContain(want.field);
  }
  if (want.message) expect(err.message).toMatch(want.message);
  expect(r.status).toBeLessThan(500);
  return err;
}

// ---------------------------------------------------------------------------------------------
// earnPoints
// ---------------------------------------------------------------------------------------------

const EARN_CASES: { name: string; input: Record<string, unknown>; want: Expected }[] = [
  { name: 'amount "0"', input: { amount: '0' }, want: { code: 'BAD_USER_INPUT', field: 'input.amount' } },
  { name: 'amount "-5"', input: { amount: '-5' }, want: { code: 'BAD_USER_INPUT', field: 'input.amount' } },
  { name: 'amount "abc" (not a Decimal)', input: { amount: 'abc' }, want: { code: 'BAD_USER_INPUT', message: /input\.amount/ } },
  { name: 'amount "12.345" in MYR (2 decimals)', input: { amount: '12.345' }, want: { code: 'BAD_USER_INPUT', field: 'input.amount' } },
  { name: 'amount "1000000000001" (over 10^12)', input: { amount: '1000000000001' }, want: { code: 'BAD_USER_INPUT', field: 'input.amount' } },
  { name: 'amount 12.5 as a JSON number', input: { amount: 12.5 }, want: { code: 'BAD_USER_INPUT', message: /input\.amount.*string/ } },
  { name: 'currencyCode not the partner’s', input: { currencyCode: 'SGD' }, want: { code: 'BAD_USER_INPUT', field: 'input.currencyCode' } },
  { name: 'unknown memberId', input: { memberId: randomUUID() }, want: { code: 'NOT_FOUND', field: 'input.memberId' } },
  { name: 'memberId "not-a-uuid"', input: { memberId: 'not-a-uuid' }, want: { code: 'BAD_USER_INPUT', field: 'input.memberId' } },
  { name: 'empty idempotencyKey', input: { idempotencyKey: '' }, want: { code: 'BAD_USER_INPUT', field: 'input.idempotencyKey' } },
  { name: 'blank idempotencyKey', input: { idempotencyKey: '   ' }, want: { code: 'BAD_USER_INPUT', field: 'input.idempotencyKey' } },
  { name: '256-char idempotencyKey', input: { idempotencyKey: 'k'.repeat(256) }, want: { code: 'BAD_USER_INPUT', field: 'input.idempotencyKey' } },
  { name: 'empty externalRef', input: { externalRef: '' }, want: { code: 'BAD_USER_INPUT', field: 'input.externalRef' } },
  { name: 'blank externalRef', input: { externalRef: '   ' }, want: { code: 'BAD_USER_INPUT', field: 'input.externalRef' } },
  { name: '256-char externalRef', input: { externalRef: 'r'.repeat(256) }, want: { code: 'BAD_USER_INPUT', field: 'input.externalRef' } },
  // PostgreSQL text cannot store U+0000: refused as input, not an internal error from the INSERT.
  { name: 'externalRef with a NUL character', input: { externalRef: 'r\u0000' }, want: { code: 'BAD_USER_INPUT', field: 'input.externalRef' } },
  { name: 'idempotencyKey with a NUL character', input: { idempotencyKey: 'k\u0000' }, want: { code: 'BAD_USER_INPUT', field: 'input.idempotencyKey' } },
];

describe('earnPoints refuses bad input, writes nothing, and keeps serving', () => {
  it.each(EARN_CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const valid = earnInput(member, '10.00');
    const before = await counts();
    const r = await gw.gql(EarnPointsDocument, { input: { ...valid, ...c.input } as typeof valid }, cafe.apiKey);
    expectRefused(r, c.want);
    expect(r.data?.earnPoints ?? null).toBeNull();
    expect(await counts()).toEqual(before);
    // The refused request claimed nothing: the same key and receipt (where they were valid) now work.
    const after = { ...valid };
    if ('idempotencyKey' in c.input) after.idempotencyKey = uniq('key');
    if ('externalRef' in c.input) after.externalRef = uniq('receipt');
    const ok = await gw.ok(EarnPointsDocument, { input: after }, cafe.apiKey);
    expect(ok.earnPoints.points).toBe(10);
  });

  it('the largest amount accepted is exactly 10^12 (the bound is inclusive)', async () => {
    const rich = await newMember(gw, cafe);
    const cheap = await newPartner(gw, { earnRate: '0.000001' });
    const tx = await gw.ok(EarnPointsDocument, { input: earnInput(rich, '1000000000000') }, cheap.apiKey);
    expect(tx.earnPoints.points).toBe(1_000_000);
  });

  it('a suspended partner: PARTNER_SUSPENDED, nothing written; reactivated, it earns', async () => {
    const p = await newPartner(gw);
    await gw.ok(SetPartnerStatusDocument, { partnerId: p.id, status: 'SUSPENDED' }, gw.adminToken);
    const input = earnInput(member, '10.00');
    const before = await counts();
    const own = expectRefused(await gw.gql(EarnPointsDocument, { input }, p.apiKey), { code: 'PARTNER_SUSPENDED' });
    expect(own.extensions?.field).toBe('input.partnerId');
    // An admin earning on its behalf is refused the same way.
    const onBehalf = expectRefused(await gw.gql(EarnPointsDocument, { input: { ...input, partnerId: p.id } }, gw.adminToken), {
      code: 'PARTNER_SUSPENDED',
    });
    expect(onBehalf.extensions?.field).toBe('input.partnerId');
    expect(await counts()).toEqual(before);
    await gw.ok(SetPartnerStatusDocument, { partnerId: p.id, status: 'ACTIVE' }, gw.adminToken);
    expect((await gw.ok(EarnPointsDocument, { input }, p.apiKey)).earnPoints.points).toBe(10);
  });

  it('a partner with no exchange rate: RATE_NOT_SET, nothing written; once set, it earns', async () => {
    const p = await newPartner(gw, { earnRate: null });
    const input = earnInput(member, '10.00');
    const before = await counts();
    const err = expectRefused(await gw.gql(EarnPointsDocument, { input }, p.apiKey), { code: 'RATE_NOT_SET' });
    expect(err.extensions?.field).toBe('input.partnerId');
    const onBehalf = expectRefused(await gw.gql(EarnPointsDocument, { input: { ...input, partnerId: p.id } }, gw.adminToken), { code: 'RATE_NOT_SET' });
    expect(onBehalf.extensions?.field).toBe('input.partnerId');
    expect(await counts()).toEqual(before);
    await gw.ok(SetExchangeRateDocument, { input: { partnerId: p.id, earnRate: '2', burnRate: '0.01' } }, gw.adminToken);
    expect((await gw.ok(EarnPointsDocument, { input }, p.apiKey)).earnPoints.points).toBe(20);
  });

  it('a rate scheduled for later is not a rate yet: RATE_NOT_SET', async () => {
    const p = await newPartner(gw, { earnRate: null });
    const later = new Date(Date.now() + 3_600_000).toISOString();
    await gw.ok(SetExchangeRateDocument, { input: { partnerId: p.id, earnRate: '2', burnRate: '0.01', effectiveFrom: later } }, gw.adminToken);
    const err = expectRefused(await gw.gql(EarnPointsDocument, { input: earnInput(member, '10.00') }, p.apiKey), { code: 'RATE_NOT_SET' });
    expect(err.extensions?.field).toBe('input.partnerId');
  });

  it('a currency with 0 decimals (JPY) refuses "100.5" and takes "100"', async () => {
    const p = await newPartner(gw, { currencyCode: 'JPY' });
    const before = await counts();
    expectRefused(await gw.gql(EarnPointsDocument, { input: earnInput(member, '100.5', { currencyCode: 'JPY' }) }, p.apiKey), {
      code: 'BAD_USER_INPUT',
      field: 'input.amount',
    });
    expect(await counts()).toEqual(before);
    expect((await earn(gw, p, member, '100')).points).toBe(100);
  });
});

// ---------------------------------------------------------------------------------------------
// enrollMember, createPartner, setExchangeRate
// ---------------------------------------------------------------------------------------------

describe('enrollMember', () => {
  const valid = () => ({ email: `${uniq('m')}@example.com`, displayName: 'Someone' });
  const CASES: { name: string; input: () => Record<string, unknown>; field: string }[] = [
    { name: 'malformed email "not-an-email"', input: () => ({ email: 'not-an-email' }), field: 'input.email' },
    { name: 'email with a space', input: () => ({ email: 'a b@example.com' }), field: 'input.email' },
    { name: 'duplicate email in another case', input: () => ({ email: member.email.toUpperCase() }), field: 'input.email' },
    { name: 'empty displayName', input: () => ({ displayName: '' }), field: 'input.displayName' },
    { name: 'blank displayName', input: () => ({ displayName: '   ' }), field: 'input.displayName' },
    { name: 'birthDate "2020-02-30" (no such day)', input: () => ({ birthDate: '2020-02-30' }), field: 'input.birthDate' },
    { name: 'email with a NUL character', input: () => ({ email: 'a\u0000b@example.com' }), field: 'input.email' },
    { name: 'displayName with a NUL character', input: () => ({ displayName: 'A\u0000' }), field: 'input.displayName' },
    { name: 'birthDate "30/01/2000" (not YYYY-MM-DD)', input: () => ({ birthDate: '30/01/2000' }), field: 'input.birthDate' },
  ];

  it.each(CASES.map((c) => [c.name, c] as const))('%s → BAD_USER_INPUT, nothing written', async (_name, c) => {
    const before = await counts();
    const r = await gw.gql(EnrollMemberDocument, { input: { ...valid(), ...c.input() } as ReturnType<typeof valid> }, cafe.apiKey);
    expectRefused(r, { code: 'BAD_USER_INPUT', field: c.field });
    expect(await counts()).toEqual(before);
    const ok = await gw.ok(EnrollMemberDocument, { input: valid() }, cafe.apiKey);
    expect(ok.enrollMember.tier.name).toBe('Bronze');
  });
});

describe('createPartner', () => {
  const valid = () => ({ slug: uniq('shop'), name: 'Shop', currencyCode: 'MYR' });
  const CASES: { name: string; input: () => Record<string, unknown>; field: string }[] = [
    { name: 'slug "Bad Slug!"', input: () => ({ slug: 'Bad Slug!' }), field: 'input.slug' },
    { name: 'slug "-dash-first"', input: () => ({ slug: '-dash-first' }), field: 'input.slug' },
    { name: 'slug of one character', input: () => ({ slug: 'x' }), field: 'input.slug' },
    { name: 'duplicate slug (in another case)', input: () => ({ slug: cafe.slug.toUpperCase() }), field: 'input.slug' },
    { name: 'currency "XYZ"', input: () => ({ currencyCode: 'XYZ' }), field: 'input.currencyCode' },
    { name: 'empty name', input: () => ({ name: ' ' }), field: 'input.name' },
    { name: 'name with a NUL character', input: () => ({ name: 'Shop\u0000' }), field: 'input.name' },
  ];

  it.each(CASES.map((c) => [c.name, c] as const))('%s → BAD_USER_INPUT, nothing written', async (_name, c) => {
    const before = await counts();
    const r = await gw.gql(CreatePartnerDocument, { input: { ...valid(), ...c.input() } as ReturnType<typeof valid> }, gw.adminToken);
    expectRefused(r, { code: 'BAD_USER_INPUT', field: c.field });
    expect(await counts()).toEqual(before);
    expect((await gw.ok(CreatePartnerDocument, { input: valid() }, gw.adminToken)).createPartner.status).toBe('ACTIVE');
  });
});

describe('setExchangeRate', () => {
  const valid = () => ({ partnerId: cafe.id, earnRate: '1', burnRate: '0.01' });
  const CASES: { name: string; input: () => Record<string, unknown>; want: Expected }[] = [
    { name: 'earnRate "0"', input: () => ({ earnRate: '0' }), want: { code: 'BAD_USER_INPUT', field: 'input.earnRate' } },
    { name: 'burnRate "-0.01"', input: () => ({ burnRate: '-0.01' }), want: { code: 'BAD_USER_INPUT', field: 'input.burnRate' } },
    {
      name: 'effectiveFrom an hour ago',
      input: () => ({ effectiveFrom: new Date(Date.now() - 3_600_000).toISOString() }),
      want: { code: 'BAD_USER_INPUT', field: 'input.effectiveFrom' },
    },
    { name: 'unknown partnerId', input: () => ({ partnerId: randomUUID() }), want: { code: 'NOT_FOUND', field: 'input.partnerId' } },
    { name: 'partnerId "nope"', input: () => ({ partnerId: 'nope' }), want: { code: 'BAD_USER_INPUT', field: 'input.partnerId' } },
  ];

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const before = await counts();
    const r = await gw.gql(SetExchangeRateDocument, { input: { ...valid(), ...c.input() } as ReturnType<typeof valid> }, gw.adminToken);
    expectRefused(r, c.want);
    expect(await counts()).toEqual(before);
    expect((await gw.ok(SetExchangeRateDocument, { input: valid() }, gw.adminToken)).setExchangeRate.partner.id).toBe(cafe.id);
  });
});

describe('lookups', () => {
  it('memberByEmail with a NUL character → BAD_USER_INPUT naming email; the next lookup works', async () => {
    expectRefused(await gw.gql(MemberByEmailDocument, { email: `${member.email}\u0000` }, cafe.apiKey), { code: 'BAD_USER_INPUT', field: 'email' });
    expect((await gw.ok(MemberByEmailDocument, { email: member.email }, cafe.apiKey)).memberByEmail?.id).toBe(member.id);
  });

  it('revokePartnerApiKey with a NUL character → BAD_USER_INPUT naming prefix, nothing revoked', async () => {
    const before = await gw.sql(`SELECT count(*)::int AS n FROM partner_api_key WHERE revoked_at IS NOT NULL`);
    expectRefused(await gw.gql(RevokePartnerApiKeyDocument, { prefix: '\u0000' }, gw.adminToken), { code: 'BAD_USER_INPUT', field: 'prefix' });
    expect(await gw.sql(`SELECT count(*)::int AS n FROM partner_api_key WHERE revoked_at IS NOT NULL`)).toEqual(before);
    expect((await gw.ok(RevokePartnerApiKeyDocument, { prefix: 'ffffffff' }, gw.adminToken)).revokePartnerApiKey).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// Paging
// ---------------------------------------------------------------------------------------------

describe('paging arguments', () => {
  it.each([
    ['first: 101', { first: 101 }, 'first'],
    ['first: -1', { first: -1 }, 'first'],
    ['a garbage after cursor', { after: 'not-a-cursor' }, 'after'],
    ['a cursor from another list', { after: Buffer.from('tx:1').toString('base64url') }, 'after'],
  ] as const)('partners(%s) → BAD_USER_INPUT naming %s', async (_name, args, field) => {
    expectRefused(await gw.gql(PartnersDocument, args, null), { code: 'BAD_USER_INPUT', field });
    // The bounds themselves are fine, and so is the next request.
    expect((await gw.ok(PartnersDocument, { first: 100 }, null)).partners.totalCount).toBeGreaterThan(0);
    expect((await gw.ok(PartnersDocument, { first: 0 }, null)).partners.edges).toEqual([]);
  });

  it('Member.transactions refuses a partners cursor and first: 101', async () => {
    const { partners } = await gw.ok(PartnersDocument, { first: 1 }, null);
    for (const args of [{ after: partners.pageInfo.endCursor! }, { first: 101 }]) {
      const r = await gw.gql(MemberTransactionsDocument, { id: member.id, ...args }, member.token);
      expect(r.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(r.errors?.[0]?.extensions?.field).toBe(Object.keys(args)[0]);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Production: no stack traces, no internal detail
// ---------------------------------------------------------------------------------------------

describe('in production', () => {
  let prod: TestGateway;
  let shop: TestPartner;
  let buyer: TestMember;
  beforeAll(async () => {
    prod = await startTestGateway({ NODE_ENV: 'production' });
    shop = await newPartner(prod);
    buyer = await newMember(prod, shop);
  });
  afterAll(() => prod?.stop());

  async function raw(target: TestGateway, body: unknown, token?: string) {
    const res = await fetch(target.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, text, body: JSON.parse(text) as { data?: unknown; errors?: GqlError[] } };
  }

  // Every kind of error the gateway answers with: domain, coercion, validation, parse, argument
  // validation, authentication.
  const requests: [string, (g: TestGateway) => Promise<{ status: number; text: string; body: { errors?: GqlError[] } }>, string][] = [
    [
      'a domain error',
      (g) => raw(g, { query: 'mutation { createPartner(input: { slug: "Bad Slug!", name: "x", currencyCode: "MYR" }) { id } }' }, g.adminToken),
      'BAD_USER_INPUT',
    ],
    [
      'a variable that is not a Decimal',
      (g) =>
        raw(g, {
          query: 'mutation ($input: EarnPointsInput!) { earnPoints(input: $input) { id } }',
          variables: { input: { memberId: randomUUID(), amount: 12.5, currencyCode: 'MYR', externalRef: 'r', idempotencyKey: 'k' } },
        }),
      'BAD_USER_INPUT',
    ],
    ['an unknown field', (g) => raw(g, { query: '{ tiers { name secret } }' }), 'GRAPHQL_VALIDATION_FAILED'],
    ['a parse error', (g) => raw(g, { query: '{ tiers { ' }), 'GRAPHQL_PARSE_FAILED'],
    ['an out-of-range page size', (g) => raw(g, { query: '{ partners(first: 101) { totalCount } }' }), 'BAD_USER_INPUT'],
    ['a bad token', (g) => raw(g, { query: '{ viewer }' }, 'garbage-token'), 'UNAUTHENTICATED'],
    ['a missing token', (g) => raw(g, { query: '{ member(id: "00000000-0000-0000-0000-000000000000") { id } }' }), 'UNAUTHENTICATED'],
  ];

  it.each(requests)('%s: no stacktrace in extensions', async (_name, send, code) => {
    const r = await send(prod);
    expect(r.body.errors?.[0]?.extensions?.code).toBe(code);
    for (const e of r.body.errors ?? []) expect(e.extensions ?? {}).not.toHaveProperty('stacktrace');
    expect(r.text).not.toMatch(/\bat .*\.(ts|js):\d+/);
    expect(r.status).toBeLessThan(500);
  });

  it('(control: outside production the same errors do carry a stacktrace, so the check above can fail)', async () => {
    const r = await requests[1]![1](gw);
    expect(r.body.errors?.[0]?.extensions).toHaveProperty('stacktrace');
  });

  it('an unexpected internal error says only "Internal server error", and the next request is served', async () => {
    // Break the database under the gateway (its own clone), then put it back.
    await prod.sql(`ALTER TABLE tier RENAME TO tier_out_of_service`);
    let r: Awaited<ReturnType<typeof raw>>;
    try {
      r = await raw(prod, { query: '{ tiers { name } }' });
    } finally {
      await prod.sql(`ALTER TABLE tier_out_of_service RENAME TO tier`);
    }
    expect(r.status).toBeLessThan(500);
    expect(r.body.errors).toEqual([
      expect.objectContaining({ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: expect.any(String) } }),
    ]);
    expect(r.text).not.toMatch(/relation|tier_out_of_service|does not exist|select|stack/i);
    expect((await prod.ok(TiersDocument, {}, null)).tiers).toHaveLength(3);
  });

  it('a refused earn in production still writes nothing and the next one is served', async () => {
    const before = await counts(prod);
    const r = await prod.gql(EarnPointsDocument, { input: earnInput(buyer, '12.345') }, shop.apiKey);
    expectRefused(r, { code: 'BAD_USER_INPUT', field: 'input.amount' });
    expect(r.errors![0]!.extensions).not.toHaveProperty('stacktrace');
    expect(await counts(prod)).toEqual(before);
    expect((await earn(prod, shop, buyer, '12.34')).points).toBe(12);
  });
});
