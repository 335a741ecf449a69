// programMetrics over a small known history: three partners (MYR, THB, IDR), seven members, two
// ten-day periods of purchases, a redemption, survey answers and a consent, built through the real
// API and then moved to known dates. Every figure is worked out by hand below and compared exactly.
// The guides' own examples (retention and churn) are reproduced on the aggregates too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateSurveyDocument,
  EarnPointsDocument,
  GrantPartnerConsentDocument,
  ProgramMetricsDocument,
  RedeemRewardDocument,
  SubmitSurveyResponseDocument,
} from './generated/graphql';
import { startTestGateway, TestGateway } from './support/gateway';
import { earnInput, newMember, newPartner, newReward, newStaff, rewriteLedgerHistory, TestMember, TestPartner, uniq } from './support/factories';
import { churnRate, retentionRate } from '../src/modules/insight/metrics';

let gw: TestGateway;
let A: TestPartner; // MYR, 1 point per ringgit
let B: TestPartner; // THB, 0.5 point per baht
let C: TestPartner; // IDR, 0.01 point per rupiah
const m: TestMember[] = [];

const tx: [string, string][] = []; // [transaction id, when]
const enrolled: [string, string][] = []; // [member id, when]
const responses: [string, string][] = []; // [response id, when]
const consents: [string, string, string][] = []; // [member id, partner id, when]

async function purchase(
  p: TestPartner,
  member: TestMember,
  amount: string,
  at: string,
  items?: { sku: string; quantity: number; amount: string; upsell?: boolean }[],
) {
  const { earnPoints } = await gw.ok(
    EarnPointsDocument,
    { input: earnInput(member, amount, { currencyCode: p.currencyCode, ...(items ? { items } : {}) }) },
    p.apiKey,
  );
  tx.push([earnPoints.id, at]);
}

async function answer(surveyId: string, member: TestMember, score: number, at: string) {
  const { submitSurveyResponse: r } = await gw.ok(
    SubmitSurveyResponseDocument,
    { input: { surveyId, memberId: member.id, score, idempotencyKey: uniq('answer') } },
    member.token,
  );
  responses.push([r.id, at]);
  if (r.transaction) tx.push([r.transaction.id, at]);
}

beforeAll(async () => {
  gw = await startTestGateway();
  A = await newPartner(gw, { currencyCode: 'MYR', earnRate: '1' });
  B = await newPartner(gw, { currencyCode: 'THB', earnRate: '0.5' });
  C = await newPartner(gw, { currencyCode: 'IDR', earnRate: '0.01' });
  const enrol = async (p: TestPartner, at: string) => {
    const member = await newMember(gw, p);
    enrolled.push([member.id, at]);
    m.push(member);
    return member;
  };
  const [m1, m2, m3, m4, m5, m6] = [
    await enrol(A, '2025-01-01T00:00:00Z'),
    await enrol(A, '2025-01-01T00:00:00Z'),
    await enrol(B, '2025-02-01T00:00:00Z'),
    await enrol(B, '2025-03-05T00:00:00Z'),
    await enrol(C, '2025-03-12T00:00:00Z'),
    await enrol(A, '2025-03-15T00:00:00Z'),
  ];
  await enrol(C, '2025-04-01T00:00:00Z'); // m7: enrolled after the period, counted nowhere

  const survey = async (kind: 'NPS' | 'CSAT' | 'CES' | 'REPURCHASE', bonusPoints: number) =>
    (await gw.ok(CreateSurveyDocument, { input: { kind, question: `${kind}?`, bonusPoints } }, gw.adminToken)).createSurvey.id;
  const [nps, csat, ces, repurchase] = [await survey('NPS', 10), await survey('CSAT', 0), await survey('CES', 0), await survey('REPURCHASE', 0)];

  // The previous period, [2025-03-01, 2025-03-11): m1, m2, m3 buy; m4 answers the NPS survey.
  await purchase(A, m1!, '100.00', '2025-03-02T10:00:00Z');
  await purchase(A, m2!, '50.00', '2025-03-03T10:00:00Z');
  await purchase(B, m3!, '200.00', '2025-03-04T10:00:00Z');
  await answer(nps, m4!, 9, '2025-03-06T10:00:00Z');

  // This period, [2025-03-11, 2025-03-21).
  await purchase(A, m1!, '100.00', '2025-03-12T10:00:00Z', [
    { sku: 'kopi', quantity: 1, amount: '60.00' },
    { sku: 'kopi-large', quantity: 1, amount: '40.00', upsell: true },
  ]);
  await purchase(B, m1!, '300.00', '2025-03-13T10:00:00Z');
  await purchase(B, m3!, '100.00', '2025-03-14T10:00:00Z', [
    { sku: 'shirt', quantity: 1, amount: '80.00' },
    { sku: 'scarf', quantity: 1, amount: '20.00', upsell: true },
  ]);
  const reward = await newReward(gw, B, { pointsCost: 50 });
  const { redeemReward } = await gw.ok(RedeemRewardDocument, { input: { memberId: m3!.id, rewardId: reward.id, idempotencyKey: uniq('redeem') } }, m3!.token);
  tx.push([redeemReward.transaction.id, '2025-03-15T10:00:00Z']);
  await purchase(C, m5!, '10000', '2025-03-16T10:00:00Z');
  await answer(nps, m1!, 10, '2025-03-17T10:00:00Z');
  await answer(csat, m1!, 3, '2025-03-17T11:00:00Z');
  await answer(repurchase, m1!, 9, '2025-03-17T12:00:00Z');
  await answer(nps, m3!, 6, '2025-03-18T10:00:00Z');
  await answer(ces, m3!, 6, '2025-03-18T11:00:00Z');
  await answer(repurchase, m3!, 7, '2025-03-18T12:00:00Z');
  await answer(nps, m5!, 8, '2025-03-19T10:00:00Z');
  await answer(csat, m5!, 5, '2025-03-19T11:00:00Z');
  // m6 buys nothing but lets B see its data: an engagement, not activity.
  await gw.ok(GrantPartnerConsentDocument, { memberId: m6!.id, partnerId: B.id }, m6!.token);
  consents.push([m6!.id, B.id, '2025-03-18T09:00:00Z']);

  // Move everything to its date (the ledger is append-only: only a test may do this, before the first rollup).
  const col = <T>(rows: T[][], i: number) => rows.map((r) => r[i]);
  await rewriteLedgerHistory(
    gw,
    `WITH t AS (UPDATE ledger_transaction l SET created_at = x.at FROM unnest($1::uuid[], $2::timestamptz[]) AS x(id, at) WHERE l.id = x.id),
          mb AS (UPDATE member u SET enrolled_at = x.at FROM unnest($3::uuid[], $4::timestamptz[]) AS x(id, at) WHERE u.id = x.id),
          r AS (UPDATE survey_response u SET created_at = x.at FROM unnest($5::uuid[], $6::timestamptz[]) AS x(id, at) WHERE u.id = x.id)
     UPDATE member_partner_consent u SET granted_at = x.at FROM unnest($7::uuid[], $8::uuid[], $9::timestamptz[]) AS x(member_id, partner_id, at)
      WHERE u.member_id = x.member_id AND u.partner_id = x.partner_id`,
    [col(tx, 0), col(tx, 1), col(enrolled, 0), col(enrolled, 1), col(responses, 0), col(responses, 1), col(consents, 0), col(consents, 1), col(consents, 2)],
  );
});
afterAll(() => gw?.stop());

const period = { from: '2025-03-11T00:00:00.000Z', to: '2025-03-21T00:00:00.000Z' };

describe('programMetrics on a known history', () => {
  it('coalition-wide: every figure as worked out by hand', async () => {
    const { programMetrics } = await gw.ok(ProgramMetricsDocument, period, gw.adminToken);
    expect(programMetrics).toEqual({
      ...period,
      partner: null,
      // m1–m6 enrolled by the 21st (m7 only in April); m5 and m6 in the period.
      members: 6,
      newMembers: 2,
      // Active now: m1, m3, m5 (purchases, a redemption, answers). Before: m1, m2, m3, m4.
      activeMembers: 3,
      // S = 4, E = 3, N = 1 (m5): (3 − 1) / 4.
      retentionRate: '0.5',
      // Lost m2 and m4: 2 / 4.
      churnRate: '0.5',
      // Purchasers m1 (twice), m3, m5: 1 / 3.
      repeatPurchaseRate: '0.3333',
      participationRate: '0.5',
      // m1, m3, m5 answered (m3 also redeemed), m6 granted a consent: 4 / 6.
      activeEngagementRate: '0.6667',
      // At the earn rates: A 100 × 1, B (300 + 100) × 0.5, C 10000 × 0.01 = 400; upsell 40 × 1 + 20 × 0.5 = 50.
      upsellRatio: '0.125',
      // m1 bought at A and B: 1 / 3.
      crossPartnerRate: '0.3333',
      // Issued 100 + 150 + 50 + 100 + three NPS bonuses of 10 = 430; redeemed 50: 50 / 430 = 0.11627…
      redemptionRate: '0.1163',
      pointsIssued: 430,
      pointsRedeemed: 50,
      pointsExpired: 0,
      // Before: 100 + 50 + 100 + 10; now + 430 − 50.
      pointsOutstanding: 640,
      // NPS 10, 6, 8: one promoter, one detractor of three.
      netPromoterScore: '0',
      // CSAT 3 and 5: one of two scores 4 or 5.
      customerSatisfactionScore: '0.5',
      customerEffortScore: '6',
      // Means NPS 8, REPURCHASE 8, CSAT 4: (8 + 8 + 3 × 2.5) / 3 = 7.83333…
      customerLoyaltyIndex: '7.8333',
      // revenue / purchasers × (members' average days of membership at the 21st / the period's 10 days):
      //   IDR m5: 10000 × 9 / 10; MYR m1: 100 × 79 / 10; THB m1 and m3: 400 / 2 × ((79 + 48) / 2) / 10.
      customerLifetimeValue: [
        { amount: '9000', currencyCode: 'IDR' },
        { amount: '790.00', currencyCode: 'MYR' },
        { amount: '1270.00', currencyCode: 'THB' },
      ],
    });
  });

  it("one partner: its members' activity there", async () => {
    const { programMetrics } = await gw.ok(ProgramMetricsDocument, { ...period, partnerId: B.id }, gw.adminToken);
    expect(programMetrics).toEqual({
      ...period,
      partner: { id: B.id },
      // Enrolled at B: m3, m4; first contact in the period: m1 (a purchase), m6 (a consent).
      members: 4,
      newMembers: 2,
      // Active at B now: m1, m3; before: m3 (answers are the coalition's, not B's).
      activeMembers: 2,
      retentionRate: '1',
      churnRate: '0',
      repeatPurchaseRate: '0',
      participationRate: '0.5',
      // m3 redeemed, m6 consented: 2 / 4.
      activeEngagementRate: '0.5',
      // 20 × 0.5 of (300 + 100) × 0.5.
      upsellRatio: '0.05',
      // m1 also bought at A.
      crossPartnerRate: '0.5',
      redemptionRate: '0.25',
      pointsIssued: 200,
      pointsRedeemed: 50,
      pointsExpired: 0,
      pointsOutstanding: 250,
      netPromoterScore: null,
      customerSatisfactionScore: null,
      customerEffortScore: null,
      customerLoyaltyIndex: null,
      customerLifetimeValue: [{ amount: '1270.00', currencyCode: 'THB' }],
    });
  });

  it('the previous period seen on its own', async () => {
    const { programMetrics } = await gw.ok(ProgramMetricsDocument, { from: '2025-03-01T00:00:00.000Z', to: '2025-03-11T00:00:00.000Z' }, gw.adminToken);
    expect(programMetrics).toMatchObject({
      members: 4,
      newMembers: 1,
      activeMembers: 4,
      // Nobody was active in the ten days before.
      retentionRate: null,
      churnRate: null,
      repeatPurchaseRate: '0',
      participationRate: '1',
      activeEngagementRate: '0.25',
      upsellRatio: '0',
      crossPartnerRate: '0',
      pointsIssued: 260,
      pointsRedeemed: 0,
      redemptionRate: '0',
      netPromoterScore: '100',
      customerLoyaltyIndex: null,
      pointsOutstanding: 260,
    });
  });

  it('a period with no data: counts 0, every rate null', async () => {
    const { programMetrics } = await gw.ok(ProgramMetricsDocument, { from: '2024-01-01T00:00:00.000Z', to: '2024-02-01T00:00:00.000Z' }, gw.adminToken);
    const { from: _f, to: _t, partner: _p, customerLifetimeValue, ...rest } = programMetrics;
    expect(customerLifetimeValue).toEqual([]);
    for (const [field, value] of Object.entries(rest)) expect(value, field).toEqual(typeof value === 'number' ? 0 : null);
  });

  it('a later earn is in the next answer (the rollup is incremental), the history unchanged', async () => {
    const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
    const now = { from: new Date(today).toISOString(), to: new Date(today + 86_400_000).toISOString() };
    const before = (await gw.ok(ProgramMetricsDocument, now, gw.adminToken)).programMetrics;
    await gw.ok(EarnPointsDocument, { input: earnInput(m[1]!, '7.00', { currencyCode: 'MYR' }) }, A.apiKey);
    const after = (await gw.ok(ProgramMetricsDocument, now, gw.adminToken)).programMetrics;
    expect(after.pointsIssued - before.pointsIssued).toBe(7);
    expect(after.activeMembers - before.activeMembers).toBe(1);
    expect((await gw.ok(ProgramMetricsDocument, period, gw.adminToken)).programMetrics.pointsIssued).toBe(430);
  });

  it('a transaction that started before a rollup and commits after it is counted by the next one, once', async () => {
    const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
    const now = { from: new Date(today).toISOString(), to: new Date(today + 86_400_000).toISOString() };
    const before = (await gw.ok(ProgramMetricsDocument, now, gw.adminToken)).programMetrics;
    const slow = await gw.db.connect();
    try {
      // Its transaction id is older than the earn's below, but it commits after a rollup has run.
      await slow.query('BEGIN');
      await slow.query('SELECT pg_current_xact_id()');
      await gw.ok(EarnPointsDocument, { input: earnInput(m[0]!, '3.00', { currencyCode: 'MYR' }) }, A.apiKey);
      const during = (await gw.ok(ProgramMetricsDocument, now, gw.adminToken)).programMetrics;
      expect([during.pointsIssued - before.pointsIssued, during.members - before.members]).toEqual([3, 0]);
      await slow.query(
        `INSERT INTO member (email, display_name, tier_id, enrolled_by_partner) VALUES ($1, 'Late', (SELECT id FROM tier ORDER BY rank LIMIT 1), $2)`,
        [`${uniq('late')}@example.com`, A.id],
      );
      await slow.query('COMMIT');
    } finally {
      slow.release();
    }
    const after = (await gw.ok(ProgramMetricsDocument, now, gw.adminToken)).programMetrics;
    expect([after.pointsIssued - before.pointsIssued, after.members - before.members, after.newMembers - before.newMembers]).toEqual([3, 1, 1]);
    const again = (await gw.ok(ProgramMetricsDocument, now, gw.adminToken)).programMetrics;
    expect(again).toEqual(after);
  });

  it('refuses periods that are not whole UTC days, and partners asking for another partner', async () => {
    for (const [vars, field] of [
      [{ from: '2025-03-11T01:00:00Z', to: '2025-03-21T00:00:00Z' }, 'from'],
      [{ from: '2025-03-11T00:00:00Z', to: '2025-03-21T00:00:00.5Z' }, 'to'],
      [{ from: '2025-03-11T00:00:00Z', to: '2025-03-11T00:00:00Z' }, 'to'],
      [{ from: '2015-03-11T00:00:00Z', to: '2025-03-11T00:00:00Z' }, 'to'],
    ] as const) {
      const r = await gw.gql(ProgramMetricsDocument, vars, gw.adminToken);
      expect(r.errors?.[0]?.extensions, JSON.stringify(vars)).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    const other = await gw.gql(ProgramMetricsDocument, { ...period, partnerId: B.id }, A.apiKey);
    expect(other.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const own = await gw.ok(ProgramMetricsDocument, period, B.apiKey);
    expect(own.programMetrics.partner).toEqual({ id: B.id });
    expect(own.programMetrics.pointsIssued).toBe(200);
    const support = await newStaff(gw, ['SUPPORT']);
    expect((await gw.gql(ProgramMetricsDocument, period, support.token)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const finance = await newStaff(gw, ['FINANCE']);
    expect((await gw.ok(ProgramMetricsDocument, period, finance.token)).programMetrics.pointsIssued).toBe(430);
  });
});

describe("the guides' examples", () => {
  it('150 at the start, 30 new, 162 at the end: retention 88 %; 600 → 550: churn 8.3 %', () => {
    expect(retentionRate(150, 162, 30)).toBe('0.88');
    expect(churnRate(600, 50)).toBe('0.0833');
  });

  it('the same figures from member-day activity: 150 active before, 162 now of whom 30 new', async () => {
    const p = await newPartner(gw);
    // Members 1–150 active in the previous ten days; 19–180 now (162, of whom 151–180 are new): 18 lost.
    await gw.sql(
      `INSERT INTO insight_member_day (member_id, partner_id, day, purchases, enrolled_at)
       SELECT md5(i::text)::uuid, $1::uuid, d, 1, '2020-01-01'::timestamptz FROM generate_series(1, 150) i, (VALUES ('2020-01-05'::date)) v(d)
       UNION ALL
       SELECT md5(i::text)::uuid, $1::uuid, '2020-01-15'::date, 1, '2020-01-01'::timestamptz FROM generate_series(19, 180) i`,
      [p.id],
    );
    const { programMetrics } = await gw.ok(
      ProgramMetricsDocument,
      { from: '2020-01-11T00:00:00Z', to: '2020-01-21T00:00:00Z', partnerId: p.id },
      gw.adminToken,
    );
    expect(programMetrics).toMatchObject({ activeMembers: 162, retentionRate: '0.88', churnRate: '0.12' });

    // 600 active before, 550 of them still active now (and none new): churn 50 / 600.
    const q = await newPartner(gw);
    await gw.sql(
      `INSERT INTO insight_member_day (member_id, partner_id, day, purchases, enrolled_at)
       SELECT md5('q' || i)::uuid, $1::uuid, '2020-01-05'::date, 1, '2020-01-01'::timestamptz FROM generate_series(1, 600) i
       UNION ALL
       SELECT md5('q' || i)::uuid, $1::uuid, '2020-01-15'::date, 1, '2020-01-01'::timestamptz FROM generate_series(1, 550) i`,
      [q.id],
    );
    const churn = (await gw.ok(ProgramMetricsDocument, { from: '2020-01-11T00:00:00Z', to: '2020-01-21T00:00:00Z', partnerId: q.id }, gw.adminToken))
      .programMetrics;
    expect(churn).toMatchObject({ activeMembers: 550, churnRate: '0.0833', retentionRate: '0.9167' });
  });
});
