// A partner's lifecycle settings: its return window (pendingDays, for earns from now on; see
// pending.ts) and its own birthday reward (see birthday.ts). Set by an admin or the partner
// itself (while active); an omitted field keeps its value. Audited like any configuration change.
import type { Pool } from '../../db/sql';
import { queryOne } from '../../db/sql';
import { withTransaction } from '../../db/transaction';
import { badInput, forbidden, notFound } from '../../errors/domain-error';
import { requireId } from '../../errors/ids';
import { AuditAction, AuditTargetType, auditActorOf, recordAudit } from '../audit/audit-trail';
import { Capability, requireActivePartnerOrStaff } from '../auth/policy';
import { Caller } from '../auth/viewer';
import { PARTNER_COLUMNS, Partner } from '../partner/partner.entity';

const MAX_PENDING_DAYS = 365;
const MAX_BIRTHDAY_BONUS = 1_000_000;

export interface PartnerSettings {
  pendingDays?: number | null;
  birthdayBonusPoints?: number | null;
}

export async function setPartnerSettings(db: Pool, caller: Caller, partnerIdInput: string, input: PartnerSettings): Promise<Partner> {
  const partnerId = requireId(partnerIdInput, 'partnerId');
  if (caller.kind === 'member' || (caller.kind === 'partner' && caller.partnerId !== partnerId)) {
    throw forbidden('Only staff or the partner itself may change its settings', 'partnerId');
  }
  const manager = requireActivePartnerOrStaff(caller, Capability.MANAGE_SETTINGS);
  const { pendingDays = null, birthdayBonusPoints = null } = input;
  if (pendingDays !== null && (!Number.isInteger(pendingDays) || pendingDays < 0 || pendingDays > MAX_PENDING_DAYS)) {
    throw badInput('pendingDays', `must be 0 to ${MAX_PENDING_DAYS} days`);
  }
  if (birthdayBonusPoints !== null && (!Number.isInteger(birthdayBonusPoints) || birthdayBonusPoints < 0 || birthdayBonusPoints > MAX_BIRTHDAY_BONUS)) {
    throw badInput('birthdayBonusPoints', `must be a whole number from 0 to ${MAX_BIRTHDAY_BONUS}`);
  }
  return withTransaction(db, async (m) => {
    const previous = await queryOne<Required<PartnerSettings>>(
      m,
      `SELECT pending_days AS "pendingDays", birthday_bonus_points AS "birthdayBonusPoints" FROM partner WHERE id = $1 AND NOT is_coalition FOR NO KEY UPDATE`,
      [partnerId],
    );
    if (!previous) throw notFound('partnerId', 'partner');
    const partner = (await queryOne<Partner>(
      m,
      `UPDATE partner SET pending_days = coalesce($2, pending_days), birthday_bonus_points = coalesce($3, birthday_bonus_points)
        WHERE id = $1 RETURNING ${PARTNER_COLUMNS}`,
      [partnerId, pendingDays, birthdayBonusPoints],
    ))!;
    await recordAudit(m, {
      actor: auditActorOf(manager),
      action: AuditAction.PARTNER_SETTINGS_CHANGED,
      targetType: AuditTargetType.PARTNER,
      targetId: partnerId,
      partnerId,
      previous: { ...previous },
      current: { pendingDays: partner.pendingDays, birthdayBonusPoints: partner.birthdayBonusPoints },
    });
    return partner;
  });
}
