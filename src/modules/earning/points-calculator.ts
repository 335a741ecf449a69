// How a purchase becomes points, as components that add up to the total. Pure: the earn and
// previewEarn feed it the same loaded data, so a preview always equals the real earn.
//
// Stacking (documented in the README):
//   base       = amount × earnRate (exact)
//   BASE       = ⌊base⌋                                   partner-funded
//   TIER       = ⌊base × tier multiplier⌋ − ⌊base⌋        partner-funded
//   MEMBERSHIP = ⌊base × (plan multiplier − 1)⌋           coalition-funded
//   CAMPAIGN   = ⌊eligible × earnRate × (m − 1)⌋ per matching MULTIPLIER rule
//   CASHBACK   = ⌊eligible × percent / 100 / burnRate⌋ per matching CASHBACK rule
//   BONUS      = bonusPoints per matching BONUS rule
// Multipliers add (each adds its own extra on the base; none compounds another); each rule's
// component is capped by its maxPoints. BASE + TIER is rounded once, so it is exactly
// ⌊amount × earnRate × tier multiplier⌋ (rounding the tier's extra on its own would lose a point,
// e.g. 10.99 × 2.5 at Silver: 27 + 6 instead of 34); every other component is rounded down on
// its own. A budgeted or capped rule gives at most what its budget and the member's cap have
// left (EarnInputs.allowance). A rule is funded by its owner: a partner's rule by that partner, a coalition-wide
// rule by the coalition.
import { Exact, toPointsRoundingDown } from '../../money/decimal';
import type { Channel } from '../ledger/points-transaction.entity';
import { EarnRuleKind, Funder, PointsSource } from './earning.types';

export interface PurchaseItem {
  sku: string;
  category?: string | null;
  quantity: number;
  amount: string;
  upsell?: boolean | null;
}

export interface RuleForEarn {
  id: string;
  partnerId: string | null;
  kind: EarnRuleKind;
  multiplier: string | null;
  percent: string | null;
  bonusPoints: number | null;
  maxPoints: number | null;
  conditions: {
    channels?: string[];
    categories?: string[];
    minSpend?: string;
    startsAt?: string;
    endsAt?: string;
    daysOfWeek?: number[];
    timeZone?: string;
  };
  /** Rank of conditions.minTierId, resolved when the rules are loaded. */
  minTierRank: number | null;
  /** Campaign budget and per-member cap (rule-budget.ts); null: none. */
  budgetPoints?: number | null;
  perMemberCap?: number | null;
  /** The start of the cap period now falls in (with perMemberCap). */
  capPeriodStart?: string | null;
}

export interface EarnInputs {
  amount: string;
  items: PurchaseItem[] | null;
  channel: Channel;
  earnRate: string;
  burnRate: string;
  tierMultiplier: string;
  tierRank: number;
  membership: { planId: string; multiplier: string } | null;
  rules: RuleForEarn[];
  now: Date;
  /** What a budgeted or capped rule may still give this member (rule-budget.ts); null: no limit. */
  allowance?: (ruleId: string) => number | null;
}

export interface Component {
  source: PointsSource;
  ruleId: string | null;
  points: number;
  funder: Funder;
}

const WEEKDAYS: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

/** ISO day of week (1 = Monday) of `now` in an IANA time zone. */
export function isoWeekday(now: Date, timeZone = 'UTC'): number {
  return WEEKDAYS[new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short' }).format(now)]!;
}

/** The part of the purchase a rule applies to; 0 when it does not apply at all. */
function eligibleAmount(rule: RuleForEarn, input: EarnInputs): Exact {
  const c = rule.conditions;
  if (c.channels?.length && !c.channels.includes(input.channel)) return new Exact(0);
  if (c.minSpend && new Exact(input.amount).lt(c.minSpend)) return new Exact(0);
  if (rule.minTierRank !== null && input.tierRank < rule.minTierRank) return new Exact(0);
  if (c.startsAt && input.now < new Date(c.startsAt)) return new Exact(0);
  if (c.endsAt && input.now >= new Date(c.endsAt)) return new Exact(0);
  if (c.daysOfWeek?.length && !c.daysOfWeek.includes(isoWeekday(input.now, c.timeZone))) return new Exact(0);
  if (!c.categories?.length) return new Exact(input.amount);
  const wanted = new Set(c.categories.map((x) => x.toLowerCase()));
  return (input.items ?? []).filter((i) => i.category && wanted.has(i.category.toLowerCase())).reduce((sum, i) => sum.plus(i.amount), new Exact(0));
}

function capped(points: number, max: number | null): number {
  return max !== null ? Math.min(points, max) : points;
}

export function computeEarn(input: EarnInputs): Component[] {
  const base = new Exact(input.amount).times(input.earnRate);
  const basePoints = toPointsRoundingDown(base);
  const components: Component[] = [{ source: PointsSource.BASE, ruleId: null, points: basePoints, funder: Funder.PARTNER }];
  const extra = (multiplier: string) => toPointsRoundingDown(base.times(new Exact(multiplier).minus(1)));
  // Negative for a multiplier below 1, so BASE + TIER is still the tier's own formula.
  const tier = toPointsRoundingDown(base.times(input.tierMultiplier)) - basePoints;
  if (tier !== 0) components.push({ source: PointsSource.TIER, ruleId: null, points: tier, funder: Funder.PARTNER });
  if (input.membership) {
    const points = extra(input.membership.multiplier);
    if (points > 0) components.push({ source: PointsSource.MEMBERSHIP, ruleId: input.membership.planId, points, funder: Funder.COALITION });
  }
  for (const rule of input.rules) {
    const eligible = eligibleAmount(rule, input);
    if (eligible.lte(0)) continue;
    const funder = rule.partnerId === null ? Funder.COALITION : Funder.PARTNER;
    let source: PointsSource;
    let points: number;
    switch (rule.kind) {
      case EarnRuleKind.MULTIPLIER:
        source = PointsSource.CAMPAIGN;
        points = toPointsRoundingDown(eligible.times(input.earnRate).times(new Exact(rule.multiplier!).minus(1)));
        break;
      case EarnRuleKind.CASHBACK:
        source = PointsSource.CASHBACK;
        points = toPointsRoundingDown(eligible.times(rule.percent!).div(100).div(input.burnRate));
        break;
      case EarnRuleKind.BONUS:
        source = PointsSource.BONUS;
        points = rule.bonusPoints!;
        break;
    }
    points = capped(points, rule.maxPoints);
    // A campaign's remaining budget and the member's remaining cap bound it too (0: the rule no longer applies).
    const allowed = input.allowance?.(rule.id) ?? null;
    if (allowed !== null) points = Math.min(points, allowed);
    if (points > 0) components.push({ source, ruleId: rule.id, points, funder });
  }
  return components;
}

export const totalPoints = (components: Component[]) => components.reduce((s, c) => s + c.points, 0);
export const fundedBy = (components: Component[], funder: Funder) => components.filter((c) => c.funder === funder).reduce((s, c) => s + c.points, 0);
