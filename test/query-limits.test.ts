// Query limits (depth, aliases, directives, tokens, cost weighted by `first`, the page cap): each
// just under and just over, over HTTP and over graphql-ws alike. Over a limit, the document is
// refused before anything executes: a clear code, no `data`, nothing resolved.
import { parse } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, TestGateway } from './support/gateway';
import { liveClient, subscribe } from './support/live-client';

const LIMITS = { depth: 7, aliases: 3, directives: 3, tokens: 60, cost: 401 };

let gw: TestGateway;
let partnerId = '';

beforeAll(async () => {
  gw = await startTestGateway({
    MAX_QUERY_DEPTH: String(LIMITS.depth),
    MAX_QUERY_ALIASES: String(LIMITS.aliases),
    MAX_QUERY_DIRECTIVES: String(LIMITS.directives),
    MAX_QUERY_TOKENS: String(LIMITS.tokens),
    MAX_QUERY_COST: String(LIMITS.cost),
  });
  // Straight through the services: the factories' documents are bigger than these limits allow.
  const partner = await gw.services.partners.create({ slug: 'limits-cafe', name: 'Limits Café', currencyCode: 'MYR' });
  await gw.services.rates.set({ partnerId: partner.id, earnRate: '1', burnRate: '0.01' });
  partnerId = partner.id;
});
afterAll(() => gw?.stop());

/** partner → exchangeRate → partner → … → id: a document exactly `depth` fields deep. */
function chain(depth: number): string {
  let inner = 'id';
  for (let level = depth - 1; level >= 2; level--) inner = `${level % 2 === 0 ? 'exchangeRate' : 'partner'} { ${inner} }`;
  return `{ partner(id: "${partnerId}") { ${inner} } }`;
}

/** `{ viewer __typename … }` with exactly n tokens. */
const tokens = (n: number) => `{ viewer ${'__typename '.repeat(n - 3)}}`;
const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: viewer`).join(' ')} }`;
const directives = (n: number) => `{ ${'viewer @include(if: true) '.repeat(n)}}`;
/** partners(first: k) { edges { node { id slug name } } } costs 1 + 5k. */
const cost = (k: number) => `{ partners(first: ${k}) { edges { node { id slug name } } } }`;

interface LimitCase {
  limit: string;
  under: () => string;
  over: () => string;
  code: string;
}

const CASES: LimitCase[] = [
  { limit: 'depth', under: () => chain(LIMITS.depth), over: () => chain(LIMITS.depth + 1), code: 'QUERY_TOO_COMPLEX' },
  { limit: 'aliases', under: () => aliases(LIMITS.aliases), over: () => aliases(LIMITS.aliases + 1), code: 'QUERY_TOO_COMPLEX' },
  { limit: 'directives', under: () => directives(LIMITS.directives), over: () => directives(LIMITS.directives + 1), code: 'QUERY_TOO_COMPLEX' },
  { limit: 'tokens', under: () => tokens(LIMITS.tokens), over: () => tokens(LIMITS.tokens + 1), code: 'QUERY_TOO_COMPLEX' },
  { limit: 'cost', under: () => cost(80), over: () => cost(81), code: 'QUERY_TOO_COMPLEX' },
];

async function post(query: string, variables?: Record<string, unknown>) {
  const res = await fetch(gw.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  return { status: res.status, body: (await res.json()) as { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] } };
}

/** One operation over graphql-ws: its result, or the errors it was refused with. */
async function overWs(query: string, variables: Record<string, unknown> = {}) {
  const sub = subscribe(liveClient(gw.wsUrl, null), parse(query) as TypedDocumentNode<unknown, Record<string, unknown>>, variables);
  try {
    await Promise.race([sub.waitFor(1), sub.waitForError()]);
    return { data: sub.events[0], errors: sub.errors };
  } finally {
    await sub.stop();
  }
}

describe('the documents are what they claim to be', () => {
  it('chain(n) is n deep, tokens(n) has n tokens, cost(k) costs 1 + 5k', async () => {
    expect(chain(3)).toBe(`{ partner(id: "${partnerId}") { exchangeRate { id } } }`);
    const { Lexer, Source, TokenKind } = await import('graphql');
    const lexer = new Lexer(new Source(tokens(LIMITS.tokens)));
    let n = 0;
    while (lexer.advance().kind !== TokenKind.EOF) n++;
    expect(n).toBe(LIMITS.tokens);
    expect(5 * 80 + 1).toBe(LIMITS.cost);
  });
});

describe.each(CASES.map((c) => [c.limit, c] as const))('%s limit', (limit, c) => {
  it('over HTTP: just under is served', async () => {
    const r = await post(c.under());
    expect(r.body.errors).toBeUndefined();
    expect(r.status).toBe(200);
    expect(r.body.data).toBeTruthy();
  });

  it('over HTTP: just over is refused at validation, nothing executed', async () => {
    const r = await post(c.over());
    expect(r.status).toBe(400);
    expect(r.body.data).toBeUndefined();
    expect(r.body.errors).toHaveLength(1);
    expect(r.body.errors![0]!.extensions).toMatchObject({ code: c.code, limit });
    expect(r.body.errors![0]!.message).toMatch(/limit/i);
  });

  it('over graphql-ws: just under is served', async () => {
    const r = await overWs(c.under());
    expect(r.errors).toEqual([]);
    expect(r.data).toBeTruthy();
  });

  it('over graphql-ws: just over is refused the same way', async () => {
    const r = await overWs(c.over());
    expect(r.data).toBeUndefined();
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]!.extensions).toMatchObject({ code: c.code, limit });
  });
});

describe('cost weighs lists by first', () => {
  it('a `first` passed as a variable counts as the cap (100): refused whatever its value', async () => {
    const query = 'query($n: Int) { partners(first: $n) { edges { node { id slug name } } } }';
    const r = await post(query, { n: 1 });
    expect(r.status).toBe(400);
    expect(r.body.errors![0]!.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'cost' });
    expect(r.body.errors![0]!.message).toContain('found 501');
  });

  it('no `first` counts as the default page size (20)', async () => {
    expect((await post('{ partners { edges { node { id slug name } } } }')).status).toBe(200); // 101
    const nested = '{ partners(first: 2) { edges { node { rewards { edges { node { id name } } } } } } }';
    const r = await post(nested); // 1 + 2 × (1 + 1 + 1 + 20 × 4) = 167: served
    expect(r.body.errors).toBeUndefined();
  });

  it('nested pages multiply', async () => {
    const r = await post('{ partners(first: 10) { edges { node { rewards(first: 10) { edges { node { id name } } } } } } }');
    // 1 + 10 × (1 + 1 + 1 + 10 × 4) = 431 > 401
    expect(r.body.errors![0]!.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'cost' });
    expect(r.body.errors![0]!.message).toContain('found 431');
  });
});

describe('page size cap: first is at most 100 on every list', () => {
  const lists = [
    ['partners', (n: string) => `partners(first: ${n}) { totalCount }`],
    ['catalog', (n: string) => `catalog(first: ${n}) { totalCount }`],
    ['Partner.rewards', (n: string) => `partner(id: "${partnerId}") { rewards(first: ${n}) { totalCount } }`],
  ] as const;

  it.each(lists)('%s: first 100 is served, a literal 101 is refused at validation', async (_name, field) => {
    const ok = await post(`{ ${field('100')} }`);
    expect(ok.body.errors).toBeUndefined();
    const r = await post(`{ ${field('101')} }`);
    expect(r.status).toBe(400);
    expect(r.body.data).toBeUndefined();
    expect(r.body.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
  });

  it.each(lists)('%s: 101 in a variable is refused as BAD_USER_INPUT before the list resolves', async (_name, field) => {
    const r = await post(`query($n: Int) { ${field('$n')} }`, { n: 101 });
    expect(r.body.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    expect(JSON.stringify(r.body.data ?? null)).not.toContain('totalCount');
  });

  it.each(lists)('%s over graphql-ws: first 100 is served, a literal 101 is refused at validation', async (_name, field) => {
    const ok = await overWs(`{ ${field('100')} }`);
    expect(ok.errors).toEqual([]);
    expect(JSON.stringify(ok.data)).toContain('totalCount');
    const r = await overWs(`{ ${field('101')} }`);
    expect(r.data).toBeUndefined();
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
  });

  it.each(lists)('%s over graphql-ws: 101 in a variable is refused as BAD_USER_INPUT before the list resolves', async (_name, field) => {
    const r = await overWs(`query($n: Int) { ${field('$n')} }`, { n: 101 });
    expect(r.errors[0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    expect(JSON.stringify(r.data ?? null)).not.toContain('totalCount');
  });
});
