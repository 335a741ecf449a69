// Paid memberships. Payment happens outside the gateway: the partner that took it records the
// external reference. While active (not cancelled, period not over) the plan's multiplier adds
// MEMBERSHIP points to every earn, funded by the coalition (it sells the plan).
import type { Pool } from '../../db/sql';
import { badInput, forbidden, notFound } from '../../errors/domain-error';
import { requireId } from '../../errors/ids';
import { requireText } from '../../errors/text';
import { Exact, currencyDigits, isCurrencyCode } from '../../money/decimal';
import { Db, query, queryOne } from '../../db/sql';
import { withTransaction } from '../../db/transaction';
import type { Caller } from '../auth/viewer';
import { callerScope } from '../auth/viewer';
import { Capability, requireActivePartnerOrStaff, requireLinkedPartner } from '../auth/policy';
import { isLinked } from '../linking/partner-link.service';
import { claimKey, recordResult, requestHash, validKey } from '../ledger/idempotency';
import { lockWallet } from '../ledger/wallet';
import { AuditAction, AuditActor, AuditTargetType, recordAudit } from '../audit/audit-trail';
import { MEMBERSHIP_COLUMNS, Membership, MembershipPlan, MembershipPlanInput, PLAN_COLUMNS } from './membership.types';

export interface StartMembership {
  memberId: string;
  planId: string;
  externalPaymentRef: string;
  idempotencyKey: string;
}

/** The live membership (plan and multiplier) of the member `memberExpr` names, for an earn. */
export function membershipForEarn(memberExpr: string): string {
  return `SELECT p.id AS "planId", p.earn_multiplier::text AS multiplier FROM membership ms JOIN membership_plan p ON p.id = ms.plan_id
          WHERE ms.member_id = ${memberExpr} AND ms.status = 'ACTIVE' AND ms.current_period_end > now() LIMIT 1`;
}

export class MembershipService {
  constructor(private readonly db: Pool) {}

  async createPlan(input: MembershipPlanInput, actor: AuditActor = { kind: 'ADMIN' }): Promise<MembershipPlan> {
    const name = requireText(input.name.trim(), 'input.name');
    if (name.length < 1 || name.length > 255) throw badInput('input.name', 'must be 1 to 255 characters');
    const currencyCode = input.currencyCode.trim().toUpperCase();
    if (!isCurrencyCode(currencyCode)) throw badInput('input.currencyCode', `"${input.currencyCode}" is not an ISO 4217 currency code`);
    const price = new Exact(input.price);
    if (price.lt(0) || price.decimalPlaces() > (currencyDigits(currencyCode) ?? 2)) throw badInput('input.price', "must be ≥ 0 with the currency's decimals");
    if (!Number.isInteger(input.periodMonths) || input.periodMonths < 1 || input.periodMonths > 36) throw badInput('input.periodMonths', 'must be 1 to 36');
    const multiplier = new Exact(input.earnMultiplier);
    if (multiplier.lt(1) || multiplier.gt(10)) throw badInput('input.earnMultiplier', 'must be from 1 to 10');
    return withTransaction(this.db, async (m) => {
      const plan = (await queryOne<MembershipPlan>(
        m,
        `INSERT INTO membership_plan (name, price, currency_code, period_months, earn_multiplier) VALUES ($1, $2, $3, $4, $5) RETURNING ${PLAN_COLUMNS}`,
        [name, price.toString(), currencyCode, input.periodMonths, multiplier.toString()],
      ))!;
      await recordAudit(m, {
        actor,
        action: AuditAction.MEMBERSHIP_PLAN_CREATED,
        targetType: AuditTargetType.MEMBERSHIP_PLAN,
        targetId: plan.id,
        partnerId: null,
        previous: null,
        current: { ...plan },
      });
      return plan;
    });
  }

  async plans(): Promise<MembershipPlan[]> {
    return query<MembershipPlan>(this.db, `SELECT ${PLAN_COLUMNS} FROM membership_plan WHERE active ORDER BY seq`);
  }

  async plansByIds(ids: readonly string[]): Promise<MembershipPlan[]> {
    return query<MembershipPlan>(this.db, `SELECT ${PLAN_COLUMNS} FROM membership_plan WHERE id = ANY($1::uuid[])`, [ids]);
  }

  /** Starts a membership, or renews the same plan for one more period from the end of the current one. */
  async start(caller: Caller, input: StartMembership): Promise<Membership> {
    const manager = requireActivePartnerOrStaff(caller, Capability.SERVE_MEMBERS);
    const memberId = requireId(input.memberId, 'input.memberId');
    const planId = requireId(input.planId, 'input.planId');
    const key = validKey(input.idempotencyKey);
    const ref = requireText(input.externalPaymentRef.trim(), 'input.externalPaymentRef');
    if (ref.length < 1 || ref.length > 255) throw badInput('input.externalPaymentRef', 'must be 1 to 255 characters');
    const hash = requestHash('startMembership', { memberId, planId, ref });
    return withTransaction(this.db, async (m) => {
      const claim = await claimKey(m, callerScope(caller), key, 'startMembership', hash);
      if (claim.replay) return (await queryOne<Membership>(m, `SELECT ${MEMBERSHIP_COLUMNS} FROM membership WHERE id = $1`, [claim.resultId]))!;
      const plan = await queryOne<{ periodMonths: number; active: boolean }>(
        m,
        `SELECT period_months AS "periodMonths", active FROM membership_plan WHERE id = $1`,
        [planId],
      );
      if (!plan) throw notFound('input.planId', 'membership plan');
      if (!plan.active) throw badInput('input.planId', 'this plan is no longer offered');
      await lockWallet(m, memberId); // serialise with the member's earns
      const current = await this.current(m, memberId);
      let membership: Membership;
      if (current && current.planId === planId) {
        membership = (await queryOne<Membership>(
          m,
          // The renewal's payment is the one on record now, and so is who took it (partner_id).
          `UPDATE membership SET current_period_end = current_period_end + make_interval(months => $2), external_payment_ref = $3, partner_id = $4
            WHERE id = $1 RETURNING ${MEMBERSHIP_COLUMNS}`,
          [current.id, plan.periodMonths, ref, manager.kind === 'partner' ? manager.partnerId : null],
        ))!;
      } else {
        if (current) throw badInput('input.planId', 'the member already has another active membership; cancel it first');
        // A lapsed (period over) membership row is closed before the new one starts.
        await query(m, `UPDATE membership SET status = 'CANCELLED', cancelled_at = now() WHERE member_id = $1 AND status = 'ACTIVE'`, [memberId]);
        membership = (await queryOne<Membership>(
          m,
          `INSERT INTO membership (member_id, plan_id, partner_id, status, external_payment_ref, current_period_end)
           VALUES ($1, $2, $3, 'ACTIVE', $4, now() + make_interval(months => $5)) RETURNING ${MEMBERSHIP_COLUMNS}`,
          [memberId, planId, manager.kind === 'partner' ? manager.partnerId : null, ref, plan.periodMonths],
        ))!;
      }
      await recordResult(m, callerScope(caller), key, membership.id);
      return membership;
    });
  }

  /** Ends the membership now; its multiplier stops applying at once. */
  async cancel(caller: Caller, memberIdInput: string): Promise<Membership> {
    const memberId = requireId(memberIdInput, 'memberId');
    if (caller.kind === 'member' && caller.memberId !== memberId) throw forbidden('A member may only cancel its own membership');
    if (caller.kind !== 'member') requireActivePartnerOrStaff(caller, Capability.SERVE_MEMBERS);
    // Ending a member's membership is acting for it: a partner key only for a member linked to it.
    await requireLinkedPartner(caller, memberId, (mid, pid) => isLinked(this.db, mid, pid));
    const cancelled = await queryOne<Membership>(
      this.db,
      `UPDATE membership SET status = 'CANCELLED', cancelled_at = now() WHERE member_id = $1 AND status = 'ACTIVE' RETURNING ${MEMBERSHIP_COLUMNS}`,
      [memberId],
    );
    if (!cancelled) throw notFound('memberId', 'active membership');
    return cancelled;
  }

  /** The member's live membership: status ACTIVE and its period not over. */
  async current(db: Db, memberId: string): Promise<Membership | null> {
    return (
      (await queryOne<Membership>(
        db,
        `SELECT ${MEMBERSHIP_COLUMNS} FROM membership WHERE member_id = $1 AND status = 'ACTIVE' AND current_period_end > now()`,
        [memberId],
      )) ?? null
    );
  }

  /** Latest membership of each member (for Member.membership). */
  async latestFor(memberIds: readonly string[]): Promise<Membership[]> {
    return query<Membership>(
      this.db,
      `SELECT DISTINCT ON (member_id) ${MEMBERSHIP_COLUMNS} FROM membership WHERE member_id = ANY($1::uuid[]) ORDER BY member_id, started_at DESC`,
      [memberIds],
    );
  }

  /** The multiplier an earn gets from the member's live membership, if any. */
  static async forEarn(db: Db, memberId: string): Promise<{ planId: string; multiplier: string } | null> {
    return (await queryOne<{ planId: string; multiplier: string }>(db, membershipForEarn('$1'), [memberId])) ?? null;
  }
}
