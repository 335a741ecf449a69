// Bad-input corpus (issue 6, Deliver 4): a few hundred malformed requests, generated with
// fast-check from a fixed seed and sent raw over HTTP (no client library to tidy them up) to a real
// gateway: wrong types, bad amounts, unknown ids and ids of the wrong kind, oversized strings and
// lists, invalid UTF-8, malformed JSON, wrong content types, deep, aliased and costly documents,
// unknown operations and fields. Each must be refused — a 4xx, or GraphQL errors that all carry a
// code other than INTERNAL_SERVER_ERROR and no data — never a 500; and every business table must be
// byte-for-byte what it was before. Another corpus: BAD_INPUT_SEED=<n> npx vitest run test/bad-input-corpus.test.ts
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedeemRewardDocument } from './generated/graphql';
import { startTestGateway, TestGateway } from './support/gateway';
import { earn, newMember, newPartner, newReward, TestMember, TestPartner, uniq } from './support/factories';

const SEED = Number(process.env.BAD_INPUT_SEED) || 20_260_611;
const REPLAY = `seed ${SEED} (replay with BAD_INPUT_SEED=${SEED})`;

// Not business data: the limiter's counters (every request counts, by design) and the migrations
// table. Everything else must not move — the outbox and idempotency keys included: a refused
// request announces nothing and claims no key.
const EXCLUDED_TABLES = ['rate_limit_counter', 'schema_migration'];
// Authentication bookkeeping, refreshed (about once a minute) by any request signed with a key.
const EXCLUDED_COLUMNS: Record<string, string[]> = { partner_api_key: ['last_used_at'] };

let gw: TestGateway;
let cafe: TestPartner; // MYR, earn rate 1
let store: TestPartner; // THB
let alice: TestMember; // enrolled at the café, 100 points earned, one reward redeemed
let bob: TestMember;
let limited: { id: string }; // the café's, stock 5, 30 points
let unlimited: { id: string }; // the store's, 10 points
let earnTx: string;
let redeemTx: string;
let redemptionId: string;
let aliceCode: string;

beforeAll(async () => {
  const huge = '100000000';
  gw = await startTestGateway({ RATE_LIMIT_PARTNER_WRITES: huge, RATE_LIMIT_MEMBER_WRITES: huge, RATE_LIMIT_AUTH_FAILURES: huge });
  cafe = await newPartner(gw);
  store = await newPartner(gw, { currencyCode: 'THB' });
  alice = await newMember(gw, cafe);
  bob = await newMember(gw, store);
  limited = await newReward(gw, cafe, { pointsCost: 30, stock: 5 });
  unlimited = await newReward(gw, store, { pointsCost: 10 });
  earnTx = (await earn(gw, cafe, alice, '100.00')).id;
  const { redeemReward } = await gw.ok(RedeemRewardDocument, { input: { memberId: alice.id, rewardId: limited.id, idempotencyKey: uniq('key') } }, alice.token);
  redeemTx = redeemReward.transaction.id;
  redemptionId = redeemReward.id;
  aliceCode = redeemReward.code;
});
afterAll(() => gw?.stop());

// ---------------------------------------------------------------------------------------------
// Fingerprint of the business tables
// ---------------------------------------------------------------------------------------------

async function fingerprint(): Promise<Record<string, string>> {
  const tables = await gw.sql<{ name: string }>(`SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' AND tablename <> ALL($1) ORDER BY 1`, [
    EXCLUDED_TABLES,
  ]);
  const out: Record<string, string> = {};
  for (const { name } of tables) {
    const drop = EXCLUDED_COLUMNS[name];
    const row = drop ? `(to_jsonb(t) - $1::text[])::text` : `t::text`;
    const [r] = await gw.sql<{ n: number; md5: string | null }>(
      `SELECT count(*)::int AS n, md5(string_agg(r, '|' ORDER BY r)) AS md5 FROM (SELECT ${row} AS r FROM "${name}" t) rows`,
      drop ? [drop] : [],
    );
    out[name] = `${r!.n} rows, md5 ${r!.md5 ?? '-'}`;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Raw requests
// ---------------------------------------------------------------------------------------------

interface Case {
  category: string;
  label: string;
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Replaces the default content-type application/json; null sends none. */
  contentType?: string | null;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** For GET: the query string, without "?". */
  search?: string;
  token?: string | null;
}

const EARN = 'mutation Earn($input: EarnPointsInput!) { earnPoints(input: $input) { id points } }';
const REDEEM = 'mutation Redeem($input: RedeemRewardInput!) { redeemReward(input: $input) { id } }';
const REVERSE = 'mutation Reverse($input: ReverseTransactionInput!) { reverseTransaction(input: $input) { id } }';
const ENROL = 'mutation Enrol($input: EnrollMemberInput!) { enrollMember(input: $input) { id } }';
const ISSUE = 'mutation Issue($memberId: ID!) { issueMemberToken(memberId: $memberId) }';
const NEW_KEY = 'mutation Key($partnerId: ID!) { createPartnerApiKey(partnerId: $partnerId) }';
const SET_RATE = 'mutation Rate($input: SetExchangeRateInput!) { setExchangeRate(input: $input) { id } }';
const SET_STATUS = 'mutation Status($partnerId: ID!, $status: PartnerStatus!) { setPartnerStatus(partnerId: $partnerId, status: $status) { id } }';
const PAY = 'mutation Pay($input: PayWithPointsInput!) { payWithPoints(input: $input) { id } }';
const FULFIL = 'mutation Fulfil($code: String!, $key: String!) { fulfillRedemption(code: $code, idempotencyKey: $key) { id } }';
const NEW_RULE = 'mutation Rule($input: EarnRuleInput!) { createEarnRule(input: $input) { id } }';

const json = (query: string, variables?: unknown, operationName?: string) => JSON.stringify({ query, variables, operationName });

/** An earn the café could make for alice as it is; each case spoils one thing. */
const validEarn = (over: Record<string, unknown> = {}) => ({
  memberId: alice.id,
  amount: '10.00',
  currencyCode: 'MYR',
  externalRef: uniq('receipt'),
  idempotencyKey: uniq('key'),
  ...over,
});
const validEnrol = (over: Record<string, unknown> = {}) => ({ email: `${uniq('corpus')}@example.com`, displayName: 'Corpus Member', ...over });

/** n values of `arb`, the same for the same seed; `salt` keeps the categories' streams apart. */
function draw<T>(arb: fc.Arbitrary<T>, n: number, salt: number): T[] {
  return fc.sample(arb, { seed: SEED + salt, numRuns: n });
}

const describeValue = (v: unknown) => {
  const s = typeof v === 'string' ? JSON.stringify(v) : v === undefined ? 'undefined' : (JSON.stringify(v) ?? String(v));
  return s.length > 60 ? `${s.slice(0, 57)}… (${s.length} chars)` : s;
};

/** Amounts that are not a purchase: ≤ 0, too many decimals for MYR, not numbers, over 10^12, not strings. */
function badAmount() {
  const noTrailingZero = (s: string) => !s.endsWith('0');
  const amount = fc.oneof(
    fc.integer({ min: -1_000_000_000, max: -1 }).map(String),
    fc.tuple(fc.nat(1_000_000), fc.integer({ min: 1, max: 99 })).map(([i, f]) => `-${i}.${String(f).padStart(2, '0')}`),
    fc.constantFrom('0', '0.00', '-0', '+0', '0.0000', '000', '-0.00'),
    fc
      .tuple(fc.nat(1_000_000), fc.integer({ min: 1, max: 999_999 }))
      .map(([i, f]) => `${i}.${String(f).padStart(3, '0')}`)
      .filter(noTrailingZero),
    fc.constantFrom(
      'NaN',
      'nan',
      '-NaN',
      'Infinity',
      '-Infinity',
      '+Infinity',
      'inf',
      'null',
      'undefined',
      '',
      ' ',
      '.',
      '1.',
      '.5',
      '1.2.3',
      '1,000.00',
      '0x10',
      '1e3',
      '1E-2',
      '12abc',
      '١٢',
      '--1',
      '+-1',
    ),
    fc.bigInt({ min: 10n ** 12n + 1n, max: 10n ** 39n }).map(String),
    fc.integer({ min: 41, max: 2000 }).map((n) => '9'.repeat(n)),
    fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !/^\s*[+-]?\d/.test(s)),
    fc.oneof(
      fc.double({ noNaN: false }),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.constant([]),
      fc.constant({}),
      fc.array(fc.constant('10.00'), { minLength: 1, maxLength: 3 }),
    ),
  );
  return amount;
}

function badAmounts(): Case[] {
  return draw(badAmount(), 45, 1).map((a) => ({
    category: 'amount',
    label: `earnPoints amount ${describeValue(a)}`,
    body: json(EARN, { input: validEarn({ amount: a }) }),
    token: cafe.apiKey,
  }));
}

/** Each field of a write given a value of the wrong type (or, for numbers, out of range). */
function wrongTypes(): Case[] {
  const notString = fc.oneof(
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.constant([]),
    fc.constant({ id: 'x' }),
    fc.array(fc.integer(), { minLength: 1, maxLength: 4 }),
  );
  const badCount = fc.oneof(
    fc.integer({ min: -1_000_000, max: 0 }),
    fc.double({ min: 0.01, max: 99.99, noInteger: true, noNaN: true }),
    fc.constantFrom(2 ** 31, 2 ** 53, 1e20, -(2 ** 31) - 1),
    fc.constantFrom('1', 'two', '', true, [1], { n: 1 }),
  );
  const field = fc.oneof(
    fc.record({ op: fc.constant('earn'), field: fc.constantFrom('memberId', 'currencyCode', 'externalRef', 'idempotencyKey', 'channel'), value: notString }),
    fc.record({ op: fc.constant('earn'), field: fc.constant('channel'), value: fc.constantFrom('TELEPATHY', 'online', 'Online', 'IN STORE', '') }),
    fc.record({ op: fc.constant('earn'), field: fc.constant('currencyCode'), value: fc.constantFrom('SGD', 'THB', 'MY', 'MYRR', 'XXX', '', '   ', '€') }),
    fc.record({
      op: fc.constant('earn'),
      field: fc.constant('items'),
      value: fc.constantFrom('10.00', 5, {}, [{}], [{ sku: 1, quantity: 'a', amount: 10 }], [null]),
    }),
    fc.record({ op: fc.constant('redeem'), field: fc.constant('quantity'), value: badCount }),
    fc.record({ op: fc.constant('redeem'), field: fc.constantFrom('memberId', 'rewardId', 'idempotencyKey'), value: notString }),
    // More than the earn's 100 points, or not a positive whole number.
    fc.record({ op: fc.constant('reverse'), field: fc.constant('points'), value: fc.oneof(badCount, fc.integer({ min: 101, max: 2 ** 31 - 1 })) }),
    fc.record({ op: fc.constant('reverse'), field: fc.constantFrom('transactionId', 'idempotencyKey', 'reason'), value: notString.filter((v) => v !== null) }),
    fc.record({ op: fc.constant('status'), field: fc.constant('status'), value: fc.constantFrom('DELETED', 'active', '', 0, null, true) }),
    fc.record({ op: fc.constant('enrol'), field: fc.constantFrom('email', 'displayName', 'birthDate'), value: notString.filter((v) => v !== null) }),
    fc.record({
      op: fc.constant('enrol'),
      field: fc.constant('birthDate'),
      value: fc.constantFrom('2001-02-30', '1899-12-31', '3000-01-01', '01/02/2000', '2000-1-1', 'yesterday', ''),
    }),
    fc.record({
      op: fc.constant('enrol'),
      field: fc.constant('email'),
      value: fc.constantFrom('not-an-email', '@example.com', 'a@', 'a b@example.com', '', '   '),
    }),
  );
  return draw(field, 45, 2).map(({ op, field: f, value }) => {
    const label = `${op} ${f} ${describeValue(value)}`;
    switch (op) {
      case 'earn':
        return { category: 'wrong type', label, body: json(EARN, { input: validEarn({ [f]: value }) }), token: cafe.apiKey };
      case 'redeem':
        return {
          category: 'wrong type',
          label,
          body: json(REDEEM, { input: { memberId: alice.id, rewardId: limited.id, idempotencyKey: uniq('key'), [f]: value } }),
          token: cafe.apiKey,
        };
      case 'reverse':
        return {
          category: 'wrong type',
          label,
          body: json(REVERSE, { input: { transactionId: earnTx, idempotencyKey: uniq('key'), [f]: value } }),
          token: cafe.apiKey,
        };
      case 'status':
        return { category: 'wrong type', label, body: json(SET_STATUS, { partnerId: cafe.id, status: value }), token: gw.adminToken };
      default:
        return { category: 'wrong type', label, body: json(ENROL, { input: validEnrol({ [f]: value }) }), token: cafe.apiKey };
    }
  });
}

/** Ids nobody has: well-formed UUIDs and strings that are not UUIDs at all. */
function unknownIds(): Case[] {
  const id = fc.oneof(
    fc.uuid(),
    fc.constantFrom('not-a-uuid', '', ' ', '0', '-1', '00000000-0000-0000-0000-00000000000g', "1' OR '1'='1", '../../etc/passwd', '{}', 'null'),
    fc.string({ minLength: 1, maxLength: 40 }),
  );
  const where = fc.constantFrom(
    'earn.memberId',
    'earn.partnerId',
    'redeem.memberId',
    'redeem.rewardId',
    'reverse.transactionId',
    'issue',
    'newKey',
    'setRate',
    'status',
  );
  return draw(fc.tuple(where, id), 35, 3).map(([w, value]) => ({ category: 'unknown id', label: `${w} ${describeValue(value)}`, ...idCase(w, value) }));
}

/** Ids that exist, but of another kind than the field wants. */
function wrongKindIds(): Case[] {
  const pairs: [string, string, string][] = [
    ['earn.memberId', 'a partner id', cafe.id],
    ['earn.memberId', 'a reward id', limited.id],
    ['earn.memberId', 'a transaction id', earnTx],
    ['earn.memberId', 'a redemption id', redemptionId],
    ['earn.partnerId', 'a member id', alice.id],
    ['redeem.rewardId', 'a member id', alice.id],
    ['redeem.rewardId', 'a partner id', cafe.id],
    ['redeem.rewardId', 'a transaction id', redeemTx],
    ['redeem.memberId', 'a partner id', cafe.id],
    ['redeem.memberId', 'a reward id', limited.id],
    ['reverse.transactionId', 'a member id', alice.id],
    ['reverse.transactionId', 'a partner id', cafe.id],
    ['reverse.transactionId', 'a reward id', limited.id],
    ['reverse.transactionId', 'a redemption id', redemptionId],
    ['issue', 'a partner id', cafe.id],
    ['issue', 'a reward id', unlimited.id],
    ['newKey', 'a member id', alice.id],
    ['newKey', 'a reward id', limited.id],
    ['setRate', 'a member id', bob.id],
    ['status', 'a reward id', unlimited.id],
  ];
  const cases: Case[] = draw(fc.shuffledSubarray(pairs, { minLength: pairs.length, maxLength: pairs.length }), 1, 4)[0]!.map(([w, kind, value]) => ({
    category: 'wrong kind of id',
    label: `${w} given ${kind}`,
    ...idCase(w, value),
  }));
  // The right kind of id, but another caller's: identity comes from the token, never the input.
  cases.push(
    {
      category: 'wrong kind of id',
      label: 'the store earns naming the café as partnerId',
      body: json(EARN, { input: validEarn({ partnerId: cafe.id, currencyCode: 'THB' }) }),
      token: store.apiKey,
    },
    {
      category: 'wrong kind of id',
      label: 'the store reverses the café’s earn',
      body: json(REVERSE, { input: { transactionId: earnTx, points: 1, idempotencyKey: uniq('key') } }),
      token: store.apiKey,
    },
    {
      category: 'wrong kind of id',
      label: 'the store redeems the café’s reward',
      body: json(REDEEM, { input: { memberId: alice.id, rewardId: limited.id, idempotencyKey: uniq('key') } }),
      token: store.apiKey,
    },
    {
      category: 'wrong kind of id',
      label: 'bob redeems for alice',
      body: json(REDEEM, { input: { memberId: alice.id, rewardId: unlimited.id, idempotencyKey: uniq('key') } }),
      token: bob.token,
    },
    { category: 'wrong kind of id', label: 'a member earns for itself', body: json(EARN, { input: validEarn() }), token: alice.token },
    { category: 'wrong kind of id', label: 'a member asks for a partner API key', body: json(NEW_KEY, { partnerId: cafe.id }), token: alice.token },
    {
      category: 'wrong kind of id',
      label: 'a partner onboards a partner',
      body: json('mutation { createPartner(input: {slug: "rogue", name: "Rogue", currencyCode: "MYR"}) { id } }'),
      token: cafe.apiKey,
    },
    {
      category: 'wrong kind of id',
      label: 'a partner sets its own rates',
      body: json(SET_RATE, { input: { partnerId: cafe.id, earnRate: '100', burnRate: '0.01' } }),
      token: cafe.apiKey,
    },
    {
      category: 'wrong kind of id',
      label: 'a member token as a partner key (earn with partnerId)',
      body: json(EARN, { input: validEarn({ partnerId: cafe.id }) }),
      token: bob.token,
    },
    { category: 'wrong kind of id', label: 'a partner key as a bearer with a typo', body: json(EARN, { input: validEarn() }), token: `${cafe.apiKey}x` },
    { category: 'wrong kind of id', label: 'an earn with no credentials at all', body: json(EARN, { input: validEarn() }), token: null },
    {
      category: 'wrong kind of id',
      label: 'a forged member token',
      body: json(REDEEM, { input: { memberId: alice.id, rewardId: unlimited.id, idempotencyKey: uniq('key') } }),
      token: `${alice.token.slice(0, -4)}AAAA`,
    },
  );
  return cases;
}

function idCase(where: string, value: unknown): Pick<Case, 'body' | 'token'> {
  switch (where) {
    case 'earn.memberId':
      return { body: json(EARN, { input: validEarn({ memberId: value }) }), token: cafe.apiKey };
    case 'earn.partnerId': // an admin earning on behalf of a partner
      return { body: json(EARN, { input: validEarn({ partnerId: value }) }), token: gw.adminToken };
    case 'redeem.memberId':
      return { body: json(REDEEM, { input: { memberId: value, rewardId: limited.id, idempotencyKey: uniq('key') } }), token: cafe.apiKey };
    case 'redeem.rewardId':
      return { body: json(REDEEM, { input: { memberId: alice.id, rewardId: value, idempotencyKey: uniq('key') } }), token: cafe.apiKey };
    case 'reverse.transactionId':
      return { body: json(REVERSE, { input: { transactionId: value, idempotencyKey: uniq('key') } }), token: cafe.apiKey };
    case 'issue':
      return { body: json(ISSUE, { memberId: value }), token: cafe.apiKey };
    case 'newKey':
      return { body: json(NEW_KEY, { partnerId: value }), token: gw.adminToken };
    case 'setRate':
      return { body: json(SET_RATE, { input: { partnerId: value, earnRate: '3', burnRate: '0.02' } }), token: gw.adminToken };
    case 'status':
      return { body: json(SET_STATUS, { partnerId: value, status: 'SUSPENDED' }), token: gw.adminToken };
    default:
      throw new Error(`no id case ${where}`);
  }
}

/** Strings past their limits, lists past theirs, and bodies past the server's 256 KB. */
function oversized(): Case[] {
  const text = (min: number, max: number) =>
    fc.tuple(fc.integer({ min, max }), fc.constantFrom('k', 'é', '😀', 'ab ')).map(([n, unit]) => unit.repeat(Math.ceil(n / unit.length)));
  const strings = fc.oneof(
    fc.record({ field: fc.constantFrom('earn.externalRef', 'earn.idempotencyKey'), value: text(256, 60_000) }),
    fc.record({ field: fc.constantFrom('enrol.displayName'), value: text(256, 60_000) }),
    fc.record({ field: fc.constantFrom('enrol.email'), value: text(250, 60_000).map((s) => `${s}@example.com`) }),
    fc.record({ field: fc.constantFrom('reverse.reason'), value: text(501, 60_000) }),
    fc.record({ field: fc.constantFrom('earn.externalRef', 'enrol.displayName'), value: text(300_000, 600_000) }), // over the body limit
  );
  const cases: Case[] = draw(strings, 20, 5).map(({ field, value }) => {
    const label = `${field} of ${value.length} characters`;
    if (field.startsWith('earn.'))
      return { category: 'oversized', label, body: json(EARN, { input: validEarn({ [field.slice(5)]: value }) }), token: cafe.apiKey };
    if (field.startsWith('enrol.'))
      return { category: 'oversized', label, body: json(ENROL, { input: validEnrol({ [field.slice(6)]: value }) }), token: cafe.apiKey };
    return {
      category: 'oversized',
      label,
      body: json(REVERSE, { input: { transactionId: earnTx, points: 1, reason: value, idempotencyKey: uniq('key') } }),
      token: cafe.apiKey,
    };
  });
  // Lists: more purchase items than allowed (each 0.01, so their sum is the amount), a rule with a
  // huge category list, a batch of operations (one operation per request), a list for an object.
  for (const n of draw(fc.integer({ min: 501, max: 2500 }), 5, 6)) {
    const items = Array.from({ length: n }, (_, i) => ({ sku: `sku-${i}`, quantity: 1, amount: '0.01' }));
    cases.push({
      category: 'oversized',
      label: `earnPoints with ${n} items`,
      body: json(EARN, { input: validEarn({ amount: (n / 100).toFixed(2), items }) }),
      token: cafe.apiKey,
    });
  }
  for (const n of draw(fc.integer({ min: 51, max: 10_000 }), 3, 7)) {
    const categories = Array.from({ length: n }, (_, i) => `category-${i}`);
    cases.push({
      category: 'oversized',
      label: `createEarnRule with ${n} categories`,
      body: json(NEW_RULE, { input: { name: uniq('rule'), kind: 'MULTIPLIER', multiplier: '2', conditions: { categories } } }),
      token: cafe.apiKey,
    });
  }
  for (const n of draw(fc.integer({ min: 2, max: 200 }), 4, 8)) {
    const batch = Array.from({ length: n }, () => JSON.parse(json(EARN, { input: validEarn() })));
    cases.push({ category: 'oversized', label: `a batch of ${n} earns in one request`, body: JSON.stringify(batch), token: cafe.apiKey });
  }
  cases.push(
    {
      category: 'oversized',
      label: 'earn input as a list of 10,000 inputs',
      body: json(EARN, { input: Array.from({ length: 10_000 }, () => ({ amount: '1.00' })) }),
      token: cafe.apiKey,
    },
    {
      category: 'oversized',
      label: 'memberId as a list of 5,000 ids',
      body: json(ISSUE, { memberId: Array.from({ length: 5_000 }, () => alice.id) }),
      token: cafe.apiKey,
    },
    { category: 'oversized', label: 'a 300 KB query document', body: json(`{ viewer ${' '.repeat(300_000)}}`), token: cafe.apiKey },
    { category: 'oversized', label: 'a 10,000-character field name', body: json(`{ ${'x'.repeat(10_000)} }`), token: cafe.apiKey },
  );
  return cases;
}

/** Otherwise valid writes whose JSON carries bytes that are not UTF-8. */
function invalidUtf8(): Case[] {
  const bad = fc.constantFrom(
    [0xff],
    [0xfe, 0xff],
    [0xc3, 0x28], // a lead byte without its continuation
    [0x80], // a lone continuation byte
    [0xe2, 0x82], // truncated three-byte sequence
    [0xed, 0xa0, 0x80], // an encoded UTF-16 surrogate (U+D800)
    [0xc0, 0xaf], // overlong "/"
    [0xf8, 0x88, 0x80, 0x80, 0x80], // five-byte form
    [0xf4, 0x90, 0x80, 0x80], // past U+10FFFF
  );
  const where = fc.constantFrom('earn.externalRef', 'earn.idempotencyKey', 'earn.currencyCode', 'enrol.displayName', 'enrol.email', 'query');
  return draw(fc.tuple(where, bad, fc.nat(6)), 24, 9).map(([w, bytes, at]) => {
    const marker = '@@BAD@@';
    let body: string;
    if (w === 'query')
      body = JSON.stringify({
        query: `mutation Earn($input: EarnPointsInput!) { earnPoints(input: $input) { id ${marker} } }`,
        variables: { input: validEarn() },
      });
    else if (w.startsWith('earn.')) {
      const input = validEarn();
      const f = w.slice(5) as keyof typeof input;
      const v = String(input[f]);
      const cut = Math.min(at, v.length);
      body = json(EARN, { input: { ...input, [f]: `${v.slice(0, cut)}${marker}${v.slice(cut)}` } });
    } else {
      const input = validEnrol();
      const f = w.slice(6) as keyof typeof input;
      const cut = Math.min(at, input[f].length);
      body = json(ENROL, { input: { ...input, [f]: `${input[f].slice(0, cut)}${marker}${input[f].slice(cut)}` } });
    }
    const [before, after] = body.split(marker);
    return {
      category: 'invalid UTF-8',
      label: `${w} with bytes ${bytes.map((b) => b.toString(16).padStart(2, '0')).join(' ')}`,
      body: Buffer.concat([Buffer.from(before!, 'utf8'), Buffer.from(bytes), Buffer.from(after!, 'utf8')]),
      token: cafe.apiKey,
    };
  });
}

/** Bodies that are not JSON, and JSON that is not a GraphQL request. */
function malformedJson(): Case[] {
  const valid = () => json(EARN, { input: validEarn() });
  const cases: Case[] = draw(fc.double({ min: 0.02, max: 0.98, noNaN: true }), 12, 10).map((f) => {
    const body = valid();
    const cut = Math.max(1, Math.floor(body.length * f));
    return { category: 'malformed JSON', label: `an earn cut after ${cut} of ${body.length} bytes`, body: body.slice(0, cut), token: cafe.apiKey };
  });
  const broken = fc.constantFrom(
    "{'query': '{ viewer }'}",
    '{"query": "{ viewer }",}',
    '{"query": "{ viewer }" "variables": {}}',
    '{query: "{ viewer }"}',
    '{"query": "{ viewer }", "variables": {"a": NaN}}',
    '{"query": "{ viewer }", "variables": {"a": Infinity}}',
    '{"query": "{ viewer }", "variables": {"a": undefined}}',
    '{"query": "{ viewer }"}}',
    '{"query": "{ viewer \\x41 }"}',
    '{"query": "\u0001"}',
    '{"query": "{ viewer }", "variables": {"a": 01}}',
    '{{{{{{{{{{',
    ']',
    '',
    ' ',
    'null',
    'true',
    '42',
    '"{ viewer }"',
    '[]',
    '[null]',
    '{}',
    '{"query": 5}',
    '{"query": null}',
    '{"query": ["{ viewer }"]}',
    '{"query": {"kind": "Document"}}',
    '{"query": ""}',
    '{"variables": {}}',
    '{"query": "{ viewer }", "variables": "{}"}',
    '{"query": "{ viewer }", "variables": []}',
    '{"query": "{ viewer }", "variables": 7}',
    '{"query": "{ viewer }", "operationName": 5}',
    '{"query": "{ viewer }", "extensions": "x"}',
    '{"query": "{ viewer }", "extensions": {"persistedQuery": {"version": 1, "sha256Hash": "abc"}}}',
    '{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "0000000000000000000000000000000000000000000000000000000000000000"}}}',
    `{"query": "mutation Earn($input: EarnPointsInput!) { earnPoints(input: $input) { id } }", "variables": {"input": ${'['.repeat(5000)}${']'.repeat(5000)}}}`,
  );
  const garbage = fc.oneof(fc.string({ minLength: 1, maxLength: 200 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 200 })).filter((s) => {
    try {
      JSON.parse(s);
      return false;
    } catch {
      return true;
    }
  });
  for (const body of draw(broken, 22, 11)) cases.push({ category: 'malformed JSON', label: `body ${describeValue(body)}`, body, token: cafe.apiKey });
  for (const body of draw(garbage, 8, 12)) cases.push({ category: 'malformed JSON', label: `garbage ${describeValue(body)}`, body, token: cafe.apiKey });
  return cases;
}

/** Valid earns sent as something other than a JSON POST. */
function wrongContentTypes(): Case[] {
  const type = fc.constantFrom(
    'text/plain',
    'text/plain; charset=utf-8',
    'text/html',
    'application/xml',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=xyz',
    'application/graphql',
    'application/octet-stream',
    'application/json; charset=utf-16',
    'application/json; charset=latin1',
    'application/jsonp',
    'image/png',
    '*/*',
    'json',
    null,
  );
  const cases: Case[] = draw(type, 18, 13).map((contentType) => ({
    category: 'content type',
    label: `an earn sent as ${contentType ?? 'no content type'}`,
    contentType,
    body: json(EARN, { input: validEarn() }),
    token: cafe.apiKey,
  }));
  const mutation = `mutation { earnPoints(input: {memberId: "${alice.id}", amount: "10.00", currencyCode: "MYR", externalRef: "${uniq('receipt')}", idempotencyKey: "${uniq('key')}"}) { id } }`;
  cases.push(
    {
      category: 'content type',
      label: 'a mutation over GET',
      method: 'GET',
      contentType: null,
      headers: { 'apollo-require-preflight': 'true' },
      search: `query=${encodeURIComponent(mutation)}`,
      token: cafe.apiKey,
    },
    {
      category: 'content type',
      label: 'a GET without a preflight header',
      method: 'GET',
      contentType: null,
      search: `query=${encodeURIComponent('{ viewer }')}`,
      token: cafe.apiKey,
    },
    {
      category: 'content type',
      label: 'a GET with variables that are not JSON',
      method: 'GET',
      contentType: null,
      headers: { 'apollo-require-preflight': 'true' },
      search: `query=${encodeURIComponent('query($id: ID!) { member(id: $id) { id } }')}&variables=%7Bnope`,
      token: cafe.apiKey,
    },
    {
      category: 'content type',
      label: 'a GET with no query',
      method: 'GET',
      contentType: null,
      headers: { 'apollo-require-preflight': 'true' },
      search: '',
      token: cafe.apiKey,
    },
    { category: 'content type', label: 'PUT', method: 'PUT', body: json(EARN, { input: validEarn() }), token: cafe.apiKey },
    { category: 'content type', label: 'DELETE', method: 'DELETE', body: json(EARN, { input: validEarn() }), token: cafe.apiKey },
    {
      category: 'content type',
      label: 'gzip claimed but not sent',
      headers: { 'content-encoding': 'gzip' },
      body: json(EARN, { input: validEarn() }),
      token: cafe.apiKey,
    },
    {
      category: 'content type',
      label: 'an unknown content encoding',
      headers: { 'content-encoding': 'br2' },
      body: json(EARN, { input: validEarn() }),
      token: cafe.apiKey,
    },
  );
  return cases;
}

/** Documents refused for their shape: too deep, too many aliases or directives, too costly, cyclic. */
function deepAndAliased(): Case[] {
  const cases: Case[] = [];
  // catalog → Reward.partner → Partner.rewards → … : every level a real field.
  for (const depth of draw(fc.integer({ min: 11, max: 60 }), 6, 14)) {
    let sel = 'id';
    for (let d = 0; d < depth; d++) sel = d % 2 === 0 ? `partner { id rewards(first: 1) { edges { node { ${sel} } } } }` : `edges { node { ${sel} } }`;
    cases.push({
      category: 'deep / aliased',
      label: `a catalog query about ${depth * 2} levels deep`,
      body: json(`{ catalog(first: 1) { ${sel} } }`),
      token: cafe.apiKey,
    });
  }
  for (const depth of draw(fc.integer({ min: 50, max: 3000 }), 4, 15)) {
    cases.push({
      category: 'deep / aliased',
      label: `${depth} nested unknown fields`,
      body: json(`{ ${'a { '.repeat(depth)}b${' }'.repeat(depth)} }`),
      token: cafe.apiKey,
    });
  }
  for (const n of draw(fc.integer({ min: 16, max: 400 }), 4, 16)) {
    cases.push({
      category: 'deep / aliased',
      label: `${n} aliases of viewer`,
      body: json(`{ ${Array.from({ length: n }, (_, i) => `a${i}: viewer`).join(' ')} }`),
      token: cafe.apiKey,
    });
  }
  // Aliased writes, each valid alone: over the alias limit the request is refused as a whole.
  for (const n of draw(fc.integer({ min: 16, max: 30 }), 4, 17)) {
    const fields = Array.from(
      { length: n },
      (_, i) =>
        `e${i}: earnPoints(input: {memberId: "${alice.id}", amount: "1.00", currencyCode: "MYR", externalRef: "${uniq('r')}", idempotencyKey: "${uniq('k')}"}) { id }`,
    );
    cases.push({ category: 'deep / aliased', label: `${n} aliased earns in one mutation`, body: json(`mutation { ${fields.join(' ')} }`), token: cafe.apiKey });
  }
  for (const n of draw(fc.integer({ min: 21, max: 200 }), 3, 18)) {
    cases.push({ category: 'deep / aliased', label: `${n} directives`, body: json(`{ viewer ${'@include(if: true) '.repeat(n)}}`), token: cafe.apiKey });
  }
  for (const n of draw(fc.integer({ min: 1001, max: 20_000 }), 3, 19)) {
    cases.push({ category: 'deep / aliased', label: `${n} tokens`, body: json(`{ viewer ${'__typename '.repeat(n)}}`), token: cafe.apiKey });
  }
  cases.push(
    {
      category: 'deep / aliased',
      label: 'a cost of 100 × 100 rewards',
      body: json('{ partners(first: 100) { edges { node { rewards(first: 100) { edges { node { id name } } } } } } }'),
      token: cafe.apiKey,
    },
    { category: 'deep / aliased', label: 'first: 101', body: json('{ partners(first: 101) { totalCount } }'), token: cafe.apiKey },
    {
      category: 'deep / aliased',
      label: 'first: -1 as a variable',
      body: json('query($n: Int) { partners(first: $n) { totalCount } }', { n: -1 }),
      token: cafe.apiKey,
    },
    {
      category: 'deep / aliased',
      label: 'first: 1000 as a variable',
      body: json('query($n: Int) { catalog(first: $n) { totalCount } }', { n: 1000 }),
      token: cafe.apiKey,
    },
    { category: 'deep / aliased', label: 'a cursor that is not one', body: json('{ partners(after: "not-a-cursor") { totalCount } }'), token: cafe.apiKey },
    {
      category: 'deep / aliased',
      label: 'fragments that spread each other',
      body: json('{ ...A } fragment A on Query { viewer ...B } fragment B on Query { tiers { id } ...A }'),
      token: cafe.apiKey,
    },
    { category: 'deep / aliased', label: 'a fragment that spreads itself', body: json('{ ...A } fragment A on Query { viewer ...A }'), token: cafe.apiKey },
    {
      category: 'deep / aliased',
      label: 'a 2,000-deep list literal',
      body: json(`{ catalog(filter: {search: ${'['.repeat(2000)}"x"${']'.repeat(2000)}}) { totalCount } }`),
      token: cafe.apiKey,
    },
  );
  return cases;
}

/** Operations and fields the schema does not have, and documents that are not GraphQL. */
function unknownOperations(): Case[] {
  const roots = new Set([
    'viewer',
    'partners',
    'partner',
    'member',
    'memberByEmail',
    'catalog',
    'tiers',
    'settlement',
    'settlementMatrix',
    'auditLog',
    'challenges',
    'earnRules',
    'membershipPlans',
    'partnerApiKeys',
    'previewEarn',
    'programSettings',
  ]);
  const name = fc.stringMatching(/^[a-z][A-Za-z0-9_]{2,24}$/).filter((n) => !roots.has(n));
  const cases: Case[] = draw(name, 8, 20).map((n) => ({
    category: 'unknown operation',
    label: `query field ${n}`,
    body: json(`{ ${n} }`),
    token: cafe.apiKey,
  }));
  for (const n of draw(name, 5, 21))
    cases.push({ category: 'unknown operation', label: `mutation field ${n}`, body: json(`mutation { ${n}(id: "x") { id } }`), token: gw.adminToken });
  const notGraphql = fc
    .oneof(
      fc.string({ minLength: 1, maxLength: 80 }),
      fc.constantFrom(
        'SELECT * FROM member',
        'DROP TABLE ledger_entry;',
        '{',
        '}',
        'query',
        'mutation { }',
        '{ viewer',
        'query A { viewer } query A { viewer }',
        '{ viewer(x: ) }',
        '<xml/>',
        '#only a comment',
      ),
    )
    .filter((s) => !/^\s*\{\s*[A-Za-z_]\w*\s*\}\s*$/.test(s) && s.trim() !== '');
  for (const q of draw(notGraphql, 10, 22))
    cases.push({ category: 'unknown operation', label: `document ${describeValue(q)}`, body: json(q), token: cafe.apiKey });
  cases.push(
    { category: 'unknown operation', label: 'an unknown field on Tier', body: json('{ tiers { id password } }'), token: cafe.apiKey },
    {
      category: 'unknown operation',
      label: 'an unknown argument on earnPoints',
      body: json('mutation Earn($input: EarnPointsInput!) { earnPoints(input: $input, sudo: true) { id } }', { input: validEarn() }),
      token: cafe.apiKey,
    },
    {
      category: 'unknown operation',
      label: 'an unknown input field in variables',
      body: json(EARN, { input: validEarn({ points: 1_000_000 }) }),
      token: cafe.apiKey,
    },
    {
      category: 'unknown operation',
      label: 'an unknown input field inline',
      body: json(
        `mutation { earnPoints(input: {memberId: "${alice.id}", amount: "1.00", currencyCode: "MYR", externalRef: "x", idempotencyKey: "y", bonus: 5}) { id } }`,
      ),
      token: cafe.apiKey,
    },
    { category: 'unknown operation', label: 'operationName not in the document', body: json(EARN, { input: validEarn() }, 'Steal'), token: cafe.apiKey },
    {
      category: 'unknown operation',
      label: 'two operations, no operationName',
      body: json(`${EARN} query Who { viewer }`, { input: validEarn() }),
      token: cafe.apiKey,
    },
    {
      category: 'unknown operation',
      label: 'a subscription over HTTP',
      body: json(`subscription { balanceChanged(memberId: "${alice.id}") { eventId } }`),
      token: alice.token,
    },
    {
      category: 'unknown operation',
      label: 'a variable of an unknown type',
      body: json('mutation Earn($input: EarnInput!) { earnPoints(input: $input) { id } }', { input: validEarn() }),
      token: cafe.apiKey,
    },
    { category: 'unknown operation', label: 'a required variable not given', body: json(EARN), token: cafe.apiKey },
    { category: 'unknown operation', label: 'an unknown directive', body: json('{ viewer @admin }'), token: cafe.apiKey },
    { category: 'unknown operation', label: 'a selection on a scalar', body: json('{ viewer { id } }'), token: cafe.apiKey },
    {
      category: 'unknown operation',
      label: 'a mutation without a selection',
      body: json(`mutation Earn($input: EarnPointsInput!) { earnPoints(input: $input) }`, { input: validEarn() }),
      token: cafe.apiKey,
    },
  );
  return cases;
}

/** The till: bills that are not a bill, points that cannot pay, codes nobody may use. */
function tillCases(): Case[] {
  const validPayment = (over: Record<string, unknown>) => ({
    memberId: alice.id,
    points: 10,
    billAmount: '10.00',
    currencyCode: 'MYR',
    externalRef: uniq('till'),
    idempotencyKey: uniq('key'),
    ...over,
  });
  const badPoints = fc.oneof(
    fc.integer({ min: -1_000_000, max: 0 }),
    fc.double({ min: 0.01, max: 99.99, noInteger: true, noNaN: true }),
    // More than alice holds, more than a transaction moves, more than Int holds.
    fc.integer({ min: 71, max: 2 ** 31 - 1 }),
    fc.constantFrom(2 ** 31, 2 ** 53, 1e20, '10', null, true, [10]),
  );
  const code = fc.oneof(
    fc.string({ minLength: 0, maxLength: 80 }),
    fc.constantFrom('', ' - ', 'ZZZZ-ZZZZ-ZZZZ-ZZZZ', "' OR 1=1 --", '%', '_'.repeat(16), 'A'.repeat(65)),
  );
  return [
    ...draw(badAmount(), 15, 40).map((a) => ({
      category: 'till',
      label: `payWithPoints billAmount ${describeValue(a)}`,
      body: json(PAY, { input: validPayment({ billAmount: a }) }),
      token: cafe.apiKey,
    })),
    ...draw(badPoints, 12, 41).map((p) => ({
      category: 'till',
      label: `payWithPoints points ${describeValue(p)}`,
      body: json(PAY, { input: validPayment({ points: p }) }),
      token: cafe.apiKey,
    })),
    ...draw(code, 10, 42).map((c) => ({
      category: 'till',
      label: `fulfillRedemption code ${describeValue(c)}`,
      body: json(FULFIL, { code: c, key: uniq('key') }),
      token: cafe.apiKey,
    })),
    // Alice's real code, at a partner whose reward it is not: as if it did not exist.
    {
      category: 'till',
      label: "fulfillRedemption of the café's code by the store",
      body: json(FULFIL, { code: aliceCode, key: uniq('key') }),
      token: store.apiKey,
    },
    { category: 'till', label: 'payWithPoints in THB at the café', body: json(PAY, { input: validPayment({ currencyCode: 'THB' }) }), token: cafe.apiKey },
    {
      category: 'till',
      label: 'payWithPoints for a member the store never met',
      body: json(PAY, { input: validPayment({ currencyCode: 'THB' }) }),
      token: store.apiKey,
    },
  ];
}

function corpus(): Case[] {
  return [
    badAmounts(),
    tillCases(),
    wrongTypes(),
    unknownIds(),
    wrongKindIds(),
    oversized(),
    invalidUtf8(),
    malformedJson(),
    wrongContentTypes(),
    deepAndAliased(),
    unknownOperations(),
  ].flat();
}

async function send(c: Case): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = { ...c.headers };
  const contentType = c.contentType === undefined ? 'application/json' : c.contentType;
  if (contentType !== null) headers['content-type'] = contentType;
  if (c.token) headers.authorization = `Bearer ${c.token}`;
  const method = c.method ?? 'POST';
  const url = c.search !== undefined ? `${gw.url}?${c.search}` : gw.url;
  const res = await fetch(url, { method, headers, body: method === 'GET' ? undefined : (c.body ?? '') });
  return { status: res.status, text: await res.text() };
}

/** Why this answer is not a clean refusal, or null when it is. */
function problem(status: number, text: string): string | null {
  if (status >= 500) return `HTTP ${status}`;
  let body: { data?: Record<string, unknown> | null; errors?: { extensions?: { code?: unknown } }[] } | undefined;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (status >= 400) {
    // Every refusal is a GraphQL body, also those Express makes before Apollo (test/http-refusals).
    if (!body || !Array.isArray(body.errors) || body.errors.length === 0) return `HTTP ${status} without a GraphQL errors body`;
    const codes = body.errors.map((e) => e?.extensions?.code);
    if (codes.some((c) => typeof c !== 'string' || c === '')) return `HTTP ${status} with an error without extensions.code`;
    return codes.includes('INTERNAL_SERVER_ERROR') ? `HTTP ${status} with INTERNAL_SERVER_ERROR` : null;
  }
  if (status < 200 || status >= 300) return `HTTP ${status}`;
  if (!body) return `HTTP ${status} with a body that is not JSON`;
  if (!Array.isArray(body.errors) || body.errors.length === 0) return 'accepted';
  for (const e of body.errors) {
    const code = e?.extensions?.code;
    if (typeof code !== 'string' || code === '') return 'an error without extensions.code';
    if (code === 'INTERNAL_SERVER_ERROR') return 'INTERNAL_SERVER_ERROR';
  }
  if (body.data && Object.values(body.data).some((v) => v !== null)) return 'partly succeeded';
  return null;
}

describe('bad-input corpus', () => {
  it(
    'every generated malformed request is refused with a 4xx or a coded error (never a 500), and the business tables do not change',
    { timeout: 60_000 },
    async () => {
      const cases = corpus();
      expect(cases.length).toBeGreaterThanOrEqual(200);
      const categories = new Set(cases.map((c) => c.category));
      expect(categories.size).toBe(11);

      const before = await fingerprint();
      const failures: string[] = [];
      // A few at a time, as clients would send them.
      const queue = [...cases.entries()];
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          for (let next = queue.shift(); next; next = queue.shift()) {
            const [i, c] = next;
            try {
              const { status, text } = await send(c);
              const why = problem(status, text);
              if (why) failures.push(`#${i} [${c.category}] ${c.label}: ${why}: ${text.slice(0, 300)}`);
            } catch (err) {
              failures.push(`#${i} [${c.category}] ${c.label}: the request failed: ${err instanceof Error ? err.message : String(err)}`);
            }
          }
        }),
      );
      expect(failures, `${failures.length} of ${cases.length} requests not refused cleanly; ${REPLAY}\n${failures.join('\n')}`).toEqual([]);
      expect(await fingerprint(), `business tables changed; ${REPLAY}`).toEqual(before);

      // The gateway is still up and serving, and the refusals claimed nothing a real request needs.
      const after = await send({ category: 'check', label: 'a valid earn', body: json(EARN, { input: validEarn() }), token: cafe.apiKey });
      expect(after.status).toBe(200);
      expect(JSON.parse(after.text)).toMatchObject({ data: { earnPoints: { points: 10 } } });
    },
  );

  it('the corpus is the same for the same seed', () => {
    const label = (cs: Case[]) => cs.map((c) => `${c.category}|${c.label}`.replace(/(receipt|key|corpus|r|k|rule)-[0-9a-f]{8}/g, '$1-*'));
    expect(label(corpus())).toEqual(label(corpus()));
  });
});
