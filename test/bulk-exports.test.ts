// CSV exports over plain HTTP, parsed back with a CSV library: what finance downloads.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { CloseSettlementPeriodDocument, RedeemRewardDocument } from './generated/graphql';
import { startTestGateway, TestGateway } from './support/gateway';
import { earn, newMember, newPartner, newReward, TestPartner, uniq } from './support/factories';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw?.stop());

const base = () => gw.url.replace(/\/graphql$/, '');
async function download(path: string, token: string | null) {
  const res = await fetch(`${base()}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type'), text, rows: res.ok ? (parse(text, { columns: true }) as Record<string, string>[]) : [] };
}

describe('exports', () => {
  let cafe: TestPartner;
  let airline: TestPartner;
  let from: string;
  let to: string;
  let earnId: string;

  beforeAll(async () => {
    from = new Date(Date.now() - 1000).toISOString();
    cafe = await newPartner(gw, { currencyCode: 'MYR', earnRate: '1', burnRate: '0.01' });
    airline = await newPartner(gw, { currencyCode: 'IDR', earnRate: '0.001', burnRate: '35' });
    const member = await newMember(gw, cafe);
    earnId = (await earn(gw, cafe, member, '1234.56')).id;
    const seat = await newReward(gw, airline, { pointsCost: 200 });
    await gw.ok(RedeemRewardDocument, { input: { memberId: member.id, rewardId: seat.id, idempotencyKey: uniq('r') } }, member.token);
    await new Promise((r) => setTimeout(r, 20));
    to = new Date().toISOString();
  });

  it('gives a partner its own transactions, with exact money and UTC times', async () => {
    const r = await download(`/exports/transactions.csv?from=${from}&to=${to}`, cafe.apiKey);
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^text\/csv/);
    expect(r.text.split('\n')[0]).toBe(
      'id,createdAt,type,partnerId,memberId,points,balanceAfter,purchaseAmount,purchaseCurrency,channel,externalRef,exchangeRateVersion,reversesId',
    );
    expect(r.rows).toHaveLength(1);
    expect(r.rows[0]).toMatchObject({
      id: earnId,
      type: 'EARN',
      partnerId: cafe.id,
      points: '1234',
      purchaseAmount: '1234.56',
      purchaseCurrency: 'MYR',
      exchangeRateVersion: '1',
    });
    expect(r.rows[0]!.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('gives an admin every partner, or the one it names', async () => {
    const all = await download(`/exports/transactions.csv?from=${from}&to=${to}`, gw.adminToken);
    expect(all.rows.map((x) => x.partnerId)).toEqual(expect.arrayContaining([cafe.id, airline.id]));
    const one = await download(`/exports/transactions.csv?from=${from}&to=${to}&partnerId=${airline.id}`, gw.adminToken);
    expect(one.rows.map((x) => [x.type, x.points])).toEqual([['REDEEM', '-200']]);
  });

  it('refuses what GraphQL refuses, with a code', async () => {
    const other = await download(`/exports/transactions.csv?from=${from}&to=${to}&partnerId=${airline.id}`, cafe.apiKey);
    expect(other.status).toBe(403);
    expect(JSON.parse(other.text).error).toMatchObject({ code: 'FORBIDDEN', field: 'partnerId' });
    expect((await download(`/exports/transactions.csv?from=${from}&to=${to}`, null)).status).toBe(401);
    const member = await newMember(gw, cafe);
    expect((await download(`/exports/transactions.csv?from=${from}&to=${to}`, member.token)).status).toBe(403);
    const bad = await download(`/exports/transactions.csv?from=yesterday&to=${to}`, cafe.apiKey);
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text).error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'from' });
  });

  it('streams a closed period as its statement: lines and flows', async () => {
    const { closeSettlementPeriod: s } = await gw.ok(CloseSettlementPeriodDocument, { from, to, key: uniq('close') }, gw.adminToken);
    const r = await download(`/exports/settlement/${s.id}.csv`, gw.adminToken);
    expect(r.status).toBe(200);
    expect(r.rows.find((x) => x.kind === 'LINE' && x.partnerId === cafe.id)).toMatchObject({
      currencyCode: 'MYR',
      pointsIssued: '1234',
      owedByPartner: '12.34',
      net: '-12.34',
      from,
      to,
    });
    expect(r.rows.filter((x) => x.kind === 'FLOW')).toContainEqual(
      expect.objectContaining({ issuerId: cafe.id, redeemerId: airline.id, points: '200', value: '7000', currencyCode: 'IDR' }),
    );
    const mine = await download(`/exports/settlement/${s.id}.csv`, airline.apiKey);
    expect(new Set(mine.rows.filter((x) => x.kind === 'LINE').map((x) => x.partnerId))).toEqual(new Set([airline.id]));
    expect((await download(`/exports/settlement/00000000-0000-4000-8000-000000000000.csv`, gw.adminToken)).status).toBe(404);
  });
});
