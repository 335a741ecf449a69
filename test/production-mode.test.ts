// NODE_ENV=production: no introspection (unless ALLOW_INTROSPECTION=true), no schema hints in
// messages, no stack traces or SQL in errors, Apollo's CSRF prevention, no HTTP batching, no
// landing page. Development keeps the conveniences.
import { parse } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, TestGateway } from './support/gateway';
import { liveClient, subscribe } from './support/live-client';

let prod: TestGateway;
let dev: TestGateway;

beforeAll(async () => {
  [prod, dev] = await Promise.all([startTestGateway({ NODE_ENV: 'production' }), startTestGateway({ NODE_ENV: 'development' })]);
});
afterAll(() => Promise.all([prod?.stop(), dev?.stop()]));

async function post(gw: TestGateway, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  const res = await fetch(gw.url, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, text, body: text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : null };
}

async function overWs(gw: TestGateway, query: string) {
  const sub = subscribe(liveClient(gw.wsUrl, null), parse(query) as TypedDocumentNode<unknown, Record<string, never>>, {});
  try {
    await Promise.race([sub.waitFor(1), sub.waitForError()]);
    return { data: sub.events[0], errors: sub.errors };
  } finally {
    await sub.stop();
  }
}

const INTROSPECTION = '{ __schema { queryType { name } } }';
const TYPE_QUERY = '{ __type(name: "Partner") { fields { name } } }';

describe('introspection', () => {
  it('is refused in production over HTTP (__schema and __type)', async () => {
    for (const query of [INTROSPECTION, TYPE_QUERY]) {
      const r = await post(prod, { query });
      expect(r.status).toBe(400);
      expect(r.body.data).toBeUndefined();
      expect(r.body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(r.body.errors[0].message).toMatch(/introspection/i);
    }
  });

  it('is refused in production over graphql-ws', async () => {
    const r = await overWs(prod, INTROSPECTION);
    expect(r.data).toBeUndefined();
    expect(r.errors[0]!.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(r.errors[0]!.message).toMatch(/introspection/i);
  });

  it('is served in production when ALLOW_INTROSPECTION=true, and in development', async () => {
    const open = await startTestGateway({ NODE_ENV: 'production', ALLOW_INTROSPECTION: 'true' });
    try {
      expect((await post(open, { query: INTROSPECTION })).body.data.__schema.queryType.name).toBe('Query');
    } finally {
      await open.stop();
    }
    expect((await post(dev, { query: INTROSPECTION })).body.data.__schema.queryType.name).toBe('Query');
    expect((await overWs(dev, INTROSPECTION)).data).toEqual({ __schema: { queryType: { name: 'Query' } } });
  });
});

describe('field suggestions', () => {
  it('are hidden in production over HTTP and graphql-ws; development shows them', async () => {
    const query = '{ partnrs { totalCount } }';
    const hidden = await post(prod, { query });
    expect(hidden.body.errors[0].message).toBe('Cannot query field "partnrs" on type "Query".');
    expect(hidden.text).not.toMatch(/Did you mean/);
    const ws = await overWs(prod, query);
    expect(ws.errors[0]!.message).toBe('Cannot query field "partnrs" on type "Query".');
    expect((await post(dev, { query })).body.errors[0].message).toMatch(/Did you mean "partners"/);
  });

  it('are hidden for enum values and arguments too', async () => {
    const r = await post(prod, { query: '{ partners(frist: 1) { totalCount } }' });
    expect(r.text).not.toMatch(/Did you mean/);
    expect(r.body.errors[0].message).toBe('Unknown argument "frist" on field "Query.partners".');
    const enumValue = 'mutation { setPartnerStatus(partnerId: "x", status: ACTIVEE) { id } }';
    expect((await post(dev, { query: enumValue })).body.errors[0].message).toMatch(/Did you mean the enum value "ACTIVE"/);
    const hidden = await post(prod, { query: enumValue });
    expect(hidden.body.errors[0].message).toBe('Value "ACTIVEE" does not exist in "PartnerStatus" enum.');
  });
});

describe('errors', () => {
  it('a forced internal error (a missing table) says nothing about SQL or the stack, over HTTP and graphql-ws', async () => {
    await prod.sql('ALTER TABLE tier RENAME TO tier_hidden_for_test');
    try {
      const r = await post(prod, { query: '{ tiers { id name } }' });
      expect(r.body.errors).toEqual([
        {
          message: 'Internal server error',
          locations: [{ line: 1, column: 3 }],
          path: ['tiers'],
          extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: expect.any(String) },
        },
      ]);
      expect(r.text).not.toMatch(/relation|SELECT|tier_hidden|stack|at \w+ \(/i);
      const ws = await overWs(prod, '{ tiers { id name } }');
      expect(ws.errors.map((e) => [e.message, e.extensions])).toEqual([
        ['Internal server error', { code: 'INTERNAL_SERVER_ERROR', requestId: expect.any(String) }],
      ]);
      expect(JSON.stringify(ws.errors)).not.toMatch(/relation|SELECT|tier_hidden|stacktrace/i);
    } finally {
      await prod.sql('ALTER TABLE tier_hidden_for_test RENAME TO tier');
    }
  });

  it('validation errors carry no stack trace in production (development does)', async () => {
    const query = '{ nope }';
    expect((await post(prod, { query })).body.errors[0].extensions).toEqual({ code: 'GRAPHQL_VALIDATION_FAILED', requestId: expect.any(String) });
    expect((await post(dev, { query })).body.errors[0].extensions.stacktrace).toBeDefined();
  });
});

describe('HTTP', () => {
  it('CSRF prevention: a text/plain POST without apollo-require-preflight is refused; JSON is served', async () => {
    const refused = await post(prod, JSON.stringify({ query: '{ viewer }' }), { 'content-type': 'text/plain' });
    expect(refused.status).toBe(400);
    expect(refused.text).toMatch(/CSRF|preflight/i);
    expect(refused.body?.data).toBeUndefined();
    const ok = await post(prod, { query: '{ viewer }' });
    expect(ok.body).toEqual({ data: { viewer: 'anonymous' } });
  });

  it('CSRF prevention: a GET with no content type needs the preflight header', async () => {
    const url = `${prod.url}?query=${encodeURIComponent('{ viewer }')}`;
    expect((await fetch(url)).status).toBe(400);
    const ok = await fetch(url, { headers: { 'apollo-require-preflight': 'true' } });
    expect(await ok.json()).toEqual({ data: { viewer: 'anonymous' } });
  });

  it('batching is off: an array of operations is refused', async () => {
    const r = await post(prod, [{ query: '{ viewer }' }, { query: '{ viewer }' }]);
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/batch/i);
  });

  it('the landing page is served in development only', async () => {
    const page = (gw: TestGateway) => fetch(gw.url, { headers: { accept: 'text/html' } });
    const devPage = await page(dev);
    expect(devPage.status).toBe(200);
    expect(devPage.headers.get('content-type')).toMatch(/text\/html/);
    const prodPage = await page(prod);
    expect(prodPage.headers.get('content-type') ?? '').not.toMatch(/text\/html/);
    expect(await prodPage.text()).not.toMatch(/<html/i);
  });
});
