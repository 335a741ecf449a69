// Campaign budgets and per-member caps of earn rules. A batch of earns that may use a budgeted
// rule locks that rule's row (after the wallets, in id order, so batches never deadlock) and
// reads what is left of its budget; what each earn's rule components may give is bounded by it
// and by the member's use of the rule in the current cap period (read under the member's wallet
// lock). Earns of one batch use the allowance up in turn, and the batch writes what it used in
// its own transaction: concurrent earns queue on the rule row and never overspend (the table's
// CHECK backs that up). A refund gives the earn's share of each rule back. Rules without a budget
// or a cap cost nothing here: the earn reads their columns in the statement it sends anyway.
import type { Db, Tx } from '../../db/sql';
import { query } from '../../db/sql';
import type { PointsTransaction } from '../ledger/points-transaction.entity';
import type { Component, RuleForEarn } from './points-calculator';

/** What a batch's earns may still get from limited rules; used up earn by earn. */
export interface EarnLimiter {
  /** What the rule may still give this member now; null: no limit. */
  allowance(memberId: string, ruleId: string): number | null;
  /** One earn was worked out (and will be posted): its rule components use the allowance up. */
  consume(memberId: string, breakdown: readonly Component[]): void;
  /** In the batch's transaction, after posting: record what the consumed earns used. */
  record(m: Tx): Promise<void>;
}

const key = (memberId: string, ruleId: string) => `${memberId}:${ruleId}`;

/**
 * The limiter for a batch whose candidate rules are `rules` (null when none is limited).
 * lock: take the budgeted rules' rows (an earn); false for a preview, which writes nothing.
 */
export async function limitRules(db: Db, rules: readonly RuleForEarn[], memberIds: readonly string[], lock: boolean): Promise<EarnLimiter | null> {
  const limited = new Map(rules.filter((r) => r.budgetPoints != null || r.perMemberCap != null).map((r) => [r.id, r]));
  if (limited.size === 0) return null;
  const budgeted = [...limited.values()].filter((r) => r.budgetPoints != null).map((r) => r.id);
  const capped = [...limited.values()].filter((r) => r.perMemberCap != null);
  const budgetLeft = new Map<string, number>();
  if (budgeted.length > 0) {
    const rows = await query<{ id: string; left: number }>(
      db,
      `SELECT id, budget_points - budget_used AS left FROM earn_rule WHERE id = ANY($1::uuid[]) ORDER BY id${lock ? ' FOR UPDATE' : ''}`,
      [budgeted.sort()],
    );
    for (const r of rows) budgetLeft.set(r.id, r.left);
  }
  const memberUsed = new Map<string, number>();
  if (capped.length > 0) {
    const rows = await query<{ ruleId: string; memberId: string; points: number }>(
      db,
      `SELECT u.rule_id AS "ruleId", u.member_id AS "memberId", u.points
         FROM earn_rule_member_usage u JOIN unnest($1::uuid[], $2::timestamptz[]) AS c(rule_id, period_start)
           ON u.rule_id = c.rule_id AND u.period_start = c.period_start
        WHERE u.member_id = ANY($3::uuid[])`,
      [capped.map((r) => r.id), capped.map((r) => r.capPeriodStart), memberIds],
    );
    for (const r of rows) memberUsed.set(key(r.memberId, r.ruleId), r.points);
  }
  const usedByRule = new Map<string, number>();
  const usedByMember = new Map<string, { memberId: string; ruleId: string; points: number }>();
  return {
    allowance(memberId, ruleId) {
      const rule = limited.get(ruleId);
      if (!rule) return null;
      let left: number | null = rule.budgetPoints != null ? Math.max(0, budgetLeft.get(ruleId) ?? 0) : null;
      if (rule.perMemberCap != null) {
        const cap = Math.max(0, rule.perMemberCap - (memberUsed.get(key(memberId, ruleId)) ?? 0));
        left = left === null ? cap : Math.min(left, cap);
      }
      return left;
    },
    consume(memberId, breakdown) {
      for (const c of breakdown) {
        if (!c.ruleId || !limited.has(c.ruleId) || c.points <= 0) continue;
        if (budgetLeft.has(c.ruleId)) budgetLeft.set(c.ruleId, budgetLeft.get(c.ruleId)! - c.points);
        usedByRule.set(c.ruleId, (usedByRule.get(c.ruleId) ?? 0) + c.points);
        if (limited.get(c.ruleId)!.perMemberCap != null) {
          const k = key(memberId, c.ruleId);
          memberUsed.set(k, (memberUsed.get(k) ?? 0) + c.points);
          const u = usedByMember.get(k) ?? { memberId, ruleId: c.ruleId, points: 0 };
          u.points += c.points;
          usedByMember.set(k, u);
        }
      }
    },
    async record(m) {
      const spent = [...usedByRule].filter(([id]) => limited.get(id)!.budgetPoints != null);
      if (spent.length > 0) {
        await query(
          m,
          `UPDATE earn_rule r SET budget_used = r.budget_used + u.points FROM unnest($1::uuid[], $2::bigint[]) AS u(id, points) WHERE r.id = u.id`,
          [spent.map(([id]) => id), spent.map(([, n]) => n)],
        );
      }
      const members = [...usedByMember.values()];
      if (members.length > 0) {
        await query(
          m,
          `INSERT INTO earn_rule_member_usage AS u (rule_id, member_id, period_start, points)
           SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[], $4::bigint[])
           ON CONFLICT (member_id, rule_id, period_start) DO UPDATE SET points = u.points + EXCLUDED.points`,
          [
            members.map((u) => u.ruleId),
            members.map((u) => u.memberId),
            members.map((u) => limited.get(u.ruleId)!.capPeriodStart),
            members.map((u) => u.points),
          ],
        );
      }
    },
  };
}

/**
 * A refund of an earn (`before` → `after` of its points reversed so far): each limited rule that
 * gave it points gets its share back — ⌊rule points × reversed / earn points⌋ on the running
 * total, so partial refunds add up — to its budget and to the member's use in the cap period the
 * earn fell in. The caller holds the member's wallet lock (the rule row is locked after it, as an
 * earn does). Earns that no rule gave points cost nothing.
 */
export async function returnRuleBudget(m: Tx, earn: PointsTransaction, before: number, after: number): Promise<void> {
  const parts = (earn.breakdown ?? []).filter((c) => c.ruleId && c.points > 0 && ['CAMPAIGN', 'CASHBACK', 'BONUS'].includes(c.source));
  if (parts.length === 0 || earn.points <= 0) return;
  const back = parts
    .map((c) => ({
      ruleId: c.ruleId!,
      points: Math.floor((c.points * after) / earn.points) - Math.floor((c.points * before) / earn.points),
    }))
    .filter((b) => b.points > 0);
  if (back.length === 0) return;
  await query(
    m,
    `WITH back AS (SELECT * FROM unnest($1::uuid[], $2::bigint[]) AS b(rule_id, points)),
     rules AS (
       UPDATE earn_rule r SET budget_used = GREATEST(0, r.budget_used - b.points) FROM back b
        WHERE r.id = b.rule_id AND (r.budget_points IS NOT NULL OR r.per_member_cap IS NOT NULL)
        RETURNING r.id, r.per_member_cap, r.cap_period_days, r.created_at, b.points)
     UPDATE earn_rule_member_usage u SET points = GREATEST(0, u.points - r.points) FROM rules r
      WHERE r.per_member_cap IS NOT NULL AND u.member_id = $3 AND u.rule_id = r.id
        AND u.period_start = CASE WHEN r.cap_period_days IS NULL THEN r.created_at
              ELSE r.created_at + make_interval(days => r.cap_period_days * floor(extract(epoch FROM $4::timestamptz - r.created_at) / (r.cap_period_days * 86400.0))::int) END`,
    [back.map((b) => b.ruleId), back.map((b) => b.points), earn.memberId, earn.createdAt],
  );
}
