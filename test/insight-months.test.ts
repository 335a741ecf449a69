// A calendar month's programMetrics is read from month counters the rollup keeps (month-rollup.ts);
// any other period from the members' activity days. This test builds four months of activity at
// three partners through the real API, moves it to known dates, and checks for every month and
// scope that the counters give exactly what the activity days give (with the month before as the
// previous period), and the active members counted here from the events themselves. A second wave
// then lands in the same months (members newly active beside months already counted, and two
// consecutive months of one member in one rollup), and everything is checked again: the counters
// are kept incrementally, so that is where they could drift.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateSurveyDocument,
  EarnPointsDocument,
  GrantPartnerConsentDocument,
  ProgramMetricsDocument,
  RedeemRewardDocument,
  SubmitSurveyResponseDocument,
} from './generated/graphql';
import type { QueryRunner } from 'typeorm';
import { InsightMonths1764001300000 } from '../migrations/1764001300000-InsightMonths';
import { rollUpInsight, type RollupOptions } from '../src/modules/insight/rollup';
import { startTestGateway, TestGateway } from './support/gateway';
import { earnInput, newMember, newPartner, newReward, rewriteLedgerHistory, TestMember, TestPartner, uniq } from './support/factories';

let gw: TestGateway;
const partners: TestPartner[] = [];
const members: TestMember[] = [];
const MONTHS = ['2025-01-01', '2025-02-01', '2025-03-01', '2025-04-01', '2025-05-01'];

/** What was written and where it must be dated. */
const moved = { tx: [] as [string, string][], responses: [] as [string, string][], consents: [] as [string, string, string][] };
/** Who was active (purchase, redemption, survey) in which month at which partner: the test's own count. */
const activity: { member: string; partner: string | null; month: string }[] = [];

const at = (month: number, day: number) => `${MONTHS[month]!.slice(0, 8)}${String(day).padStart(2, '0')}T10:00:00Z`;

async function purchase(p: TestPartner, member: TestMember, month: number, day: number) {
  const { earnPoints } = await gw.ok(
    EarnPointsDocument,
    { input: earnInput(member, p.currencyCode === 'IDR' ? '20000' : '120.00', { currencyCode: p.currencyCode }) },
    p.apiKey,
  );
  moved.tx.push([earnPoints.id, at(month, day)]);
  activity.push({ member: member.id, partner: p.id, month: MONTHS[month]! });
}

async function redeem(p: TestPartner, member: TestMember, month: number, day: number) {
  const reward = await newReward(gw, p, { pointsCost: 5 });
  const { redeemReward } = await gw.ok(
    RedeemRewardDocument,
    { input: { memberId: member.id, rewardId: reward.id, idempotencyKey: uniq('redeem') } },
    member.token,
  );
  moved.tx.push([redeemReward.transaction.id, at(month, day)]);
  activity.push({ member: member.id, partner: p.id, month: MONTHS[month]! });
}

async function answer(surveyId: string, partner: TestPartner | null, member: TestMember, month: number, day: number) {
  const { submitSurveyResponse: r } = await gw.ok(
    SubmitSurveyResponseDocument,
    { input: { surveyId, memberId: member.id, score: 4, idempotencyKey: uniq('answer') } },
    member.token,
  );
  moved.responses.push([r.id, at(month, day)]);
  if (r.transaction) moved.tx.push([r.transaction.id, at(month, day)]);
  activity.push({ member: member.id, partner: partner?.id ?? null, month: MONTHS[month]! });
}

/** Date everything written since the last call (the ledger is append-only: only a test may do this, before the rollup sees it). */
async function moveToDates(enrolments: [string, string][] = []) {
  const col = <T>(rows: T[][], i: number) => rows.map((r) => r[i]);
  await rewriteLedgerHistory(
    gw,
    `WITH t AS (UPDATE ledger_transaction l SET created_at = x.at FROM unnest($1::uuid[], $2::timestamptz[]) AS x(id, at) WHERE l.id = x.id),
          mb AS (UPDATE member u SET enrolled_at = x.at FROM unnest($3::uuid[], $4::timestamptz[]) AS x(id, at) WHERE u.id = x.id),
          r AS (UPDATE survey_response u SET created_at = x.at FROM unnest($5::uuid[], $6::timestamptz[]) AS x(id, at) WHERE u.id = x.id)
     UPDATE member_partner_consent u SET granted_at = x.at FROM unnest($7::uuid[], $8::uuid[], $9::timestamptz[]) AS x(member_id, partner_id, at)
      WHERE u.member_id = x.member_id AND u.partner_id = x.partner_id`,
    [
      col(moved.tx, 0),
      col(moved.tx, 1),
      col(enrolments, 0),
      col(enrolments, 1),
      col(moved.responses, 0),
      col(moved.responses, 1),
      col(moved.consents, 0),
      col(moved.consents, 1),
      col(moved.consents, 2),
    ],
  );
  moved.tx.length = 0;
  moved.responses.length = 0;
  moved.consents.length = 0;
}

function activeCount(month: string, partnerId: string | null): number {
  return new Set(activity.filter((a) => a.month === month && (partnerId === null || a.partner === partnerId)).map((a) => a.member)).size;
}

async function checkEveryMonth() {
  let compared = 0;
  for (const [i, month] of MONTHS.slice(0, -1).entries()) {
    const from = new Date(`${month}T00:00:00Z`);
    const to = new Date(`${MONTHS[i + 1]}T00:00:00Z`);
    for (const scope of [null, ...partners.map((p) => p.id)]) {
      const counters = await gw.services.insight.metrics(from, to, scope);
      const days = await gw.services.insight.metrics(from, to, scope, { fromActivityDays: true });
      expect(counters, `${month} ${scope ?? 'coalition'}`).toEqual(days);
      expect(counters.activeMembers, `${month} ${scope ?? 'coalition'}`).toBe(activeCount(month, scope));
      compared++;
    }
  }
  return compared;
}

beforeAll(async () => {
  gw = await startTestGateway();
  partners.push(await newPartner(gw, { currencyCode: 'MYR', earnRate: '1' }));
  partners.push(await newPartner(gw, { currencyCode: 'THB', earnRate: '0.5' }));
  partners.push(await newPartner(gw, { currencyCode: 'MYR', earnRate: '2' }));
  partners.push(await newPartner(gw, { currencyCode: 'IDR', earnRate: '0.01' }));
  const enrolments: [string, string][] = [];
  for (let i = 0; i < 9; i++) {
    const member = await newMember(gw, partners[i % 4]!);
    members.push(member);
    enrolments.push([member.id, `2024-${String(3 + i).padStart(2, '0')}-0${1 + (i % 9)}T0${i % 10}:00:00Z`]);
  }
  const [A, B, C, D] = partners as [TestPartner, TestPartner, TestPartner, TestPartner];
  const survey = async (kind: 'NPS' | 'CSAT', partner: TestPartner | null) =>
    (await gw.ok(CreateSurveyDocument, { input: { kind, question: `${kind}?`, bonusPoints: 5, ...(partner ? { partnerId: partner.id } : {}) } }, gw.adminToken))
      .createSurvey.id;
  const nps = await survey('NPS', null);
  const csat = await survey('CSAT', B);
  // The first wave: purchases spread over four months and the four partners (some members twice
  // in a month, some at two partners), redemptions, survey answers and a consent.
  for (let i = 0; i < 44; i++) {
    const [month, j] = [i % 4, Math.floor(i / 4)];
    // Eleven purchases a month over nine members: two members buy twice, at other partners.
    await purchase(partners[(j + month) % 4]!, members[(2 * j + 3 * month) % 9]!, month, 1 + ((i * 11) % 27));
  }
  await redeem(B, members[0]!, 1, 20);
  await redeem(A, members[4]!, 2, 3);
  await answer(nps, null, members[6]!, 0, 15);
  await answer(csat, B, members[7]!, 2, 9);
  await gw.ok(GrantPartnerConsentDocument, { memberId: members[8]!.id, partnerId: C.id }, members[8]!.token);
  moved.consents.push([members[8]!.id, C.id, at(3, 12)]);
  await moveToDates(enrolments);
  void D;
});
afterAll(() => gw?.stop());

describe('programMetrics for a calendar month', () => {
  it('the month counters give what the activity days give, for every month, coalition-wide and per partner', async () => {
    expect(await checkEveryMonth()).toBe(4 * 5);
    const march = await gw.services.insight.metrics(new Date('2025-03-01T00:00:00Z'), new Date('2025-04-01T00:00:00Z'), null);
    // Not an empty answer compared with another: the months hold retained, new and lost members.
    expect(march.activeMembers).toBeGreaterThan(3);
    expect(Number(march.retentionRate)).toBeGreaterThan(0);
    expect(Number(march.crossPartnerRate)).toBeGreaterThan(0);
    expect(march.customerLifetimeValue.map((c) => c.currencyCode)).toEqual(['IDR', 'MYR', 'THB']);
  });

  it('the API answers a month from the same counters', async () => {
    const from = '2025-02-01T00:00:00.000Z';
    const to = '2025-03-01T00:00:00.000Z';
    const { programMetrics } = await gw.ok(ProgramMetricsDocument, { from, to, partnerId: partners[1]!.id }, gw.adminToken);
    const counters = await gw.services.insight.metrics(new Date(from), new Date(to), partners[1]!.id);
    expect(programMetrics).toMatchObject({
      activeMembers: counters.activeMembers,
      retentionRate: counters.retentionRate,
      churnRate: counters.churnRate,
      repeatPurchaseRate: counters.repeatPurchaseRate,
      crossPartnerRate: counters.crossPartnerRate,
      customerLifetimeValue: counters.customerLifetimeValue,
    });
  });

  it('stays exact as later activity lands in months already counted', async () => {
    const [A, B, C, D] = partners as [TestPartner, TestPartner, TestPartner, TestPartner];
    // Members first active in February and March in the same rollup, beside months already counted.
    const fresh = await newMember(gw, A);
    members.push(fresh);
    await purchase(A, fresh, 1, 10);
    await purchase(B, fresh, 2, 10);
    // Activity added to the middle of runs of months, at partners already and not yet visited.
    await purchase(C, members[1]!, 1, 27);
    await purchase(D, members[2]!, 2, 2);
    await purchase(A, members[3]!, 0, 28);
    await purchase(A, members[3]!, 0, 28);
    await redeem(C, members[5]!, 3, 4);
    await moveToDates([[fresh.id, '2024-12-24T08:30:00Z']]);
    expect(await checkEveryMonth()).toBe(4 * 5);
  });

  it('the migration builds the same counters from the activity days a deployment already rolled up', async () => {
    const counters = () =>
      gw.sql(
        `SELECT 'm' AS t, scope_id, month, active, retained, purchasers, repeaters, engaged, cross_partner, NULL AS currency_code, NULL::numeric AS epoch
           FROM insight_month WHERE active + purchasers + engaged <> 0
         UNION ALL SELECT 'c', scope_id, month, purchasers, 0, 0, 0, 0, 0, currency_code, enrolled_epoch FROM insight_month_currency WHERE purchasers <> 0
         ORDER BY 1, 2, 3, 10`,
      );
    const kept = await counters();
    expect(kept.length).toBeGreaterThan(20);
    const migration = new InsightMonths1764001300000();
    const runner = { query: (text: string) => gw.db.query(text) } as unknown as QueryRunner;
    await migration.down(runner);
    await migration.up(runner);
    expect(await counters()).toEqual(kept);
  });

  it('a backlog folded in slices gives exactly the aggregates of one statement, on a first run and a later one', async () => {
    // Everything the rollup writes, in a stable order: a slice dropped or counted twice shows here.
    const tables = [
      'insight_partner_day',
      'insight_partner_month',
      'insight_member_day',
      'insight_member_partner',
      'insight_survey_day',
      'insight_member_month',
      'insight_month',
      'insight_month_currency',
    ];
    const dump = async () => Promise.all(tables.map((t) => gw.sql(`SELECT * FROM ${t} r ORDER BY r::text`)));
    const [{ id: coalition }] = (await gw.sql<{ id: string }>(`SELECT id FROM partner WHERE is_coalition`)) as [{ id: string }];
    /** Forget every aggregate and fold the whole history again: seen NULL is a first run; '1:1:' a later run that finds every row new. */
    const refold = async (seen: string | null, options: RollupOptions) => {
      await gw.sql(`TRUNCATE ${tables.join(', ')}`);
      await gw.sql(`UPDATE insight_rollup SET seen = $1::pg_snapshot`, [seen]);
      return (await rollUpInsight(gw.db, coalition, options)).rows;
    };
    const rows = await refold(null, {});
    const whole = await dump();
    // The running totals' months are exactly their days' sums.
    expect(await gw.sql(`SELECT partner_id, month, points_net::text, enrolled::text, joined::text FROM insight_partner_month ORDER BY 1, 2`)).toEqual(
      await gw.sql(
        `SELECT partner_id, date_trunc('month', day)::date AS month, sum(points_net)::text AS points_net, sum(enrolled)::text AS enrolled, sum(joined)::text AS joined
           FROM insight_partner_day GROUP BY 1, 2 ORDER BY 1, 2`,
      ),
    );
    expect(rows).toBeGreaterThan(50);
    expect(whole.every((t) => t.length > 0)).toBe(true);
    // Slices of one row and of three (members split across slices), below the direct limit of two.
    for (const [seen, sliceRows] of [
      [null, 1],
      [null, 3],
      ['1:1:', 3],
    ] as const) {
      expect(await refold(seen, { directRows: 2, sliceRows }), `${seen} ${sliceRows}`).toBe(rows);
      expect(await dump(), `${seen} ${sliceRows}`).toEqual(whole);
    }
    expect(await checkEveryMonth()).toBe(4 * 5);
  });
});
