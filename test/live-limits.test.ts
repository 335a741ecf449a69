// What one client may hold open over graphql-ws: at most LIVE_MAX_SUBSCRIPTIONS_PER_SOCKET
// subscriptions per socket (the next is refused with TOO_MANY_SUBSCRIPTIONS, the socket stays
// usable) and LIVE_MAX_SOCKETS_PER_IP sockets per client address (the next is closed with 4029).
// And a mistake in an operation's variables is the same BAD_USER_INPUT over the socket as over
// HTTP, never an internal error in the server's log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { print } from 'graphql';
import WebSocket from 'ws';
import {
  BalanceChangedDocument,
  EarnPointsDocument,
  ExchangeRateChangedDocument,
  ExchangeRateChangedSubscription,
  SetExchangeRateDocument,
} from './generated/graphql';
import { startTestGateway, TestGateway } from './support/gateway';
import { earnInput, newMember, newPartner } from './support/factories';
import { liveClient, LiveSubscription, settle, subscribe } from './support/live-client';
import { captureLog } from './support/log-capture';
import { ConfigError, loadConfig } from '../src/config';

const SOCKETS_PER_IP = 3;
const log = captureLog();
let gw: TestGateway;
beforeAll(async () => {
  // One trusted proxy hop, so each test socket can name its client address in X-Forwarded-For.
  gw = await startTestGateway({ LIVE_MAX_SOCKETS_PER_IP: String(SOCKETS_PER_IP), TRUST_PROXY_HOPS: '1' }, log.logger);
});
afterAll(() => gw?.stop());

describe('the settings', () => {
  it('default to 50 subscriptions per socket and 100 sockets per address, and refuse nonsense', () => {
    const config = loadConfig({ NODE_ENV: 'test' });
    expect([config.liveMaxSubscriptionsPerSocket, config.liveMaxSocketsPerIp]).toEqual([50, 100]);
    expect(loadConfig({ NODE_ENV: 'test', LIVE_MAX_SOCKETS_PER_IP: '0' }).liveMaxSocketsPerIp).toBe(0);
    for (const [name, value] of [
      ['LIVE_MAX_SUBSCRIPTIONS_PER_SOCKET', '0'],
      ['LIVE_MAX_SUBSCRIPTIONS_PER_SOCKET', 'many'],
      ['LIVE_MAX_SOCKETS_PER_IP', '-1'],
    ] as const) {
      expect(() => loadConfig({ NODE_ENV: 'test', [name]: value })).toThrow(ConfigError);
      expect(() => loadConfig({ NODE_ENV: 'test', [name]: value })).toThrow(name);
    }
  });
});

describe('subscriptions per socket', () => {
  it('refuses the 51st subscription on a socket with TOO_MANY_SUBSCRIPTIONS; the socket and its 50 keep working', async () => {
    const cafe = await newPartner(gw);
    const client = liveClient(gw.wsUrl);
    let connections = 0;
    client.on('connected', () => connections++);
    const open: LiveSubscription<ExchangeRateChangedSubscription>[] = [];
    for (let i = 0; i < 50; i++) open.push(subscribe(client, ExchangeRateChangedDocument, { partnerId: cafe.id }));
    await settle(300);
    const refused = subscribe(client, ExchangeRateChangedDocument, { partnerId: cafe.id });
    const [error] = await refused.waitForError();
    expect(error!.extensions?.code).toBe('TOO_MANY_SUBSCRIPTIONS');
    expect(error!.extensions?.limit).toBe(50);
    expect(error!.message).toMatch(/50 subscriptions/);
    expect(open.flatMap((s) => s.errors)).toEqual([]);

    // Every one of the 50 still delivers, on the same socket.
    await gw.ok(SetExchangeRateDocument, { input: { partnerId: cafe.id, earnRate: '3', burnRate: '0.02' } }, gw.adminToken);
    for (const sub of open) expect((await sub.waitFor(1))[0]!.exchangeRateChanged.earnRate).toBe('3');
    expect(refused.events).toEqual([]);

    // Ending one makes room for another; queries and mutations do not count against the limit.
    open.pop()!.cancel();
    await settle(100);
    const replacement = subscribe(client, ExchangeRateChangedDocument, { partnerId: cafe.id });
    const member = await newMember(gw, cafe);
    const partnerSocket = liveClient(gw.wsUrl, cafe.apiKey);
    const held = Array.from({ length: 50 }, () => subscribe(partnerSocket, BalanceChangedDocument, { memberId: member.id }));
    await settle(300);
    const write = subscribe(partnerSocket, EarnPointsDocument, { input: earnInput(member, '5.00') });
    expect((await write.waitFor(1))[0]!.earnPoints.points).toBe(15); // at the earn rate of 3 set above
    await gw.ok(SetExchangeRateDocument, { input: { partnerId: cafe.id, earnRate: '4', burnRate: '0.02' } }, gw.adminToken);
    expect((await replacement.waitFor(1))[0]!.exchangeRateChanged.earnRate).toBe('4');
    expect(replacement.errors).toEqual([]);
    expect(held.flatMap((s) => s.errors)).toEqual([]);
    expect(connections).toBe(1);
    await Promise.all([client.dispose(), partnerSocket.dispose()]);
  }, 30_000);
});

describe('sockets per client address', () => {
  interface RawSocket {
    ws: WebSocket;
    /** 'ack' once connection_ack arrived, or the close code the server ended the socket with. */
    outcome: Promise<'ack' | number>;
  }

  function open(address: string): RawSocket {
    const ws = new WebSocket(gw.wsUrl, 'graphql-transport-ws', { headers: { 'x-forwarded-for': address } });
    const outcome = new Promise<'ack' | number>((resolve) => {
      ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: {} })));
      ws.on('message', (data) => {
        if (JSON.parse(String(data)).type === 'connection_ack') resolve('ack');
      });
      ws.on('close', (code) => resolve(code));
    });
    return { ws, outcome };
  }

  const closed = (socket: RawSocket) =>
    new Promise<void>((resolve) => (socket.ws.readyState === WebSocket.CLOSED ? resolve() : socket.ws.once('close', () => resolve())));

  it(`closes the socket past ${SOCKETS_PER_IP} from one address with 4029, others still connect, and a freed place is reusable`, async () => {
    const first = Array.from({ length: SOCKETS_PER_IP }, () => open('203.0.113.7'));
    expect(await Promise.all(first.map((s) => s.outcome))).toEqual(Array(SOCKETS_PER_IP).fill('ack'));
    const over = open('203.0.113.7');
    expect(await over.outcome).toBe(4029);
    // Another address has its own count.
    const neighbour = open('203.0.113.8');
    expect(await neighbour.outcome).toBe('ack');
    // The refused socket took no place: closing one of the three frees exactly one.
    first[0]!.ws.close();
    await closed(first[0]!);
    await settle(100);
    const again = open('203.0.113.7');
    expect(await again.outcome).toBe('ack');
    const stillOver = open('203.0.113.7');
    expect(await stillOver.outcome).toBe(4029);
    for (const s of [...first, neighbour, again]) s.ws.close();
    await Promise.all([...first, neighbour, again].map(closed));
  });

  it('names the limit in the close reason, and does not authenticate the refused socket', async () => {
    const held = Array.from({ length: SOCKETS_PER_IP }, () => open('203.0.113.9'));
    await Promise.all(held.map((s) => s.outcome));
    const ws = new WebSocket(gw.wsUrl, 'graphql-transport-ws', { headers: { 'x-forwarded-for': '203.0.113.9' } });
    const messages: string[] = [];
    const [code, reason] = await new Promise<[number, string]>((resolve) => {
      ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: 'Bearer nonsense' } })));
      ws.on('message', (d) => messages.push(String(d)));
      ws.on('close', (c, r) => resolve([c, String(r)]));
    });
    expect(code).toBe(4029);
    expect(reason).toMatch(/too many connections/i);
    expect(messages).toEqual([]);
    for (const s of held) s.ws.close();
    await Promise.all(held.map(closed));
  });
});

describe('bad variables over the socket', () => {
  /** The first error over a real socket (one socket per call). */
  async function socketError(query: string, variables: Record<string, unknown>, token: string | null, operationName?: string) {
    const client = liveClient(gw.wsUrl, token);
    try {
      return await new Promise<{ message: string; extensions?: Record<string, unknown> }>((resolve, reject) => {
        client.subscribe(
          { query, variables, operationName },
          {
            next: (r) => (r.errors?.length ? resolve(r.errors[0] as never) : reject(new Error(`answered ${JSON.stringify(r)}`))),
            error: (e) => (Array.isArray(e) ? resolve(e[0]) : reject(e)),
            complete: () => undefined,
          },
        );
      });
    } finally {
      await client.dispose();
    }
  }

  async function overHttp(query: string, variables: Record<string, unknown>, token: string, operationName?: string) {
    const res = await fetch(gw.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables, operationName }),
    });
    const body = (await res.json()) as { errors?: { message: string; extensions?: Record<string, unknown> }[] };
    return { status: res.status, error: body.errors?.[0] };
  }

  const EARN = print(EarnPointsDocument);
  const cases: [string, (valid: Record<string, unknown>) => Record<string, unknown>][] = [
    ['a required variable not given', () => ({})],
    ['a variable of the wrong type', (valid) => ({ input: { ...valid, externalRef: 12 } })],
    ['an unknown input field', (valid) => ({ input: { ...valid, points: 1_000_000 } })],
    ['a number for a Decimal', (valid) => ({ input: { ...valid, amount: 12.5 } })],
  ];

  for (const [label, variables] of cases) {
    it(`${label}: BAD_USER_INPUT as over HTTP, nothing written, nothing logged as an error`, async () => {
      const cafe = await newPartner(gw);
      const member = await newMember(gw, cafe);
      const vars = variables(earnInput(member, '10.00'));
      const logged = log.lines.length;
      const http = await overHttp(EARN, vars, cafe.apiKey);
      expect(http.status).toBe(400);
      expect(http.error?.extensions?.code).toBe('BAD_USER_INPUT');
      const socket = await socketError(EARN, vars, cafe.apiKey);
      expect(socket.extensions?.code).toBe(http.error!.extensions!.code);
      expect(socket.message).toBe(http.error!.message);
      expect(await gw.sql(`SELECT 1 FROM ledger_transaction WHERE member_id = $1`, [member.id])).toEqual([]);
      expect(log.lines.slice(logged).filter((l) => l.level >= 50)).toEqual([]);
    });
  }

  it('an operation name the document does not have: OPERATION_RESOLUTION_FAILURE as over HTTP, not an internal error', async () => {
    const cafe = await newPartner(gw);
    const member = await newMember(gw, cafe);
    const logged = log.lines.length;
    for (const [query, operationName] of [
      [EARN, 'Nope'],
      [`${EARN} query Other { viewer }`, undefined],
    ] as const) {
      const vars = { input: earnInput(member, '10.00') };
      const http = await overHttp(query, vars, cafe.apiKey, operationName);
      expect(http.status).toBe(400);
      expect(http.error?.extensions?.code).toBe('OPERATION_RESOLUTION_FAILURE');
      const socket = await socketError(query, vars, cafe.apiKey, operationName);
      expect(socket).toMatchObject({ message: http.error!.message, extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } });
    }
    expect(await gw.sql(`SELECT 1 FROM ledger_transaction WHERE member_id = $1`, [member.id])).toEqual([]);
    expect(log.lines.slice(logged).filter((l) => l.level >= 50)).toEqual([]);
  });

  it('is BAD_USER_INPUT for a subscription too, and the socket keeps serving', async () => {
    const cafe = await newPartner(gw);
    const member = await newMember(gw, cafe);
    const missing = await socketError(print(BalanceChangedDocument), {}, cafe.apiKey);
    expect(missing.extensions?.code).toBe('BAD_USER_INPUT');
    expect(missing.message).toMatch(/\$memberId/);
    const wrongType = await socketError(print(ExchangeRateChangedDocument), { partnerId: { id: cafe.id } }, null);
    expect(wrongType.extensions?.code).toBe('BAD_USER_INPUT');
    const client = liveClient(gw.wsUrl, cafe.apiKey);
    const sub = subscribe(client, BalanceChangedDocument, { memberId: member.id });
    const bad = subscribe(client, BalanceChangedDocument, {} as never);
    expect((await bad.waitForError())[0]!.extensions?.code).toBe('BAD_USER_INPUT');
    await settle();
    await gw.ok(EarnPointsDocument, { input: earnInput(member, '3.00') }, cafe.apiKey);
    expect((await sub.waitFor(1))[0]!.balanceChanged.balance.available).toBe(3);
    await sub.stop();
    expect(log.errors()).toEqual([]);
  });
});
