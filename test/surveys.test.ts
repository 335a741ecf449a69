// Surveys: who creates them, one answer per member, the scale of each kind, and the bonus
// credited once as a BONUS (source SURVEY) funded by the survey's owner, counted in settlement.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateSurveyDocument, SettlementDocument, SubmitSurveyResponseDocument, SurveysDocument } from './generated/graphql';
import { startTestGateway, TestGateway } from './support/gateway';
import { balanceOf, ledgerViolations, newMember, newPartner, newStaff, TestPartner, uniq } from './support/factories';

let gw: TestGateway;
let cafe: TestPartner;
let shop: TestPartner;
beforeAll(async () => {
  gw = await startTestGateway();
  [cafe, shop] = await Promise.all([newPartner(gw), newPartner(gw)]);
});
afterAll(() => gw?.stop());

const answer = (surveyId: string, memberId: string, score: number, extra: Record<string, unknown> = {}) => ({
  input: { surveyId, memberId, score, idempotencyKey: uniq('answer'), ...extra },
});

const countRows = async () =>
  (await gw.sql<{ n: string }>(`SELECT (SELECT count(*) FROM survey_response) + (SELECT count(*) FROM ledger_transaction) AS n`))[0]!.n;

describe('createSurvey and surveys', () => {
  it('staff create the coalition’s, a partner its own; members and other partners are refused', async () => {
    const manager = await newStaff(gw, ['PROGRAM_MANAGER']);
    const { createSurvey: nps } = await gw.ok(
      CreateSurveyDocument,
      { input: { kind: 'NPS', question: 'Would you recommend us?', bonusPoints: 50 } },
      manager.token,
    );
    expect(nps).toMatchObject({ kind: 'NPS', bonusPoints: 50, active: true, partner: null });
    const { createSurvey: csat } = await gw.ok(CreateSurveyDocument, { input: { kind: 'CSAT', question: 'Happy?', bonusPoints: 20 } }, cafe.apiKey);
    expect(csat.partner).toEqual({ id: cafe.id });

    const other = await gw.gql(CreateSurveyDocument, { input: { kind: 'CES', question: 'Easy?', bonusPoints: 0, partnerId: cafe.id } }, shop.apiKey);
    expect(other.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const member = await newMember(gw, cafe);
    const byMember = await gw.gql(CreateSurveyDocument, { input: { kind: 'CES', question: 'Easy?', bonusPoints: 0 } }, member.token);
    expect(byMember.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const finance = await newStaff(gw, ['FINANCE']);
    const byFinance = await gw.gql(CreateSurveyDocument, { input: { kind: 'CES', question: 'Easy?', bonusPoints: 0 } }, finance.token);
    expect(byFinance.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    for (const [input, field] of [
      [{ kind: 'NPS', question: '  ', bonusPoints: 0 }, 'input.question'],
      [{ kind: 'NPS', question: 'q', bonusPoints: -1 }, 'input.bonusPoints'],
      [{ kind: 'NPS', question: 'q', bonusPoints: 1_000_001 }, 'input.bonusPoints'],
    ] as const) {
      const r = await gw.gql(CreateSurveyDocument, { input }, gw.adminToken);
      expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }

    expect((await gw.ok(SurveysDocument, {}, null)).surveys.map((s) => s.id)).toContain(nps.id);
    expect((await gw.ok(SurveysDocument, { partnerId: cafe.id }, null)).surveys.map((s) => s.id)).toEqual([csat.id]);
  });
});

describe('submitSurveyResponse', () => {
  it('credits the coalition-funded bonus once; a replay returns the same answer; a second answer is refused', async () => {
    const { createSurvey: survey } = await gw.ok(CreateSurveyDocument, { input: { kind: 'NPS', question: 'Recommend?', bonusPoints: 50 } }, gw.adminToken);
    const member = await newMember(gw, cafe);
    const vars = answer(survey.id, member.id, 9, { comment: 'Lovely kopi' });
    const { submitSurveyResponse: first } = await gw.ok(SubmitSurveyResponseDocument, vars, member.token);
    expect(first).toMatchObject({ score: 9, comment: 'Lovely kopi', survey: { id: survey.id, kind: 'NPS' }, member: { id: member.id } });
    expect(first.transaction).toMatchObject({
      type: 'BONUS',
      points: 50,
      partner: { id: gw.services.coalition.partnerId },
      breakdown: [{ source: 'SURVEY', funder: 'COALITION', ruleId: survey.id, points: 50 }],
    });
    const { submitSurveyResponse: replay } = await gw.ok(SubmitSurveyResponseDocument, vars, member.token);
    expect(replay.id).toBe(first.id);
    expect(replay.transaction?.id).toBe(first.transaction?.id);
    expect(await balanceOf(gw, member.id)).toBe(50);

    const conflict = await gw.gql(SubmitSurveyResponseDocument, { input: { ...vars.input, score: 3 } }, member.token);
    expect(conflict.errors?.[0]?.extensions?.code).toBe('IDEMPOTENCY_CONFLICT');
    const before = await countRows();
    const again = await gw.gql(SubmitSurveyResponseDocument, answer(survey.id, member.id, 10), member.token);
    expect(again.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.surveyId' });
    expect(await countRows()).toBe(before);
    expect(await balanceOf(gw, member.id)).toBe(50);
  });

  it('refuses a score outside the kind’s scale on input.score, writing nothing', async () => {
    const member = await newMember(gw, cafe);
    const scales = { NPS: [0, 10], CSAT: [1, 5], CES: [1, 7], REPURCHASE: [0, 10] } as const;
    for (const [kind, [min, max]] of Object.entries(scales)) {
      const { createSurvey: s } = await gw.ok(CreateSurveyDocument, { input: { kind: kind as 'NPS', question: `${kind}?`, bonusPoints: 5 } }, gw.adminToken);
      const before = await countRows();
      for (const score of [min - 1, max + 1]) {
        const r = await gw.gql(SubmitSurveyResponseDocument, answer(s.id, member.id, score), member.token);
        expect(r.errors?.[0]?.extensions, `${kind} ${score}`).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.score' });
      }
      expect(await countRows()).toBe(before);
      // Both ends of the scale are accepted (the second on another member: one answer each).
      await gw.ok(SubmitSurveyResponseDocument, answer(s.id, member.id, min), member.token);
      const other = await newMember(gw, cafe);
      await gw.ok(SubmitSurveyResponseDocument, answer(s.id, other.id, max), other.token);
    }
  });

  it("a partner's survey bonus is partner-funded and shows on its settlement line", async () => {
    const from = new Date(Date.now() - 60_000).toISOString();
    const { createSurvey: survey } = await gw.ok(CreateSurveyDocument, { input: { kind: 'CSAT', question: 'Satisfied?', bonusPoints: 20 } }, shop.apiKey);
    const member = await newMember(gw, shop);
    const { submitSurveyResponse: r } = await gw.ok(SubmitSurveyResponseDocument, answer(survey.id, member.id, 4), member.token);
    expect(r.transaction).toMatchObject({ type: 'BONUS', points: 20, partner: { id: shop.id }, breakdown: [{ source: 'SURVEY', funder: 'PARTNER' }] });
    const { settlement } = await gw.ok(SettlementDocument, { from, to: new Date(Date.now() + 60_000).toISOString() }, gw.adminToken);
    expect(settlement.find((l) => l.partner.id === shop.id)?.pointsIssued).toBe(20);
    expect(await ledgerViolations(gw)).toEqual([]);
  });

  it('a member answers only for itself; a survey without a bonus writes no transaction', async () => {
    const { createSurvey: survey } = await gw.ok(CreateSurveyDocument, { input: { kind: 'CES', question: 'Easy?', bonusPoints: 0 } }, gw.adminToken);
    const [a, b] = await Promise.all([newMember(gw, cafe), newMember(gw, cafe)]);
    const forOther = await gw.gql(SubmitSurveyResponseDocument, answer(survey.id, b.id, 7), a.token);
    expect(forOther.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const byPartner = await gw.gql(SubmitSurveyResponseDocument, answer(survey.id, b.id, 7), cafe.apiKey);
    expect(byPartner.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const { submitSurveyResponse: r } = await gw.ok(SubmitSurveyResponseDocument, answer(survey.id, b.id, 7), b.token);
    expect(r.transaction).toBeNull();
    expect(await balanceOf(gw, b.id)).toBe(0);
  });

  it('concurrent answers of one member with different keys: exactly one bonus', async () => {
    const { createSurvey: survey } = await gw.ok(CreateSurveyDocument, { input: { kind: 'REPURCHASE', question: 'Again?', bonusPoints: 30 } }, gw.adminToken);
    const member = await newMember(gw, cafe);
    const results = await Promise.all(Array.from({ length: 8 }, () => gw.gql(SubmitSurveyResponseDocument, answer(survey.id, member.id, 8), member.token)));
    expect(results.filter((r) => !r.errors).length).toBe(1);
    expect(results.filter((r) => r.errors?.[0]?.extensions?.code === 'BAD_USER_INPUT').length).toBe(7);
    expect(await balanceOf(gw, member.id)).toBe(30);
  });
});
