// The program's single settings row: expiry policy and the coalition-funded bonuses. Omitted
// input fields keep their value; pointsExpireAfterMonths: null switches expiry off (for lots
// earned from then on: a lot's expiry is fixed when it is earned, or pushed by activity).
// referralMinimumPoints: the least an earn must be worth to count as the referred member's
// qualifying purchase (1 to MAX_BONUS; at least 1, so a purchase worth nothing never counts).
// Every change is audited in its own transaction, with the settings as they were.
import type { Pool } from '../../db/sql';
import { badInput } from '../../errors/domain-error';
import { Exact } from '../../money/decimal';
import { MAX_POINTS_PER_TRANSACTION } from '../ledger/transaction-limit';
import { markEveryTierReviewDueToday } from '../ledger/qualifying';
import { Db, queryOne } from '../../db/sql';
import { withTransaction } from '../../db/transaction';
import { AuditAction, AuditActor, AuditTargetType, PROGRAM_SETTINGS_TARGET_ID, recordAudit } from '../audit/audit-trail';
import { ProgramSettings, ProgramSettingsInput, TierDowngradePolicy } from './program-settings.types';

const COLUMNS = `points_expire_after_months AS "pointsExpireAfterMonths", extend_expiry_on_activity AS "extendExpiryOnActivity",
  birthday_bonus_points AS "birthdayBonusPoints", referral_bonus_points AS "referralBonusPoints",
  referral_minimum_points AS "referralMinimumPoints", max_points_payment_share::text AS "maxPointsPaymentShare",
  min_points_per_payment AS "minPointsPerPayment", transfers_per_month AS "transfersPerMonth",
  transfer_points_per_month AS "transferPointsPerMonth", support_adjustment_limit AS "supportAdjustmentLimit", tier_downgrade_policy AS "tierDowngradePolicy",
  tier_downgrade_one_step AS "tierDowngradeOneStep", updated_at AS "updatedAt"`;

const MAX_BONUS = 1_000_000;

function bonus(value: number | undefined, field: string, least = 0): number | null {
  if (value === undefined || value === null) return null;
  if (!Number.isInteger(value) || value < least || value > MAX_BONUS) throw badInput(field, `must be a whole number from ${least} to ${MAX_BONUS}`);
  return value;
}

/** The cap on the share of a bill points may pay: a decimal in (0, 1], normalised ("0.50" → "0.5"). */
function paymentShare(value: string | undefined): string | null {
  if (value === undefined || value === null) return null;
  const share = new Exact(value);
  if (share.lte(0) || share.gt(1) || share.decimalPlaces() > 4)
    throw badInput('input.maxPointsPaymentShare', 'must be above 0 and at most 1, with at most 4 decimal places');
  return share.toString();
}

/** A points limit of the servicing settings: 0 to the largest single transaction. */
function limit(value: number | undefined, field: string): number | null {
  if (value === undefined || value === null) return null;
  if (!Number.isInteger(value) || value < 0 || value > MAX_POINTS_PER_TRANSACTION)
    throw badInput(field, `must be a whole number from 0 to ${MAX_POINTS_PER_TRANSACTION}`);
  return value;
}

export class ProgramSettingsService {
  constructor(private readonly db: Pool) {}

  static async read(db: Db): Promise<ProgramSettings> {
    return (await queryOne<ProgramSettings>(db, `SELECT ${COLUMNS} FROM program_settings`))!;
  }

  get(): Promise<ProgramSettings> {
    return ProgramSettingsService.read(this.db);
  }

  async set(input: ProgramSettingsInput, actor: AuditActor): Promise<ProgramSettings> {
    const months = input.pointsExpireAfterMonths;
    if (months !== undefined && months !== null && (!Number.isInteger(months) || months < 1 || months > 120)) {
      throw badInput('input.pointsExpireAfterMonths', 'must be 1 to 120 months, or null for no expiry');
    }
    const birthday = bonus(input.birthdayBonusPoints, 'input.birthdayBonusPoints');
    const referral = bonus(input.referralBonusPoints, 'input.referralBonusPoints');
    const referralMinimum = bonus(input.referralMinimumPoints, 'input.referralMinimumPoints', 1);
    const share = paymentShare(input.maxPointsPaymentShare);
    const minPayment = input.minPointsPerPayment ?? null;
    if (minPayment !== null && (!Number.isInteger(minPayment) || minPayment < 1 || minPayment > MAX_POINTS_PER_TRANSACTION)) {
      throw badInput('input.minPointsPerPayment', `must be a whole number from 1 to ${MAX_POINTS_PER_TRANSACTION}`);
    }
    const transfers = bonus(input.transfersPerMonth, 'input.transfersPerMonth');
    if (transfers !== null && transfers > 1000) throw badInput('input.transfersPerMonth', 'must be a whole number from 0 to 1000');
    const transferPoints = limit(input.transferPointsPerMonth, 'input.transferPointsPerMonth');
    const adjustmentLimit = limit(input.supportAdjustmentLimit, 'input.supportAdjustmentLimit');
    const policy = input.tierDowngradePolicy ?? null;
    if (policy !== null && !Object.values(TierDowngradePolicy).includes(policy)) {
      throw badInput('input.tierDowngradePolicy', 'must be ROLLING_12_MONTHS, CALENDAR_YEAR or NEVER');
    }
    return withTransaction(this.db, async (m) => {
      const { updatedAt: _before, ...previous } = (await queryOne<ProgramSettings>(m, `SELECT ${COLUMNS} FROM program_settings FOR UPDATE`))!;
      const updated = (await queryOne<ProgramSettings>(
        m,
        `UPDATE program_settings SET
           points_expire_after_months = CASE WHEN $1 THEN $2::int ELSE points_expire_after_months END,
           extend_expiry_on_activity = coalesce($3, extend_expiry_on_activity),
           birthday_bonus_points = coalesce($4, birthday_bonus_points),
           referral_bonus_points = coalesce($5, referral_bonus_points),
           referral_minimum_points = coalesce($6, referral_minimum_points),
           max_points_payment_share = coalesce($7::numeric, max_points_payment_share),
           min_points_per_payment = coalesce($8, min_points_per_payment),
           transfers_per_month = coalesce($9, transfers_per_month),
           transfer_points_per_month = coalesce($10, transfer_points_per_month),
           support_adjustment_limit = coalesce($11, support_adjustment_limit),
           tier_downgrade_policy = coalesce($12, tier_downgrade_policy),
           tier_downgrade_one_step = coalesce($13, tier_downgrade_one_step),
           updated_at = now()
         RETURNING ${COLUMNS}`,
        [
          months !== undefined,
          months ?? null,
          input.extendExpiryOnActivity ?? null,
          birthday,
          referral,
          referralMinimum,
          share,
          minPayment,
          transfers,
          transferPoints,
          adjustmentLimit,
          policy,
          input.tierDowngradeOneStep ?? null,
        ],
      ))!;
      const { updatedAt: _after, ...current } = updated;
      // Another downgrade policy: every member above the lowest tier is reviewed by the next tier evaluation.
      if (current.tierDowngradePolicy !== previous.tierDowngradePolicy || current.tierDowngradeOneStep !== previous.tierDowngradeOneStep) {
        await markEveryTierReviewDueToday(m);
      }
      await recordAudit(m, {
        actor,
        action: AuditAction.PROGRAM_SETTINGS_CHANGED,
        targetType: AuditTargetType.PROGRAM_SETTINGS,
        targetId: PROGRAM_SETTINGS_TARGET_ID,
        partnerId: null,
        previous: { ...previous },
        current: { ...current },
      });
      return updated;
    });
  }
}
