// The README's "Clients" section, run: which HTTP requests CSRF prevention lets through (in every
// mode), and the example clients in examples/clients — Apollo Client, urql, graphql-ws and the
// codegen config — against a real gateway. The README shows those files verbatim; checked here.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { ApolloClient, HttpLink, InMemoryCache } from '@apollo/client';
import { Client, cacheExchange, fetchExchange } from '@urql/core';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it, vi } from 'vitest';
import { startTestGateway, TestGateway } from './support/gateway';
import { earn, newMember, newPartner, newReward, TestMember, TestPartner } from './support/factories';
import { createLoyaltyClient as createApolloClient, loadDashboard, redeem } from '../examples/clients/apollo-client';
import { affordableRewards, createLoyaltyClient as createUrqlClient } from '../examples/clients/urql';
import { BalanceUpdate, followBalance } from '../examples/clients/live-balance';
import codegenConfig from '../examples/clients/codegen';
import { AffordableRewardsDocument, MemberDashboardDocument, type MemberDashboardQuery } from '../examples/clients/generated/graphql';

const EXAMPLES = ['apollo-client.ts', 'urql.ts', 'codegen.ts', 'live-balance.ts'].map((f) => `examples/clients/${f}`);

let dev: TestGateway;
let prod: TestGateway;
let cafe: TestPartner;
let member: TestMember;

beforeAll(async () => {
  // `npm start` runs in development; production differs in much, but not in what passes CSRF.
  [dev, prod] = await Promise.all([startTestGateway({ NODE_ENV: 'development' }), startTestGateway({ NODE_ENV: 'production' })]);
  cafe = await newPartner(dev);
  member = await newMember(dev, cafe);
  for (const amount of ['10.00', '11.00', '12.00', '13.00', '14.00']) await earn(dev, cafe, member, amount);
});
afterAll(() => Promise.all([dev?.stop(), prod?.stop()]));

describe('CSRF prevention, in development and production alike', () => {
  const viewer = encodeURIComponent('{ viewer }');
  const requests: [string, 'served' | 'refused', (url: string) => Promise<Response>][] = [
    ['a JSON POST', 'served', (u) => fetch(u, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ viewer }"}' })],
    ['a GET with content-type: application/json', 'served', (u) => fetch(`${u}?query=${viewer}`, { headers: { 'content-type': 'application/json' } })],
    ['a GET with x-apollo-operation-name', 'served', (u) => fetch(`${u}?query=${viewer}`, { headers: { 'x-apollo-operation-name': 'Viewer' } })],
    ['a GET with apollo-require-preflight', 'served', (u) => fetch(`${u}?query=${viewer}`, { headers: { 'apollo-require-preflight': 'true' } })],
    ['a plain GET (urql’s default for queries)', 'refused', (u) => fetch(`${u}?query=${viewer}`, { headers: { accept: 'application/json' } })],
    ['a text/plain POST', 'refused', (u) => fetch(u, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"query":"{ viewer }"}' })],
    ['a form POST', 'refused', (u) => fetch(u, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `query=${viewer}` })],
  ];

  it.each(requests)('%s: %s', async (_name, outcome, send) => {
    for (const gw of [dev, prod]) {
      const res = await send(gw.url);
      const body = (await res.json()) as { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] };
      if (outcome === 'served') {
        expect(res.status).toBe(200);
        expect(body).toEqual({ data: { viewer: 'anonymous' } });
      } else {
        expect(res.status).toBe(400);
        expect(body.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
        expect(body.errors?.[0]?.message).toMatch(/Cross-Site Request Forgery.*apollo-require-preflight/s);
      }
    }
  });
});

describe('Apollo Client (examples/clients/apollo-client.ts)', () => {
  it('loads the whole history page by page into one cached list (relayStylePagination); amounts stay strings', async () => {
    const client = createApolloClient(dev.url, member.token);
    const dashboard = await loadDashboard(client, member.id, 2);
    expect(dashboard?.transactions.totalCount).toBe(5);
    expect(dashboard?.transactions.edges.map((e) => e.node.purchase?.amount)).toEqual(['14.00', '13.00', '12.00', '11.00', '10.00']);
    expect(dashboard?.transactions.pageInfo.hasNextPage).toBe(false);
    expect(dashboard?.balance).toEqual(expect.objectContaining({ available: 60, lifetimeEarned: 60 }));
    client.stop();
  });

  it('a redemption updates the cached balance in place (Balance merge); without the policy the dashboard falls out of the cache', async () => {
    const reward = await newReward(dev, cafe, { pointsCost: 7 });
    const client = createApolloClient(dev.url, member.token);
    const before = await loadDashboard(client, member.id);
    const redeemed = await redeem(client, member.id, reward.id, `app-${Date.now()}`);
    expect(redeemed?.transaction.member.balance.available).toBe(before!.balance.available - 7);
    const cached = client.readQuery({ query: MemberDashboardDocument, variables: { memberId: member.id, first: 20 } });
    expect(cached?.member?.balance).toEqual({ ...before!.balance, available: before!.balance.available - 7 });
    client.stop();

    // Control: the same calls with a cache that does not know Balance. The mutation's balance
    // (available only) replaces the cached one, and the dashboard query is no longer complete.
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const plain = new ApolloClient({
      link: new HttpLink({ uri: dev.url, headers: { authorization: `Bearer ${member.token}` } }),
      cache: new InMemoryCache(),
    });
    try {
      await plain.query({ query: MemberDashboardDocument, variables: { memberId: member.id, first: 20 } });
      await redeem(plain, member.id, reward.id, `app-${Date.now()}-control`);
      expect(plain.readQuery({ query: MemberDashboardDocument, variables: { memberId: member.id, first: 20 } })).toBeNull();
    } finally {
      plain.stop();
      warn.mockRestore();
    }
  });
});

describe('urql (examples/clients/urql.ts)', () => {
  it('the example client POSTs JSON and is served; urql’s defaults (GET queries) are refused; GET with the preflight header is served', async () => {
    const reward = await newReward(dev, cafe, { pointsCost: 1, name: 'Kaya toast' });
    const methods: string[] = [];
    const realFetch = globalThis.fetch;
    const spy = vi.spyOn(globalThis, 'fetch').mockImplementation((input, init) => {
      methods.push(init?.method ?? 'GET');
      return realFetch(input, init);
    });
    try {
      const rewards = await affordableRewards(createUrqlClient(dev.url, member.token), member.id);
      expect(rewards).toContainEqual(expect.objectContaining({ id: reward.id, name: 'Kaya toast', partner: expect.objectContaining({ slug: cafe.slug }) }));
      expect(methods).toEqual(['POST']);

      const auth = { authorization: `Bearer ${member.token}` };
      const defaults = new Client({ url: dev.url, exchanges: [cacheExchange, fetchExchange], fetchOptions: { headers: auth } });
      const refused = await defaults.query(AffordableRewardsDocument, { memberId: member.id }).toPromise();
      expect(refused.data).toBeUndefined();
      expect(refused.error?.message).toMatch(/Cross-Site Request Forgery/);

      const preflight = new Client({
        url: dev.url,
        exchanges: [cacheExchange, fetchExchange],
        fetchOptions: { headers: { ...auth, 'apollo-require-preflight': 'true' } },
      });
      const served = await preflight.query(AffordableRewardsDocument, { memberId: member.id }).toPromise();
      expect(served.error).toBeUndefined();
      expect(served.data?.catalog.edges.map((e) => e.node.id)).toContain(reward.id);
      expect(methods).toEqual(['POST', 'GET', 'GET']);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('codegen (examples/clients/codegen.ts)', () => {
  /** `graphql-codegen --check` in a child process, as a user runs it (its seconds of CPU would stall this process's gateway). */
  const codegenCheck = (config: string) =>
    new Promise<{ code: number; output: string }>((resolve) => {
      const bin = join('node_modules', '@graphql-codegen', 'cli', 'cjs', 'bin.js');
      execFile(process.execPath, [bin, '--config', config, '--check'], { timeout: 110_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, output: `${stdout}${stderr}` });
      });
    });

  it(
    '`graphql-codegen --check` finds the committed examples/clients/generated/graphql.ts up to date (run `npm run codegen` when not)',
    { timeout: 240_000 },
    async () => {
      const fresh = await codegenCheck('examples/clients/codegen.ts');
      expect(fresh.code, fresh.output).toBe(0);

      // Control: the same config against a copy that is one line off is reported stale.
      const dir = mkdtempSync(join(tmpdir(), 'codegen-check-'));
      try {
        const copy = join(dir, 'graphql.ts');
        writeFileSync(copy, `${readFileSync('examples/clients/generated/graphql.ts', 'utf8')}// stale\n`);
        const config = join(dir, 'codegen.json');
        writeFileSync(config, JSON.stringify({ ...codegenConfig, generates: { [copy]: codegenConfig.generates['examples/clients/generated/graphql.ts'] } }));
        expect((await codegenCheck(config)).code).not.toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it('maps Decimal to string: a purchase amount is typed string, as it is on the wire', () => {
    type Amount = NonNullable<NonNullable<MemberDashboardQuery['member']>['transactions']['edges'][number]['node']['purchase']>['amount'];
    expectTypeOf<Amount>().toEqualTypeOf<string>();
    expect(codegenConfig.generates).toMatchObject({ 'examples/clients/generated/graphql.ts': { config: { scalars: { Decimal: 'string' } } } });
  });
});

/** A TCP relay to the gateway whose connections the test can cut, as a network drop would. */
async function cuttableRelay(target: URL) {
  const open = new Set<net.Socket>();
  const server = net.createServer((inbound) => {
    const outbound = net.connect(Number(target.port), '127.0.0.1');
    for (const s of [inbound, outbound]) {
      open.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        open.delete(s);
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `ws://127.0.0.1:${port}${target.pathname}`,
    cut: () => open.forEach((s) => s.destroy()),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function until(what: string, ok: () => boolean, ms = 20_000) {
  for (const end = Date.now() + ms; !ok();) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('graphql-ws (examples/clients/live-balance.ts)', () => {
  it(
    'follows the balance live, resumes after a dropped connection with nothing missed or repeated, and catches up with `after`',
    { timeout: 90_000 },
    async () => {
      const fan = await newMember(dev, cafe);
      const relay = await cuttableRelay(new URL(dev.wsUrl));
      const updates: BalanceUpdate[] = [];
      const errors: unknown[] = [];
      const stop = followBalance(
        relay.url,
        fan.token,
        fan.id,
        (u) => updates.push(u),
        (e) => errors.push(e),
      );
      try {
        await new Promise((r) => setTimeout(r, 500)); // subscribed
        await earn(dev, cafe, fan, '5.00');
        await until('the first update', () => updates.length === 1);
        relay.cut(); // the connection drops; two earns happen while it is down
        await earn(dev, cafe, fan, '6.00');
        await earn(dev, cafe, fan, '7.00');
        await until('the two missed updates', () => updates.length >= 3);
        await earn(dev, cafe, fan, '8.00');
        await until('the live update after the reconnection', () => updates.length >= 4);
        await new Promise((r) => setTimeout(r, 300));
        expect(updates.map((u) => u.transaction?.points)).toEqual([5, 6, 7, 8]);
        expect(updates.map((u) => u.balance.available)).toEqual([5, 11, 18, 26]);
        expect(new Set(updates.map((u) => u.eventId)).size).toBe(4);
        expect(errors).toEqual([]);
      } finally {
        await stop();
        await relay.close();
      }

      // Catching up after a restart of the app: everything after the last eventId it kept.
      await earn(dev, cafe, fan, '9.00');
      const later: BalanceUpdate[] = [];
      const stopLater = followBalance(
        dev.wsUrl,
        fan.token,
        fan.id,
        (u) => later.push(u),
        (e) => errors.push(e),
        updates[1]!.eventId,
      );
      try {
        await until('the replay', () => later.length >= 3);
        await new Promise((r) => setTimeout(r, 300));
        expect(later.map((u) => u.transaction?.points)).toEqual([7, 8, 9]);
      } finally {
        await stopLater();
      }
    },
  );

  it('a token that proves nothing is final: onError gets the close (4403), no retry loop', { timeout: 30_000 }, async () => {
    const errors: unknown[] = [];
    const stop = followBalance(
      dev.wsUrl,
      'garbage-token',
      member.id,
      () => undefined,
      (e) => errors.push(e),
    );
    try {
      await until('the refusal', () => errors.length > 0);
      await new Promise((r) => setTimeout(r, 1500));
      expect(errors).toHaveLength(1);
      expect((errors[0] as { code?: number }).code).toBe(4403);
    } finally {
      await stop();
    }
  });
});

describe('README "Clients" section', () => {
  const readme = readFileSync('README.md', 'utf8');
  const shown = new Map([...readme.matchAll(/<!-- (examples\/\S+) -->\n```\w*\n([\s\S]*?)```\n/g)].map((m) => [m[1]!, m[2]!]));

  it.each(EXAMPLES)('shows %s exactly as the file is', (file) => {
    expect(shown.get(file), `README.md has no "<!-- ${file} -->" code block`).toBeDefined();
    expect(shown.get(file)).toBe(readFileSync(file, 'utf8'));
  });
});
