// Settlement's whole days come from the per-day aggregates, its edge days from the raw rows. Over a
// history of earns, bonuses, adjustments, redemptions, payments, reversals (of earns, redemptions
// and payments: the kinds that can be reversed), expiries and rate changes spread across several
// days, the aggregate path gives exactly what reading every transaction gives: day-aligned periods and periods with partial edge days, coalition-wide and
// per partner, before and after more activity lands (the rollup is incremental).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AdjustPointsDocument,
  CreateSurveyDocument,
  PayWithPointsDocument,
  RedeemRewardDocument,
  ReverseTransactionDocument,
  SetExchangeRateDocument,
  SetPaymentSettingsDocument,
  SetProgramSettingsDocument,
  SubmitSurveyResponseDocument,
} from './generated/graphql';
import { startTestGateway, TestGateway } from './support/gateway';
import { earn, newMember, newPartner, newReward, rewriteLedgerHistory, TestMember, TestPartner, uniq } from './support/factories';
import { expirePoints } from '../src/modules/lifecycle/expiry';
import { RATE_VERSIONS_LOCK } from '../src/modules/exchange-rate/exchange-rate.service';
import { rollUpSettlement } from '../src/modules/settlement/settlement-rollup';

const DAY = 86_400_000;
const HOUR = 3_600_000;

let gw: TestGateway;
let cafe: TestPartner;
let airline: TestPartner;
let day0: number; // the first (UTC midnight) day of the moved history

async function activity(members: TestMember[]) {
  const [a, b, c] = members as [TestMember, TestMember, TestMember];
  const first = await earn(gw, cafe, a, '1000.00');
  await earn(gw, airline, c, '900000');
  await gw.ok(SetExchangeRateDocument, { input: { partnerId: cafe.id, earnRate: '2', burnRate: '0.013' } }, gw.adminToken);
  await earn(gw, cafe, b, '333.33');
  await earn(gw, cafe, a, '77.77');
  const adjust = (m: TestMember, points: number, partnerId?: string) =>
    gw.ok(
      AdjustPointsDocument,
      { input: { memberId: m.id, points, reason: 'goodwill', idempotencyKey: uniq('adj'), ...(partnerId ? { partnerId } : {}) } },
      gw.adminToken,
    );
  await adjust(a, 120);
  await adjust(b, 45, cafe.id);
  await adjust(c, -30);
  const { createSurvey } = await gw.ok(CreateSurveyDocument, { input: { kind: 'CSAT', question: uniq('Happy?'), bonusPoints: 25 } }, cafe.apiKey);
  await gw.ok(SubmitSurveyResponseDocument, { input: { surveyId: createSurvey.id, memberId: b.id, score: 4, idempotencyKey: uniq('s') } }, b.token);
  await gw.ok(SetExchangeRateDocument, { input: { partnerId: airline.id, earnRate: '0.001', burnRate: '41.5' } }, gw.adminToken);
  const seat = await newReward(gw, airline, { pointsCost: 700 });
  const redeem = async (m: TestMember) =>
    (await gw.ok(RedeemRewardDocument, { input: { memberId: m.id, rewardId: seat.id, idempotencyKey: uniq('r') } }, m.token)).redeemReward.transaction;
  const r1 = await redeem(a);
  await redeem(c);
  const pay = async (m: TestMember, points: number) =>
    (
      await gw.ok(
        PayWithPointsDocument,
        { input: { memberId: m.id, points, billAmount: '50.00', currencyCode: 'MYR', externalRef: uniq('rc'), idempotencyKey: uniq('p') } },
        cafe.apiKey,
      )
    ).payWithPoints.transaction;
  const p1 = await pay(b, 200);
  await pay(a, 90);
  const reverse = (id: string, by: string, points?: number) =>
    gw.ok(ReverseTransactionDocument, { input: { transactionId: id, idempotencyKey: uniq('rev'), ...(points ? { points } : {}) } }, by);
  for (const [id, by, points] of [
    [r1.id, airline.apiKey],
    [p1.id, cafe.apiKey],
    [first.id, cafe.apiKey, 150],
  ] as [string, string, number?][]) {
    await reverse(id, by, points);
  }
  await gw.ok(SetExchangeRateDocument, { input: { partnerId: cafe.id, earnRate: '2', burnRate: '0.0175' } }, gw.adminToken);
  await earn(gw, cafe, c, '12.34');
}

async function compare(from: number, to: number) {
  const s = gw.services.settlement;
  const [f, t] = [new Date(from), new Date(to)];
  for (const partnerId of [null, cafe.id, airline.id, gw.services.coalition.partnerId]) {
    expect(await s.lines(f, t, partnerId), `lines ${f.toISOString()}..${t.toISOString()} ${partnerId}`).toEqual(
      await s.lines(f, t, partnerId, undefined, { fromRawRows: true }),
    );
    expect(await s.matrix(f, t, partnerId), `matrix ${f.toISOString()}..${t.toISOString()} ${partnerId}`).toEqual(
      await s.matrix(f, t, partnerId, undefined, { fromRawRows: true }),
    );
  }
}

function periods(): [number, number][] {
  return [
    [day0, day0 + 8 * DAY], // whole days only
    [day0 + DAY, day0 + 3 * DAY],
    [day0 + 7 * HOUR, day0 + 3 * DAY + 13 * HOUR], // partial edges
    [day0 + 2 * DAY - 1, day0 + 4 * DAY + 1],
    [day0 + DAY + HOUR, day0 + DAY + 20 * HOUR], // inside one day
    [day0 - 3 * DAY, day0 + 9 * DAY + 5 * HOUR],
  ];
}

beforeAll(async () => {
  gw = await startTestGateway();
  await gw.ok(SetPaymentSettingsDocument, { input: { maxPointsPaymentShare: '1', minPointsPerPayment: 1 } }, gw.adminToken);
  await gw.ok(SetProgramSettingsDocument, { input: { pointsExpireAfterMonths: 12 } }, gw.adminToken);
  cafe = await newPartner(gw, { currencyCode: 'MYR', earnRate: '1', burnRate: '0.01' });
  airline = await newPartner(gw, { currencyCode: 'IDR', earnRate: '0.001', burnRate: '35' });
  const members = [await newMember(gw, cafe), await newMember(gw, cafe), await newMember(gw, airline)];
  await activity(members);
  // Everything left expires (the job's clock a year and a half on), then the history is spread
  // over the days after tomorrow, 5 h apart, in order (rates stay in force where they were).
  await expirePoints(gw.db, new Date(Date.now() + 540 * DAY));
  day0 = Math.ceil(Date.now() / DAY) * DAY + DAY;
  await rewriteLedgerHistory(
    gw,
    `UPDATE ledger_transaction t SET created_at = to_timestamp($1::bigint / 1000.0) + (s.n * interval '5 hours')
       FROM (SELECT id, row_number() OVER (ORDER BY created_at, seq) AS n FROM ledger_transaction) s WHERE s.id = t.id`,
    [day0 + 2 * HOUR],
  );
});
afterAll(() => gw?.stop());

describe('settlement from the per-day aggregates', () => {
  it('equals the raw rows for aligned and partial periods, coalition-wide and per partner', async () => {
    const whole = await gw.services.settlement.lines(new Date(day0), new Date(day0 + 10 * DAY), null, undefined, { fromRawRows: true });
    const cafeLine = whole.find((l) => l.partnerId === cafe.id)!;
    // The history is not trivial: something issued, honoured, expired and flowing, on several days.
    expect(cafeLine.pointsIssued).toBeGreaterThan(0);
    expect(cafeLine.pointsRedeemed).toBeGreaterThan(0);
    expect(whole.some((l) => l.pointsExpired > 0)).toBe(true);
    for (const [from, to] of periods()) await compare(from, to);
    const [{ days }] = await gw.sql<{ days: number }>(`SELECT count(DISTINCT day)::int AS days FROM settlement_partner_day`);
    expect(days).toBeGreaterThan(3);
    expect((await gw.services.settlement.matrix(new Date(day0), new Date(day0 + 10 * DAY), null)).length).toBeGreaterThan(0);
  });

  it('stays exact as more activity lands after a rollup', async () => {
    const members = [await newMember(gw, cafe), await newMember(gw, cafe), await newMember(gw, airline)];
    await activity(members);
    const today = Math.floor(Date.now() / DAY) * DAY;
    for (const [from, to] of [...periods(), [today, day0 + 10 * DAY], [Date.now() - HOUR, day0 + 2 * DAY + HOUR], [today - DAY, today + DAY]] as [
      number,
      number,
    ][]) {
      await compare(from, to);
    }
    const all = await gw.services.settlement.lines(new Date(today), new Date(today + DAY), cafe.id);
    expect(all[0]!.pointsIssued).toBeGreaterThan(0);
  });

  // A version uncommitted while a rollup folds transactions it applies to would leave the
  // aggregates valuing them at the older rate for good. Each side of the lock, held by hand.
  it('a rollup waits for an exchange-rate version in flight, and a version begun during a rollup is stamped after it', async () => {
    const settled = async (p: Promise<unknown>) => Promise.race([p.then(() => true), new Promise((r) => setTimeout(() => r(false), 400))]);
    const held = await gw.db.connect();
    try {
      // A rate change in flight: the rollup must not take its snapshot until it ends.
      await held.query(`BEGIN; SELECT pg_advisory_xact_lock_shared(${RATE_VERSIONS_LOCK})`);
      const rollup = rollUpSettlement(gw.db);
      expect(await settled(rollup)).toBe(false);
      await held.query('COMMIT');
      await rollup;

      // A rollup in progress: the rate change waits, then is stamped after the rollup's end.
      await held.query(`BEGIN; SELECT pg_advisory_xact_lock(${RATE_VERSIONS_LOCK})`);
      const change = gw.ok(SetExchangeRateDocument, { input: { partnerId: airline.id, earnRate: '0.001', burnRate: '36.5' } }, gw.adminToken);
      expect(await settled(change)).toBe(false);
      const { rows } = await held.query<{ at: Date }>(`SELECT clock_timestamp() AS at`);
      await held.query('COMMIT');
      const { setExchangeRate } = await change;
      const [stamped] = await gw.sql<{ createdAt: Date }>(`SELECT created_at AS "createdAt" FROM exchange_rate WHERE id = $1`, [setExchangeRate.id]);
      expect(stamped!.createdAt.getTime()).toBeGreaterThan(rows[0]!.at.getTime());
    } finally {
      await held.query('ROLLBACK').catch(() => undefined);
      held.release();
    }
  });
});
