// Requests Express refuses before Apollo sees them (the JSON body parser): each is answered in the
// GraphQL error shape — JSON, `errors[0].extensions.code` BAD_REQUEST, the right 4xx status, a
// message naming the problem, no stack trace — never Express's HTML error page. In development
// and production alike; the gateway keeps serving and nothing is written.
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, TestGateway } from './support/gateway';
import { earnInput, newMember, newPartner, TestMember, TestPartner } from './support/factories';
import { MAX_BODY_BYTES } from '../src/graphql/body-errors';

const EARN = 'mutation Earn($input: EarnPointsInput!) { earnPoints(input: $input) { id points } }';

interface Case {
  name: string;
  headers?: Record<string, string>;
  body: (member: TestMember) => string | Uint8Array;
  status: number;
  message: RegExp;
}

const earnBody = (member: TestMember) => JSON.stringify({ query: EARN, variables: { input: earnInput(member, '10.00') } });

const CASES: Case[] = [
  { name: 'malformed JSON', body: (m) => earnBody(m).slice(0, 40), status: 400, message: /not valid JSON/ },
  { name: 'a bare word', body: () => 'earn please', status: 400, message: /not valid JSON/ },
  {
    name: 'a body over the limit',
    body: (m) => JSON.stringify({ query: EARN, variables: { input: earnInput(m, '10.00', { externalRef: 'x'.repeat(MAX_BODY_BYTES) }) } }),
    status: 413,
    message: new RegExp(`larger than ${MAX_BODY_BYTES} bytes`),
  },
  {
    name: 'an unsupported charset',
    headers: { 'content-type': 'application/json; charset=latin1' },
    body: earnBody,
    status: 415,
    message: /charset "latin1".*UTF-8/,
  },
  { name: 'an unknown content encoding', headers: { 'content-encoding': 'br2' }, body: earnBody, status: 415, message: /content encoding "br2"/ },
  { name: 'gzip claimed but not sent', headers: { 'content-encoding': 'gzip' }, body: earnBody, status: 400, message: /could not be read/ },
  {
    name: 'bytes that are not UTF-8',
    body: (m) => Buffer.concat([Buffer.from(earnBody(m).slice(0, -3)), Buffer.from([0xff, 0xfe]), Buffer.from('}}}')]),
    status: 400,
    message: /not valid UTF-8/,
  },
];

describe.each([
  ['development', {}],
  ['production', { NODE_ENV: 'production' }],
])('in %s', (_mode, env) => {
  let gw: TestGateway;
  let cafe: TestPartner;
  let member: TestMember;
  beforeAll(async () => {
    gw = await startTestGateway(env);
    cafe = await newPartner(gw);
    member = await newMember(gw, cafe);
  });
  afterAll(() => gw?.stop());

  it.each(CASES)('$name → HTTP $status, JSON BAD_REQUEST naming it, nothing written', async (c) => {
    const res = await fetch(gw.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${cafe.apiKey}`, ...c.headers },
      body: c.body(member),
    });
    const text = await res.text();
    expect(res.status, text).toBe(c.status);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(text).not.toMatch(/<html|<pre>|\bat .*\.(ts|js):\d+/i);
    const body = JSON.parse(text) as { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] };
    expect(body.data).toBeUndefined();
    expect(body.errors).toHaveLength(1);
    expect(body.errors![0]!.message).toMatch(c.message);
    expect(body.errors![0]!.extensions).toMatchObject({ code: 'BAD_REQUEST' });
    expect(body.errors![0]!.extensions).not.toHaveProperty('stacktrace');
    expect(await gw.sql(`SELECT 1 FROM ledger_transaction`)).toEqual([]);
  });

  it('the size refusal names the limit; a body just under it is read (and refused by GraphQL, not Express)', async () => {
    const over = await fetch(gw.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(MAX_BODY_BYTES + 1) });
    expect(await over.json()).toMatchObject({ errors: [{ extensions: { code: 'BAD_REQUEST', maxBytes: MAX_BODY_BYTES } }] });
    const padding = MAX_BODY_BYTES - JSON.stringify({ query: '{ viewer }', variables: { pad: '' } }).length;
    const under = await fetch(gw.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ viewer }', variables: { pad: 'x'.repeat(padding) } }),
    });
    expect(under.status).toBe(200);
    expect(await under.json()).toEqual({ data: { viewer: 'anonymous' } });
  });

  it('a gzip body that is real is read, and after every refusal the gateway still earns', async () => {
    const res = await fetch(gw.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', authorization: `Bearer ${cafe.apiKey}` },
      body: gzipSync(earnBody(member)),
    });
    expect(await res.json()).toMatchObject({ data: { earnPoints: { points: 10 } } });
  });
});
