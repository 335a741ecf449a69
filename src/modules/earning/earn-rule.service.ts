import type { Pool, Tx } from '../../db/sql';
import { badInput, forbidden, notFound } from '../../errors/domain-error';
import { requireId } from '../../errors/ids';
import { requireText } from '../../errors/text';
import { Exact } from '../../money/decimal';
import { Db, query, queryOne } from '../../db/sql';
import { withTransaction } from '../../db/transaction';
import type { Caller } from '../auth/viewer';
import { Capability, requireActivePartnerOrStaff } from '../auth/policy';
import { Channel } from '../ledger/points-transaction.entity';
import { AuditAction, AuditTargetType, auditActorOf, recordAudit } from '../audit/audit-trail';
import { EARN_RULE_COLUMNS, EarnRule } from './earn-rule.entity';
import { EarnRuleConditionsInput, EarnRuleKind } from './earning.types';
import type { RuleForEarn } from './points-calculator';
import { MAX_POINTS_PER_TRANSACTION } from '../ledger/transaction-limit';

export interface EarnRuleWrite {
  partnerId?: string | null;
  name: string;
  kind: EarnRuleKind;
  active?: boolean | null;
  multiplier?: string | null;
  percent?: string | null;
  bonusPoints?: number | null;
  maxPoints?: number | null;
  budgetPoints?: number | null;
  perMemberCap?: number | null;
  capPeriodDays?: number | null;
  conditions?: EarnRuleConditionsInput | null;
}

const MAX_BUDGET = 1_000_000_000;

function wholeNumber(value: number | null | undefined, field: string, max: number): number | null {
  if (value === undefined || value === null) return null;
  if (!Number.isInteger(value) || value < 1 || value > max) throw badInput(field, `must be a whole number from 1 to ${max}`);
  return value;
}

/**
 * Rules one owner may have (a partner, or the coalition for the coalition-wide ones), inactive
 * ones included: Partner.earnRules is an unpaginated list, and the cost limit counts it at this.
 */
export const MAX_EARN_RULES_PER_OWNER = 50;

function validTimeZone(tz: string): string {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return tz;
  } catch {
    throw badInput('input.conditions.timeZone', `"${tz.slice(0, 64)}" is not an IANA time zone such as "Asia/Kuala_Lumpur"`);
  }
}

function validConditions(c: EarnRuleConditionsInput | null | undefined): Record<string, unknown> {
  if (!c) return {};
  const out: Record<string, unknown> = {};
  if (c.channels?.length) out.channels = [...new Set(c.channels.filter((x) => Object.values(Channel).includes(x)))];
  if (c.categories?.length) {
    if (c.categories.length > 50) throw badInput('input.conditions.categories', 'at most 50 categories');
    out.categories = c.categories.map((x) => {
      const v = requireText(x.trim(), 'input.conditions.categories');
      if (v.length < 1 || v.length > 64) throw badInput('input.conditions.categories', 'each category must be 1 to 64 characters');
      return v;
    });
  }
  if (c.minSpend !== undefined && c.minSpend !== null) {
    if (new Exact(c.minSpend).lt(0)) throw badInput('input.conditions.minSpend', 'must not be negative');
    out.minSpend = new Exact(c.minSpend).toString();
  }
  if (c.minTierId) out.minTierId = requireId(c.minTierId, 'input.conditions.minTierId');
  if (c.startsAt) out.startsAt = c.startsAt.toISOString();
  if (c.endsAt) out.endsAt = c.endsAt.toISOString();
  if (c.startsAt && c.endsAt && c.endsAt <= c.startsAt) throw badInput('input.conditions.endsAt', 'must be after startsAt');
  if (c.daysOfWeek?.length) {
    if (c.daysOfWeek.some((d) => !Number.isInteger(d) || d < 1 || d > 7)) throw badInput('input.conditions.daysOfWeek', 'use 1 (Monday) to 7 (Sunday)');
    out.daysOfWeek = [...new Set(c.daysOfWeek)].sort();
  }
  if (c.timeZone) out.timeZone = validTimeZone(c.timeZone);
  return out;
}

function validRule(input: EarnRuleWrite) {
  const name = requireText(input.name.trim(), 'input.name');
  if (name.length < 1 || name.length > 255) throw badInput('input.name', 'must be 1 to 255 characters');
  // Each kind has its one parameter: say what is missing first, then what does not belong.
  const parameter = { MULTIPLIER: 'multiplier', CASHBACK: 'percent', BONUS: 'bonusPoints' } as const;
  const given = (f: (typeof parameter)[EarnRuleKind]) => input[f] !== undefined && input[f] !== null;
  if (!given(parameter[input.kind])) throw badInput(`input.${parameter[input.kind]}`, `required for a ${input.kind} rule`);
  for (const [kind, field] of Object.entries(parameter)) {
    if (kind !== input.kind && given(field)) throw badInput(`input.${field}`, `only for a ${kind} rule`);
  }
  if (input.multiplier != null && (new Exact(input.multiplier).lte(1) || new Exact(input.multiplier).gt(100))) {
    throw badInput('input.multiplier', 'must be more than 1 and at most 100');
  }
  if (input.percent != null && (new Exact(input.percent).lte(0) || new Exact(input.percent).gt(100))) {
    throw badInput('input.percent', 'must be more than 0 and at most 100');
  }
  // No rule may add more to one purchase than one transaction may credit.
  if (input.bonusPoints != null && (!Number.isInteger(input.bonusPoints) || input.bonusPoints < 1 || input.bonusPoints > MAX_POINTS_PER_TRANSACTION)) {
    throw badInput('input.bonusPoints', `must be a whole number from 1 to ${MAX_POINTS_PER_TRANSACTION}`);
  }
  if (input.maxPoints != null && (!Number.isInteger(input.maxPoints) || input.maxPoints < 1 || input.maxPoints > MAX_POINTS_PER_TRANSACTION)) {
    throw badInput('input.maxPoints', `must be a whole number from 1 to ${MAX_POINTS_PER_TRANSACTION}`);
  }
  const budgetPoints = wholeNumber(input.budgetPoints, 'input.budgetPoints', MAX_BUDGET);
  const perMemberCap = wholeNumber(input.perMemberCap, 'input.perMemberCap', MAX_POINTS_PER_TRANSACTION);
  const capPeriodDays = wholeNumber(input.capPeriodDays, 'input.capPeriodDays', 3660);
  if (capPeriodDays !== null && perMemberCap === null) throw badInput('input.capPeriodDays', 'only with perMemberCap');
  return {
    name,
    kind: input.kind,
    budgetPoints,
    perMemberCap,
    capPeriodDays,
    active: input.active ?? true,
    multiplier: input.multiplier != null ? new Exact(input.multiplier).toString() : null,
    percent: input.percent != null ? new Exact(input.percent).toString() : null,
    bonusPoints: input.bonusPoints ?? null,
    maxPoints: input.maxPoints ?? null,
    conditions: validConditions(input.conditions),
  };
}

/**
 * The active rules that may apply to purchases at the partner(s) `partnerMatch` selects (e.g.
 * "= $1", or "= ANY($1::uuid[])" for a batch of earns), coalition-wide ones included.
 */
export function rulesForEarn(partnerMatch: string): string {
  return `SELECT r.seq, r.id, r.partner_id AS "partnerId", r.kind, r.multiplier::text AS multiplier, r.percent::text AS percent,
              r.bonus_points AS "bonusPoints", r.max_points AS "maxPoints", r.conditions, t.rank AS "minTierRank",
              r.budget_points AS "budgetPoints", r.per_member_cap AS "perMemberCap",
              -- The cap period now falls in: windows of cap_period_days from the rule's creation (or its whole life).
              CASE WHEN r.per_member_cap IS NOT NULL THEN
                CASE WHEN r.cap_period_days IS NULL THEN r.created_at
                     ELSE r.created_at + make_interval(days => r.cap_period_days * floor(extract(epoch FROM now() - r.created_at) / (r.cap_period_days * 86400.0))::int)
                END END AS "capPeriodStart"
         FROM earn_rule r LEFT JOIN tier t ON t.id = (r.conditions->>'minTierId')::uuid
        WHERE r.active AND (r.partner_id ${partnerMatch} OR r.partner_id IS NULL)`;
}

/** A rule's definition in the column order both the insert and the update write ($2 onwards). */
function ruleValues(rule: ReturnType<typeof validRule>): unknown[] {
  return [
    rule.name,
    rule.kind,
    rule.active,
    rule.multiplier,
    rule.percent,
    rule.bonusPoints,
    rule.maxPoints,
    rule.conditions,
    rule.budgetPoints,
    rule.perMemberCap,
    rule.capPeriodDays,
  ];
}

export class EarnRuleService {
  constructor(private readonly db: Pool) {}

  /** A partner's own rule, or (admin, no partnerId) a coalition-wide one. */
  async create(caller: Caller, input: EarnRuleWrite): Promise<EarnRule> {
    const partnerId = this.owner(caller, input.partnerId);
    const rule = validRule(input);
    return withTransaction(this.db, async (m) => {
      if (rule.conditions.minTierId) await this.requireTier(m, rule.conditions.minTierId as string);
      if (partnerId && !(await queryOne(m, `SELECT 1 FROM partner WHERE id = $1 AND NOT is_coalition`, [partnerId]))) {
        throw notFound('input.partnerId', 'partner');
      }
      // One creation per owner at a time, so two concurrent ones cannot both pass the count.
      await query(m, `SELECT pg_advisory_xact_lock(hashtext('earn_rule'), hashtext($1))`, [partnerId ?? 'coalition']);
      const [{ n }] = await query<{ n: number }>(m, `SELECT count(*)::int AS n FROM earn_rule WHERE partner_id IS NOT DISTINCT FROM $1`, [partnerId]);
      if (n >= MAX_EARN_RULES_PER_OWNER) {
        throw badInput(
          'input.partnerId',
          `${partnerId ? 'this partner has' : 'the coalition has'} ${MAX_EARN_RULES_PER_OWNER} earn rules, the most it may have: change one (updateEarnRule) instead`,
        );
      }
      const created = (await queryOne<EarnRule>(
        m,
        `INSERT INTO earn_rule (partner_id, name, kind, active, multiplier, percent, bonus_points, max_points, conditions, budget_points, per_member_cap, cap_period_days)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING ${EARN_RULE_COLUMNS}`,
        [partnerId, ...ruleValues(rule)],
      ))!;
      await recordAudit(m, {
        actor: auditActorOf(requireActivePartnerOrStaff(caller, Capability.MANAGE_CATALOG)),
        action: AuditAction.EARN_RULE_CREATED,
        targetType: AuditTargetType.EARN_RULE,
        targetId: created.id,
        partnerId,
        previous: null,
        current: rule,
      });
      return created;
    });
  }

  /** Replaces the rule's definition; its owner never changes. */
  async update(caller: Caller, idInput: string, input: EarnRuleWrite): Promise<EarnRule> {
    const id = requireId(idInput, 'id');
    const manager = requireActivePartnerOrStaff(caller, Capability.MANAGE_CATALOG);
    const rule = validRule(input);
    return withTransaction(this.db, async (m) => {
      const existing = await queryOne<EarnRule>(m, `SELECT ${EARN_RULE_COLUMNS} FROM earn_rule WHERE id = $1 FOR UPDATE`, [id]);
      if (!existing) throw notFound('id', 'earn rule');
      if (manager.kind === 'partner' && existing.partnerId !== manager.partnerId) throw forbidden('A partner may only change its own rules', 'id');
      if (input.partnerId && input.partnerId !== existing.partnerId) throw badInput('input.partnerId', 'a rule cannot move to another partner');
      if (rule.conditions.minTierId) await this.requireTier(m, rule.conditions.minTierId as string);
      if (rule.budgetPoints !== null && rule.budgetPoints < existing.budgetUsed) {
        throw badInput('input.budgetPoints', `this campaign has already given ${existing.budgetUsed} points`, { budgetUsed: existing.budgetUsed });
      }
      const updated = (await queryOne<EarnRule>(
        m,
        `UPDATE earn_rule SET name = $2, kind = $3, active = $4, multiplier = $5, percent = $6, bonus_points = $7, max_points = $8,
                conditions = $9, budget_points = $10, per_member_cap = $11, cap_period_days = $12, updated_at = now() WHERE id = $1 RETURNING ${EARN_RULE_COLUMNS}`,
        [id, ...ruleValues(rule)],
      ))!;
      const { seq: _a, createdAt: _b, ...previous } = existing;
      await recordAudit(m, {
        actor: auditActorOf(manager),
        action: AuditAction.EARN_RULE_CHANGED,
        targetType: AuditTargetType.EARN_RULE,
        targetId: id,
        partnerId: existing.partnerId,
        previous: previous as unknown as Record<string, unknown>,
        current: rule,
      });
      return updated;
    });
  }

  /** Rules of a partner (partnerId) or the coalition-wide ones (null). */
  async list(partnerId: string | null, includeInactive: boolean): Promise<EarnRule[]> {
    return query<EarnRule>(this.db, `SELECT ${EARN_RULE_COLUMNS} FROM earn_rule WHERE partner_id IS NOT DISTINCT FROM $1 AND ($2 OR active) ORDER BY seq`, [
      partnerId,
      includeInactive,
    ]);
  }

  /** Every rule of each partner, inactive ones included (Partner.earnRules filters per viewer), in one query. */
  async forPartners(partnerIds: readonly string[]): Promise<EarnRule[]> {
    return query<EarnRule>(this.db, `SELECT ${EARN_RULE_COLUMNS} FROM earn_rule WHERE partner_id = ANY($1::uuid[]) ORDER BY seq`, [partnerIds]);
  }

  /** Every active rule that may apply to a purchase at this partner, in one query. */
  static async forPurchase(db: Db, partnerId: string): Promise<RuleForEarn[]> {
    return query<RuleForEarn>(db, `${rulesForEarn('= $1')} ORDER BY r.seq`, [partnerId]);
  }

  private owner(caller: Caller, inputPartnerId: string | null | undefined): string | null {
    const manager = requireActivePartnerOrStaff(caller, Capability.MANAGE_CATALOG);
    if (manager.kind === 'partner') {
      if (inputPartnerId && inputPartnerId !== manager.partnerId) throw forbidden('input.partnerId: a partner manages only its own rules', 'input.partnerId');
      return manager.partnerId;
    }
    return inputPartnerId ? requireId(inputPartnerId, 'input.partnerId') : null;
  }

  private async requireTier(m: Tx, tierId: string) {
    if (!(await queryOne(m, `SELECT 1 FROM tier WHERE id = $1`, [tierId]))) throw notFound('input.conditions.minTierId', 'tier');
  }
}
