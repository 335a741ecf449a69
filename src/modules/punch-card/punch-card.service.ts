// Punch cards: each qualifying purchase at the partner adds a punch, in the earn's transaction;
// the punch that fills the card gives the reward as a zero-point redemption (with its code) and
// starts the card over. A limited reward that is out of stock waits: the card stays full and
// the next qualifying purchase tries again.
import type { Pool, Tx } from '../../db/sql';
import { badInput, notFound } from '../../errors/domain-error';
import { requireId } from '../../errors/ids';
import { requireText } from '../../errors/text';
import { Exact } from '../../money/decimal';
import { query, queryOne } from '../../db/sql';
import type { Caller } from '../auth/viewer';
import { actingPartnerId } from '../auth/policy';
import { REDEMPTION_EXPIRY_SQL, newRedemptionCode } from '../redemption/redemption-code';
import { AuditAction, AuditTargetType, auditActorOf, recordAudit } from '../audit/audit-trail';
import { Capability, requireActivePartnerOrStaff } from '../auth/policy';
import { withTransaction } from '../../db/transaction';
import type { PostedEarn } from '../earning/earn-plugin';
import { post } from '../ledger/journal';
import { TransactionType } from '../ledger/points-transaction.entity';
import { coalitionAccountId } from '../ledger/wallet';
import { PUNCH_CARD_COLUMNS, PunchCard, PunchCardInput, PunchCardProgress } from './punch-card.types';

/** Cards one partner may run: Partner.punchCards is an unpaginated list, and the cost limit counts it at this. */
export const MAX_PUNCH_CARDS_PER_PARTNER = 20;

export interface Punch {
  punchCardId: string;
  completed: boolean;
  redemptionId: string | null;
}

export class PunchCardService {
  constructor(private readonly db: Pool) {}

  async create(caller: Caller, input: PunchCardInput): Promise<PunchCard> {
    const partnerId = requireId(actingPartnerId(caller, Capability.MANAGE_CATALOG, input.partnerId), 'input.partnerId');
    const rewardId = requireId(input.rewardId, 'input.rewardId');
    const name = requireText(input.name.trim(), 'input.name');
    if (name.length < 1 || name.length > 255) throw badInput('input.name', 'must be 1 to 255 characters');
    if (!Number.isInteger(input.punchesRequired) || input.punchesRequired < 1 || input.punchesRequired > 100) {
      throw badInput('input.punchesRequired', 'must be 1 to 100');
    }
    const minSpend = new Exact(input.minSpend ?? '0');
    if (minSpend.lt(0)) throw badInput('input.minSpend', 'must not be negative');
    const reward = await queryOne<{ partnerId: string }>(this.db, `SELECT partner_id AS "partnerId" FROM reward WHERE id = $1`, [rewardId]);
    if (!reward) throw notFound('input.rewardId', 'reward');
    if (reward.partnerId !== partnerId) throw badInput('input.rewardId', "a punch card gives one of its partner's own rewards");
    return withTransaction(this.db, async (m) => {
      // One creation per partner at a time, so two concurrent ones cannot both pass the count.
      await query(m, `SELECT pg_advisory_xact_lock(hashtext('punch_card'), hashtext($1))`, [partnerId]);
      const [{ n }] = await query<{ n: number }>(m, `SELECT count(*)::int AS n FROM punch_card WHERE partner_id = $1`, [partnerId]);
      if (n >= MAX_PUNCH_CARDS_PER_PARTNER) {
        throw badInput('input.partnerId', `this partner has ${MAX_PUNCH_CARDS_PER_PARTNER} punch cards, the most it may have`);
      }
      const card = (await queryOne<PunchCard>(
        m,
        `INSERT INTO punch_card (partner_id, name, punches_required, reward_id, min_spend) VALUES ($1, $2, $3, $4, $5) RETURNING ${PUNCH_CARD_COLUMNS}`,
        [partnerId, name, input.punchesRequired, rewardId, minSpend.toString()],
      ))!;
      await recordAudit(m, {
        actor: auditActorOf(requireActivePartnerOrStaff(caller, Capability.MANAGE_CATALOG)),
        action: AuditAction.PUNCH_CARD_CREATED,
        targetType: AuditTargetType.PUNCH_CARD,
        targetId: card.id,
        partnerId,
        previous: null,
        current: { ...card },
      });
      return card;
    });
  }

  async byIds(ids: readonly string[]): Promise<PunchCard[]> {
    return query<PunchCard>(this.db, `SELECT ${PUNCH_CARD_COLUMNS} FROM punch_card WHERE id = ANY($1::uuid[])`, [ids]);
  }

  /** The active cards of each partner, in one query. */
  async forPartners(partnerIds: readonly string[]): Promise<PunchCard[]> {
    return query<PunchCard>(this.db, `SELECT ${PUNCH_CARD_COLUMNS} FROM punch_card WHERE partner_id = ANY($1::uuid[]) AND active ORDER BY seq`, [partnerIds]);
  }

  /** Each member's cards, every partner's (Member.punchCards narrows them to what the viewer may see), in one query. */
  async progressFor(memberIds: readonly string[]): Promise<(PunchCardProgress & { memberId: string; partnerId: string })[]> {
    return query(
      this.db,
      `SELECT pp.member_id AS "memberId", c.partner_id AS "partnerId", pp.punch_card_id AS "punchCardId", pp.punches, pp.completed_count AS "completedCount"
         FROM punch_card_progress pp JOIN punch_card c ON c.id = pp.punch_card_id
        WHERE pp.member_id = ANY($1::uuid[]) ORDER BY c.seq`,
      [memberIds],
    );
  }

  /**
   * Punch every qualifying card of the partner for this purchase. Runs inside the earn's
   * transaction, under the member's wallet lock (so progress rows need no lock of their own).
   */
  static async punch(m: Tx, earn: PostedEarn): Promise<Punch[]> {
    const cards = await query<{ id: string; punchesRequired: number; rewardId: string; stock: number | null; punches: number }>(
      m,
      `WITH hit AS (
         INSERT INTO punch_card_progress (member_id, punch_card_id, punches)
         SELECT $1, c.id, 1 FROM punch_card c WHERE c.partner_id = $2 AND c.active AND c.min_spend <= $3::numeric
         ON CONFLICT (member_id, punch_card_id) DO UPDATE
           SET punches = LEAST(punch_card_progress.punches + 1, (SELECT punches_required FROM punch_card WHERE id = EXCLUDED.punch_card_id)),
               updated_at = now()
         RETURNING punch_card_id, punches)
       SELECT c.id, c.punches_required AS "punchesRequired", c.reward_id AS "rewardId", r.stock, hit.punches
         FROM hit JOIN punch_card c ON c.id = hit.punch_card_id JOIN reward r ON r.id = c.reward_id`,
      [earn.memberId, earn.partnerId, earn.amount],
    );
    const punches: Punch[] = [];
    for (const card of cards) {
      if (card.punches < card.punchesRequired) {
        punches.push({ punchCardId: card.id, completed: false, redemptionId: null });
        continue;
      }
      if (card.stock !== null) {
        const taken = await query(m, `UPDATE reward SET stock = stock - 1 WHERE id = $1 AND stock >= 1 RETURNING id`, [card.rewardId]);
        if (taken.length === 0) {
          punches.push({ punchCardId: card.id, completed: false, redemptionId: null });
          continue;
        }
      }
      // The reward, as a zero-point redemption (with its code): nothing moves, so nothing to announce.
      const tx = await post(m, {
        type: TransactionType.REDEEM,
        wallet: earn.wallet,
        partnerId: earn.partnerId,
        points: 0,
        counter: [{ accountId: await coalitionAccountId(m, 'COALITION_REDEMPTION'), amount: 0 }],
        exchangeRateId: earn.rateId,
        breakdown: [{ source: 'PUNCH_CARD', ruleId: card.id, points: 0 }],
        announce: false,
      });
      const redemption = (await queryOne<{ id: string }>(
        m,
        `WITH card AS (
           UPDATE punch_card_progress SET punches = 0, completed_count = completed_count + 1 WHERE member_id = $1 AND punch_card_id = $5)
         INSERT INTO redemption (member_id, reward_id, partner_id, quantity, points_spent, code, transaction_id, expires_at)
         VALUES ($1, $2, $3, 1, 0, $4, $6, ${REDEMPTION_EXPIRY_SQL('$2')}) RETURNING id`,
        [earn.memberId, card.rewardId, earn.partnerId, newRedemptionCode(), card.id, tx.id],
      ))!;
      punches.push({ punchCardId: card.id, completed: true, redemptionId: redemption.id });
    }
    return punches;
  }
}
