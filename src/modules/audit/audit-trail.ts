// The audit trail of configuration writes: who (admin, a partner through one of its keys, or the
// system itself), what, on which target, from which value to which. Recorded through the manager
// of the transaction making the change, so an entry exists exactly when the change committed.
import type { Db } from '../../db/sql';
import { query } from '../../db/sql';

export enum AuditAction {
  PARTNER_CREATED = 'PARTNER_CREATED',
  PARTNER_STATUS_CHANGED = 'PARTNER_STATUS_CHANGED',
  API_KEY_CREATED = 'API_KEY_CREATED',
  API_KEY_ROTATED = 'API_KEY_ROTATED',
  API_KEY_REVOKED = 'API_KEY_REVOKED',
  EXCHANGE_RATE_SET = 'EXCHANGE_RATE_SET',
  REWARD_CREATED = 'REWARD_CREATED',
  REWARD_CHANGED = 'REWARD_CHANGED',
  EARN_RULE_CREATED = 'EARN_RULE_CREATED',
  EARN_RULE_CHANGED = 'EARN_RULE_CHANGED',
  PUNCH_CARD_CREATED = 'PUNCH_CARD_CREATED',
  MEMBERSHIP_PLAN_CREATED = 'MEMBERSHIP_PLAN_CREATED',
  PROGRAM_SETTINGS_CHANGED = 'PROGRAM_SETTINGS_CHANGED',
  PARTNER_SETTINGS_CHANGED = 'PARTNER_SETTINGS_CHANGED',
  CHALLENGE_CREATED = 'CHALLENGE_CREATED',
  STAFF_USER_CREATED = 'STAFF_USER_CREATED',
  STAFF_ROLES_CHANGED = 'STAFF_ROLES_CHANGED',
  STAFF_USER_DEACTIVATED = 'STAFF_USER_DEACTIVATED',
  CONSENT_GRANTED = 'CONSENT_GRANTED',
  CONSENT_REVOKED = 'CONSENT_REVOKED',
  /** A staff user read a member's personal data (unmasked email, name or birth date, or a lookup by email). */
  MEMBER_DATA_READ = 'MEMBER_DATA_READ',
  WEBHOOK_ENDPOINT_CREATED = 'WEBHOOK_ENDPOINT_CREATED',
  WEBHOOK_ENDPOINT_ACTIVE_SET = 'WEBHOOK_ENDPOINT_ACTIVE_SET',
  MEMBER_POINTS_ADJUSTED = 'MEMBER_POINTS_ADJUSTED',
  MEMBER_UPDATED = 'MEMBER_UPDATED',
  MEMBER_BLOCKED = 'MEMBER_BLOCKED',
  MEMBER_UNBLOCKED = 'MEMBER_UNBLOCKED',
  MEMBER_MERGED = 'MEMBER_MERGED',
  MEMBER_ERASED = 'MEMBER_ERASED',
  SETTLEMENT_PERIOD_CLOSED = 'SETTLEMENT_PERIOD_CLOSED',
  SURVEY_CREATED = 'SURVEY_CREATED',
  TIER_CREATED = 'TIER_CREATED',
  TIER_CHANGED = 'TIER_CHANGED',
}

export enum AuditTargetType {
  PARTNER = 'PARTNER',
  API_KEY = 'API_KEY',
  EXCHANGE_RATE = 'EXCHANGE_RATE',
  REWARD = 'REWARD',
  EARN_RULE = 'EARN_RULE',
  PUNCH_CARD = 'PUNCH_CARD',
  MEMBERSHIP_PLAN = 'MEMBERSHIP_PLAN',
  /** The program's one settings row: its target id is always PROGRAM_SETTINGS_TARGET_ID. */
  PROGRAM_SETTINGS = 'PROGRAM_SETTINGS',
  CHALLENGE = 'CHALLENGE',
  STAFF_USER = 'STAFF_USER',
  /** Consents and member servicing: the values name what changed, never the member's personal data. */
  MEMBER = 'MEMBER',
  WEBHOOK_ENDPOINT = 'WEBHOOK_ENDPOINT',
  SETTLEMENT_STATEMENT = 'SETTLEMENT_STATEMENT',
  SURVEY = 'SURVEY',
  TIER = 'TIER',
}

export const PROGRAM_SETTINGS_TARGET_ID = 'program';

export type AuditActor =
  /** The break-glass ADMIN_TOKEN. */
  | { kind: 'ADMIN' }
  /** A staff user (staffLogin), named. */
  | { kind: 'STAFF'; staffUserId: string }
  /** A member acting for itself (its consents). */
  | { kind: 'MEMBER'; memberId: string }
  | { kind: 'PARTNER'; partnerId: string; keyPrefix: string }
  /** Start-up work such as the demo seed: no token was involved. */
  | { kind: 'SYSTEM' };

export const SYSTEM_ACTOR: AuditActor = Object.freeze({ kind: 'SYSTEM' });

/**
 * Staff and partners change configuration. Takes the parts of a caller (auth/viewer.ts) it reads,
 * so the trail, which every configuring feature writes to, depends on none of them.
 */
export function auditActorOf(
  caller: { kind: 'staff'; staffUserId: string | null } | { kind: 'partner'; partnerId: string; keyPrefix: string } | { kind: 'member'; memberId: string },
): AuditActor {
  switch (caller.kind) {
    case 'staff':
      return caller.staffUserId === null ? { kind: 'ADMIN' } : { kind: 'STAFF', staffUserId: caller.staffUserId };
    case 'partner':
      return { kind: 'PARTNER', partnerId: caller.partnerId, keyPrefix: caller.keyPrefix };
    case 'member':
      return { kind: 'MEMBER', memberId: caller.memberId };
  }
}

export interface AuditRecord {
  actor: AuditActor;
  action: AuditAction;
  targetType: AuditTargetType;
  targetId: string;
  /** The partner whose configuration changed. */
  partnerId: string | null;
  previous: Record<string, unknown> | null;
  current: Record<string, unknown> | null;
}

export async function recordAudit(m: Db, r: AuditRecord): Promise<void> {
  await query(
    m,
    `INSERT INTO security_audit (actor_kind, actor_partner_id, actor_key_prefix, action, target_type, target_id, partner_id, previous_value, new_value,
                                 actor_staff_user_id, actor_member_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [
      r.actor.kind,
      r.actor.kind === 'PARTNER' ? r.actor.partnerId : null,
      r.actor.kind === 'PARTNER' ? r.actor.keyPrefix : null,
      r.action,
      r.targetType,
      r.targetId,
      r.partnerId,
      r.previous === null ? null : JSON.stringify(r.previous),
      r.current === null ? null : JSON.stringify(r.current),
      r.actor.kind === 'STAFF' ? r.actor.staffUserId : null,
      r.actor.kind === 'MEMBER' ? r.actor.memberId : null,
    ],
  );
}
