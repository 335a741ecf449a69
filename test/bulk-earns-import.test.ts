// An end-of-day earns file over plain HTTP: each row goes through the one earn path, exactly as
// the same earns made one by one with earnPoints; the same file twice credits nothing new.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateEarnRuleDocument, EarnPointsDocument, SetExchangeRateDocument } from './generated/graphql';
import { startTestGateway, TestGateway } from './support/gateway';
import { earnInput, newMember, newPartner, TestMember, TestPartner, uniq } from './support/factories';
import { csv, finished, upload } from './support/bulk';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw?.stop());

const HEADER = ['member', 'amount', 'currencyCode', 'channel', 'externalRef', 'occurredAt', 'items'];
const ITEMS = JSON.stringify([{ sku: 'LATTE', category: 'coffee', quantity: 2, amount: '30.00' }]).replace(/"/g, '""');

async function books(memberId: string) {
  const [wallet] = await gw.sql(
    `SELECT a.balance, a.lifetime_earned, a.pending, m.tier_id FROM account a JOIN member m ON m.id = a.member_id WHERE a.member_id = $1`,
    [memberId],
  );
  const earns = await gw.sql(`SELECT type, points, breakdown, tier_multiplier::text, channel FROM ledger_transaction WHERE member_id = $1 ORDER BY seq`, [
    memberId,
  ]);
  const events = await gw.sql(`SELECT topic, count(*)::int AS n FROM outbox_event WHERE member_id = $1 GROUP BY topic ORDER BY topic`, [memberId]);
  const lots = await gw.sql(`SELECT points, remaining, pending FROM points_lot WHERE member_id = $1 ORDER BY points, remaining`, [memberId]);
  return { wallet, earns, events, lots };
}

describe('earns import', () => {
  let shop: TestPartner;
  let live: TestMember[];
  let filed: TestMember[];
  const amounts = ['30.00', '2500.00', '12.34', '8000.00'];

  beforeAll(async () => {
    shop = await newPartner(gw, { currencyCode: 'MYR', earnRate: '1', burnRate: '0.01' });
    await gw.ok(CreateEarnRuleDocument, { input: { name: 'coffee double', kind: 'MULTIPLIER', multiplier: '2', active: true } }, shop.apiKey);
    live = await Promise.all([newMember(gw, shop), newMember(gw, shop)]);
    filed = await Promise.all([newMember(gw, shop), newMember(gw, shop)]);
  });

  it('writes each row as the same earn made with earnPoints: points, breakdowns, tiers, balances, events', async () => {
    // After the partner's rate was set (an earn made before any rate would be RATE_NOT_SET).
    const occurredAt = new Date().toISOString();
    for (const [i, m] of live.entries()) {
      for (const amount of amounts) {
        const items = i === 0 ? [{ sku: 'LATTE', category: 'coffee', quantity: 2, amount: '30.00' }] : null;
        const input = earnInput(m, amount, { channel: 'IN_STORE', ...(items && amount === '30.00' ? { items } : {}) });
        await gw.ok(EarnPointsDocument, { input }, shop.apiKey);
      }
    }
    const rows = filed.flatMap((m, i) =>
      amounts.map((amount) => [
        i === 0 ? m.id : m.email,
        amount,
        'MYR',
        'IN_STORE',
        uniq('till'),
        occurredAt,
        i === 0 && amount === '30.00' ? `"${ITEMS}"` : '',
      ]),
    );
    const r = await upload(gw, '/imports/earns', csv(HEADER, rows), shop.apiKey);
    expect(r.status).toBe(202);
    const job = await finished(gw, r.body.importId!, shop.apiKey);
    expect(job).toMatchObject({ kind: 'EARNS', status: 'SUCCEEDED', rowsTotal: 8, rowsDone: 8, rowsFailed: 0 });
    for (const i of [0, 1]) {
      const [a, b] = [await books(live[i]!.id), await books(filed[i]!.id)];
      expect(b).toEqual(a);
    }
  });

  it('credits nothing new for the same file twice, and reports those rows as already recorded', async () => {
    const at = new Date().toISOString();
    const file = csv(HEADER, [
      [filed[0]!.id, '10.00', 'MYR', 'ONLINE', uniq('dup'), at, ''],
      [filed[1]!.email, '20.00', 'MYR', 'ONLINE', uniq('dup'), at, ''],
    ]);
    expect(await finished(gw, (await upload(gw, '/imports/earns', file, shop.apiKey)).body.importId!)).toMatchObject({ rowsDone: 2 });
    const before = await books(filed[0]!.id);
    const again = await finished(gw, (await upload(gw, '/imports/earns', file, shop.apiKey)).body.importId!);
    expect(again).toMatchObject({ status: 'SUCCEEDED', rowsDone: 0, rowsFailed: 2 });
    expect(again.errors.edges.map((e) => [e.node.row, e.node.code, e.node.field])).toEqual([
      [1, 'ALREADY_RECORDED', 'externalRef'],
      [2, 'ALREADY_RECORDED', 'externalRef'],
    ]);
    expect(await books(filed[0]!.id)).toEqual(before);
  });

  it('reports bad rows and writes the rest', async () => {
    const now = Date.now();
    const at = new Date(now).toISOString();
    const file = csv(HEADER, [
      [filed[0]!.id, '10.00', 'MYR', 'ONLINE', uniq('ok'), at, ''],
      ['nobody@example.com', '10.00', 'MYR', 'ONLINE', uniq('x'), at, ''],
      [filed[0]!.id, '-3', 'MYR', 'ONLINE', uniq('x'), at, ''],
      [filed[0]!.id, '10.00', 'IDR', 'ONLINE', uniq('x'), at, ''],
      [filed[0]!.id, '10.00', 'MYR', 'ONLINE', uniq('x'), new Date(now - 30 * 86_400_000).toISOString(), ''],
      [filed[0]!.id, '10.00', 'MYR', 'BY_PIGEON', uniq('x'), at, ''],
      [filed[0]!.id, '10.00', 'MYR', 'ONLINE', uniq('x'), new Date(now + 86_400_000).toISOString(), ''],
    ]);
    const job = await finished(gw, (await upload(gw, '/imports/earns', file, shop.apiKey)).body.importId!);
    expect(job).toMatchObject({ status: 'SUCCEEDED', rowsTotal: 7, rowsDone: 1, rowsFailed: 6 });
    expect(job.errors.edges.map((e) => [e.node.row, e.node.code, e.node.field])).toEqual([
      [2, 'NOT_FOUND', 'member'],
      [3, 'BAD_USER_INPUT', 'amount'],
      [4, 'BAD_USER_INPUT', 'currencyCode'],
      [5, 'BAD_USER_INPUT', 'occurredAt'],
      [6, 'BAD_USER_INPUT', 'channel'],
      [7, 'BAD_USER_INPUT', 'occurredAt'],
    ]);
  });

  it('earns at the rate in force when the purchase was made, not at the rate of the day it is filed', async () => {
    const fuel = await newPartner(gw, { currencyCode: 'MYR', earnRate: '1', burnRate: '0.01' });
    const driver = await newMember(gw, fuel);
    await new Promise((r) => setTimeout(r, 20));
    const beforeChange = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 20));
    await gw.ok(SetExchangeRateDocument, { input: { partnerId: fuel.id, earnRate: '3', burnRate: '0.01' } }, gw.adminToken);
    const file = csv(HEADER, [
      [driver.id, '100.00', 'MYR', 'IN_STORE', uniq('pump'), beforeChange, ''],
      [driver.id, '100.00', 'MYR', 'IN_STORE', uniq('pump'), new Date().toISOString(), ''],
    ]);
    expect(await finished(gw, (await upload(gw, '/imports/earns', file, fuel.apiKey)).body.importId!)).toMatchObject({ rowsDone: 2 });
    const rows = await gw.sql(
      `SELECT t.points, r.version FROM ledger_transaction t JOIN exchange_rate r ON r.id = t.exchange_rate_id WHERE t.member_id = $1 ORDER BY t.seq`,
      [driver.id],
    );
    expect(rows).toEqual([
      { points: 100, version: 1 },
      { points: 300, version: 2 },
    ]);
  });

  it('fails a file without a required column, nothing written', async () => {
    const before = await gw.sql(`SELECT count(*)::int AS n FROM ledger_transaction`);
    const file = csv(['member', 'amount', 'currencyCode'], [[filed[0]!.id, '10.00', 'MYR']]);
    const job = await finished(gw, (await upload(gw, '/imports/earns', file, shop.apiKey)).body.importId!);
    expect(job).toMatchObject({ status: 'FAILED', rowsDone: 0 });
    expect(job.errors.edges[0]!.node).toMatchObject({ code: 'IMPORT_FILE_INVALID', field: 'externalRef' });
    expect(await gw.sql(`SELECT count(*)::int AS n FROM ledger_transaction`)).toEqual(before);
  });
});
