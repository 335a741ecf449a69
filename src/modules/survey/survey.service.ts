// Surveys: the coalition's (created by staff) or a partner's own, each one question of a kind
// with a fixed scale. A member answers a survey once; the answer and its bonus (a BONUS posting,
// source SURVEY, funded by the survey's owner, so settlement counts it on the owner's line like
// any bonus) are written in one transaction under the member's wallet lock, behind the
// caller's idempotency key. The insight rollup reads the responses for the scores.
import type { Pool } from '../../db/sql';
import { DomainError, ErrorCode, badInput, forbidden, notFound } from '../../errors/domain-error';
import { requireId } from '../../errors/ids';
import { requireText } from '../../errors/text';
import { query, queryOne } from '../../db/sql';
import { withTransaction } from '../../db/transaction';
import { AuditActor, AuditAction, AuditTargetType, auditActorOf, recordAudit } from '../audit/audit-trail';
import { Capability, requireActivePartnerOrStaff, requireSurveyRespondent } from '../auth/policy';
import { Caller, callerScope } from '../auth/viewer';
import { Funder, PointsSource } from '../earning/earning.types';
import { claimKey, recordResult, requestHash, validKey } from '../ledger/idempotency';
import { lockWallet } from '../ledger/wallet';
import { creditBonus } from '../lifecycle/bonus';
import { assertMemberMayMovePoints } from '../member/member-status';
import type { CoalitionIssuer } from '../partner/coalition';
import { CreateSurveyInput, SURVEY_SCALES, SubmitSurveyResponseInput, Survey, SurveyKind, SurveyResponse } from './survey.types';

const COLUMNS = `id, partner_id AS "partnerId", kind, question, bonus_points AS "bonusPoints", active, created_at AS "createdAt"`;
const RESPONSE_COLUMNS = `id, survey_id AS "surveyId", member_id AS "memberId", score, comment, transaction_id AS "transactionId", created_at AS "createdAt"`;
const MAX_BONUS = 1_000_000;

export class SurveyService {
  constructor(
    private readonly db: Pool,
    private readonly coalition: CoalitionIssuer,
  ) {}

  /** Staff: the coalition's survey, or (naming one) a partner's. A partner: its own. actor: for start-up work. */
  async create(caller: Caller, input: CreateSurveyInput, actor?: AuditActor): Promise<Survey> {
    if (caller.kind === 'member') throw forbidden("Only the coalition's staff and partners create surveys");
    const manager = requireActivePartnerOrStaff(caller, Capability.MANAGE_CATALOG);
    let partnerId: string | null = input.partnerId ? requireId(input.partnerId, 'input.partnerId') : null;
    if (manager.kind === 'partner') {
      if (partnerId && partnerId !== manager.partnerId) throw forbidden('input.partnerId: a partner creates only its own surveys', 'input.partnerId');
      partnerId = manager.partnerId;
    }
    if (!Object.values(SurveyKind).includes(input.kind)) throw badInput('input.kind', 'must be NPS, CSAT, CES or REPURCHASE');
    const question = requireText(input.question.trim(), 'input.question');
    if (question.length < 1 || question.length > 500) throw badInput('input.question', 'must be 1 to 500 characters');
    if (!Number.isInteger(input.bonusPoints) || input.bonusPoints < 0 || input.bonusPoints > MAX_BONUS) {
      throw badInput('input.bonusPoints', `must be a whole number from 0 to ${MAX_BONUS}`);
    }
    return withTransaction(this.db, async (m) => {
      if (partnerId) {
        const p = await queryOne(m, `SELECT 1 FROM partner WHERE id = $1 AND NOT is_coalition`, [partnerId]);
        if (!p) throw notFound('input.partnerId', 'partner');
      }
      const survey = (await queryOne<Survey>(m, `INSERT INTO survey (partner_id, kind, question, bonus_points) VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`, [
        partnerId,
        input.kind,
        question,
        input.bonusPoints,
      ]))!;
      await recordAudit(m, {
        actor: actor ?? auditActorOf(manager),
        action: AuditAction.SURVEY_CREATED,
        targetType: AuditTargetType.SURVEY,
        targetId: survey.id,
        partnerId,
        previous: null,
        current: { ...survey },
      });
      return survey;
    });
  }

  /** Active surveys: the coalition's (partnerId null) or one partner's, oldest first. */
  list(partnerId: string | null): Promise<Survey[]> {
    return query<Survey>(this.db, `SELECT ${COLUMNS} FROM survey WHERE active AND partner_id IS NOT DISTINCT FROM $1 ORDER BY seq`, [partnerId]);
  }

  byIds(ids: readonly string[]): Promise<Survey[]> {
    return query<Survey>(this.db, `SELECT ${COLUMNS} FROM survey WHERE id = ANY($1::uuid[])`, [ids]);
  }

  async submit(caller: Caller, input: SubmitSurveyResponseInput): Promise<SurveyResponse> {
    const memberId = requireId(input.memberId, 'input.memberId');
    requireSurveyRespondent(caller, memberId);
    const surveyId = requireId(input.surveyId, 'input.surveyId');
    const key = validKey(input.idempotencyKey);
    const comment = input.comment == null ? null : requireText(input.comment.trim(), 'input.comment') || null;
    if (comment !== null && comment.length > 1000) throw badInput('input.comment', 'at most 1000 characters');
    if (!Number.isInteger(input.score)) throw badInput('input.score', 'must be a whole number');
    const scope = callerScope(caller);
    const hash = requestHash('submitSurveyResponse', { surveyId, memberId, score: input.score, comment });
    return withTransaction(this.db, async (m) => {
      const claim = await claimKey(m, scope, key, 'submitSurveyResponse', hash);
      if (claim.replay) return (await queryOne<SurveyResponse>(m, `SELECT ${RESPONSE_COLUMNS} FROM survey_response WHERE id = $1`, [claim.resultId]))!;
      const survey = await queryOne<{
        kind: SurveyKind;
        active: boolean;
        bonusPoints: number;
        partnerId: string | null;
        partnerStatus: string | null;
        issuanceAccountId: string | null;
      }>(
        m,
        `SELECT s.kind, s.active, s.bonus_points AS "bonusPoints", s.partner_id AS "partnerId", p.status AS "partnerStatus", a.id AS "issuanceAccountId"
           FROM survey s LEFT JOIN partner p ON p.id = s.partner_id LEFT JOIN account a ON a.partner_id = s.partner_id AND a.kind = 'PARTNER_ISSUANCE'
          WHERE s.id = $1`,
        [surveyId],
      );
      if (!survey) throw notFound('input.surveyId', 'survey');
      if (!survey.active) throw badInput('input.surveyId', 'this survey is closed');
      const scale = SURVEY_SCALES[survey.kind];
      if (input.score < scale.min || input.score > scale.max) {
        throw badInput('input.score', `a ${survey.kind} score is a whole number from ${scale.min} to ${scale.max}`);
      }
      if (survey.partnerStatus === 'SUSPENDED') throw new DomainError(ErrorCode.PARTNER_SUSPENDED, "This survey's partner is suspended", 'input.surveyId');
      // The wallet lock first (every write on a member takes it): two answers of one member queue here.
      const wallet = await lockWallet(m, memberId, 'input.memberId');
      assertMemberMayMovePoints(wallet, 'input.memberId');
      const answered = await queryOne(m, `SELECT 1 FROM survey_response WHERE survey_id = $1 AND member_id = $2`, [surveyId, memberId]);
      if (answered) throw badInput('input.surveyId', 'this member has already answered this survey');
      let transactionId: string | null = null;
      if (survey.bonusPoints > 0) {
        const issuer = survey.partnerId ? { partnerId: survey.partnerId, issuanceAccountId: survey.issuanceAccountId! } : this.coalition;
        const rate = await queryOne(m, `SELECT 1 FROM exchange_rate WHERE partner_id = $1 AND effective_from <= now() LIMIT 1`, [issuer.partnerId]);
        if (!rate) throw new DomainError(ErrorCode.RATE_NOT_SET, "This survey's partner has no exchange rate in force yet", 'input.surveyId');
        transactionId = await creditBonus(m, issuer, wallet, {
          source: PointsSource.SURVEY,
          points: survey.bonusPoints,
          ruleId: surveyId,
          reason: `survey answered (${survey.kind})`,
          funder: survey.partnerId ? Funder.PARTNER : Funder.COALITION,
        });
      }
      const response = (await queryOne<SurveyResponse>(
        m,
        `INSERT INTO survey_response (survey_id, member_id, score, comment, transaction_id) VALUES ($1, $2, $3, $4, $5) RETURNING ${RESPONSE_COLUMNS}`,
        [surveyId, memberId, input.score, comment, transactionId],
      ))!;
      await recordResult(m, scope, key, response.id);
      return response;
    });
  }
}
