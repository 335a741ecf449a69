// Issue 19, operations: request ids (HTTP and graphql-ws), one structured log line per request
// with nothing secret or personal in it, and GET /metrics with its access rules.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestGateway, TestGateway } from './support/gateway';
import { captureLog, CapturedLog } from './support/log-capture';
import { earn, newMember, newPartner, newStaff, TestMember, TestPartner } from './support/factories';
import { BalanceChangedDocument } from './generated/graphql';
import { liveClient, subscribe } from './support/live-client';

let gw: TestGateway;
let log: CapturedLog;
let partner: TestPartner;
let member: TestMember;
let metricsPort: number;

beforeAll(async () => {
  log = captureLog('info');
  gw = await startTestGateway({ METRICS_PORT: '0' }, log.logger);
  metricsPort = gw.metricsPort ?? 0;
  partner = await newPartner(gw);
  member = await newMember(gw, partner);
});
afterAll(() => gw?.stop());

async function post(body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(gw.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  return { res, body: JSON.parse(text) as { data?: unknown; errors?: { extensions?: Record<string, unknown> }[] } };
}

const requestLines = () => log.lines.filter((l) => l.msg === 'request');

describe('request ids', () => {
  it('takes a sane x-request-id, echoes it, and puts it on every error and on the log line', async () => {
    const { res, body } = await post({ query: 'query Whoami { viewer }' }, { 'x-request-id': 'till-42.abc:1' });
    expect(res.headers.get('x-request-id')).toBe('till-42.abc:1');
    expect(body.data).toEqual({ viewer: 'anonymous' });
    const line = requestLines().find((l) => l.requestId === 'till-42.abc:1');
    expect(line).toMatchObject({ path: '/graphql', status: 200, operationName: 'Whoami', operationType: 'query', caller: 'anonymous', outcome: 'ok' });
    expect(typeof line!.durationMs).toBe('number');
  });

  it('replaces an insane one (too long, or with other characters) with a new id', async () => {
    for (const given of ['x'.repeat(129), 'has space', 'semi;colon', 'ünï']) {
      const { res } = await post({ query: '{ viewer }' }, { 'x-request-id': encodeURI(given) === given ? given : 'a b' });
      const id = res.headers.get('x-request-id');
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('puts the id on errors: a refused token (401), a bad input, a malformed body', async () => {
    const refused = await post({ query: '{ viewer }' }, { authorization: 'Bearer lgk_nope_nope', 'x-request-id': 'r-401' });
    expect(refused.res.status).toBe(401);
    expect(refused.body.errors![0]!.extensions).toMatchObject({ code: 'UNAUTHENTICATED', requestId: 'r-401' });

    const bad = await post(
      {
        query: 'mutation Earn($input: EarnPointsInput!) { earnPoints(input: $input) { id } }',
        variables: { input: { memberId: member.id, amount: '-1', currencyCode: 'MYR', externalRef: 'x', idempotencyKey: 'k' } },
      },
      { authorization: `Bearer ${partner.apiKey}`, 'x-request-id': 'r-bad' },
    );
    expect(bad.body.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', requestId: 'r-bad' });
    expect(requestLines().find((l) => l.requestId === 'r-bad')).toMatchObject({
      operationName: 'Earn',
      caller: 'partner',
      outcome: 'error',
      errorCodes: ['BAD_USER_INPUT'],
    });

    const res = await fetch(gw.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'r-json' }, body: '{not json' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: { extensions: unknown }[] }).errors[0]!.extensions).toMatchObject({ code: 'BAD_REQUEST', requestId: 'r-json' });
  });

  it('over graphql-ws: the upgrade request id is the socket’s, echoed in the 101 and carried by its errors', async () => {
    const echoed = await new Promise<string | undefined>((resolve, reject) => {
      const ws = new WebSocket(gw.wsUrl, 'graphql-transport-ws', { headers: { 'x-request-id': 'sock-1' } });
      ws.once('upgrade', (res) => {
        resolve(res.headers['x-request-id'] as string | undefined);
        ws.close();
      });
      ws.once('error', reject);
    });
    expect(echoed).toBe('sock-1');

    // A member subscribing to another member: FORBIDDEN, with a request id.
    const other = await newMember(gw, partner);
    const client = liveClient(gw.wsUrl, member.token);
    const sub = subscribe(client, BalanceChangedDocument, { memberId: other.id });
    const [error] = await sub.waitForError();
    expect(error!.extensions).toMatchObject({ code: 'FORBIDDEN' });
    expect(typeof error!.extensions!.requestId).toBe('string');
    await sub.stop();
    const wsLine = log.lines.find((l) => l.msg === 'operation' && l.requestId === error!.extensions!.requestId);
    expect(wsLine).toMatchObject({ transport: 'ws', operationType: 'subscription', caller: 'member', outcome: 'error' });
  });
});

describe('logs', () => {
  it('one line per request, structured, naming no token, key, password, email or name', async () => {
    const staff = await newStaff(gw, ['SUPPORT']);
    await earn(gw, partner, member, '12.00');
    // A member reading its own profile (the response holds its email), and a failed sign-in.
    await post({ query: '{ member(id: "' + member.id + '") { email displayName } }' }, { authorization: `Bearer ${member.token}` });
    await post({ query: 'mutation { staffLogin(email: "' + staff.email + '", password: "wrong-password-123") }' });
    const text = log.lines.map((l) => JSON.stringify(l)).join('\n');
    for (const secret of [
      gw.adminToken,
      partner.apiKey,
      member.token,
      staff.token,
      staff.password,
      member.email,
      staff.email,
      'wrong-password-123',
      'Test Member',
    ]) {
      expect(text).not.toContain(secret);
    }
    for (const line of requestLines()) expect(line.requestId).toEqual(expect.any(String));
  });
});

describe('GET /metrics', () => {
  const metricsUrl = () => gw.url.replace(/\/graphql$/, '/metrics');

  it('from this machine without a proxy: no token needed; the series are there', async () => {
    await earn(gw, partner, member, '3.00');
    const res = await fetch(metricsUrl());
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    for (const name of [
      'loyalty_graphql_request_duration_seconds_count{operation="Earn",type="mutation",transport="http",outcome="error"}',
      'loyalty_graphql_request_duration_seconds_count{operation="EarnPoints",type="mutation",transport="http",outcome="ok"}',
      'loyalty_graphql_errors_total{code="BAD_USER_INPUT"}',
      'loyalty_earn_batch_size_count',
      'loyalty_db_pool_in_use{pool="main"}',
      'loyalty_db_pool_waiting{pool="main"}',
      'loyalty_outbox_relay_lag_seconds_count',
      'loyalty_live_connections',
      'loyalty_live_subscriptions',
      'loyalty_webhook_attempts_total',
      'loyalty_webhook_delivery_lag_seconds',
      'loyalty_import_rows_total',
      'loyalty_job_runs_total',
      'loyalty_job_duration_seconds',
      'process_cpu_seconds_total',
      'nodejs_eventloop_lag_seconds',
    ]) {
      expect(text, name).toContain(name);
    }
  });

  it('through a proxy (a forwarded client) or with the wrong token: refused; the admin token, OWNER and AUDITOR pass', async () => {
    const via = (headers: Record<string, string>) => fetch(metricsUrl(), { headers: { 'x-forwarded-for': '203.0.113.9', ...headers } }).then((r) => r.status);
    expect(await via({})).toBe(401);
    expect(await via({ authorization: 'Bearer not-a-token' })).toBe(401);
    expect(await via({ authorization: `Bearer ${partner.apiKey}` })).toBe(403);
    expect(await via({ authorization: `Bearer ${member.token}` })).toBe(403);
    expect(await via({ authorization: `Bearer ${(await newStaff(gw, ['SUPPORT'])).token}` })).toBe(403);
    expect(await via({ authorization: `Bearer ${gw.adminToken}` })).toBe(200);
    expect(await via({ authorization: `Bearer ${(await newStaff(gw, ['OWNER'])).token}` })).toBe(200);
    expect(await via({ authorization: `Bearer ${(await newStaff(gw, ['AUDITOR'])).token}` })).toBe(200);
  });

  it('on METRICS_PORT: no token, and nothing else served there', async () => {
    expect(metricsPort).toBeGreaterThan(0);
    const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('loyalty_graphql_request_duration_seconds');
    expect((await fetch(`http://127.0.0.1:${metricsPort}/graphql`)).status).toBe(404);
  });

  it('operation names are bounded: unnamed and invalid operations are bucketed', async () => {
    await post({ query: '{ viewer }' });
    await post({ query: 'query Nope { noSuchField }' });
    const text = await (await fetch(metricsUrl())).text();
    expect(text).toContain('operation="(anonymous)"');
    expect(text).toContain('operation="(invalid)"');
    expect(text).not.toContain('operation="Nope"');
  });
});
