import { Field, ID, Int, ObjectType } from 'type-graphql';
import { DecimalScalar } from '../../graphql/scalars';
import { EarnRuleConditions, EarnRuleKind } from './earning.types';

/** A partner's (or the coalition's) way of giving extra points: a campaign, cashback or bonus. */
@ObjectType({ simpleResolvers: true })
export class EarnRule {
  @Field(() => ID)
  id!: string;

  seq!: number;

  partnerId!: string | null;

  @Field(() => String)
  name!: string;

  @Field(() => EarnRuleKind)
  kind!: EarnRuleKind;

  @Field(() => Boolean)
  active!: boolean;

  @Field(() => DecimalScalar, { nullable: true })
  multiplier!: string | null;

  @Field(() => DecimalScalar, { nullable: true })
  percent!: string | null;

  @Field(() => Int, { nullable: true })
  bonusPoints!: number | null;

  @Field(() => Int, { nullable: true })
  maxPoints!: number | null;

  @Field(() => Int, { nullable: true, description: 'The most points the campaign may give in all; null: no budget' })
  budgetPoints!: number | null;

  @Field(() => Int, { description: 'Points a budgeted rule has given so far, less those refunds gave back (0 for a rule without a budget)' })
  budgetUsed!: number;

  @Field(() => Int, { nullable: true, description: 'The most points the rule gives one member per cap period' })
  perMemberCap!: number | null;

  @Field(() => Int, { nullable: true, description: "perMemberCap's period in days from the rule's creation; null: the campaign's whole life" })
  capPeriodDays!: number | null;

  @Field(() => EarnRuleConditions)
  conditions!: EarnRuleConditions;

  @Field(() => Date)
  createdAt!: Date;
}

export const EARN_RULE_COLUMNS = `id, seq, partner_id AS "partnerId", name, kind, active, multiplier::text AS multiplier,
  percent::text AS percent, bonus_points AS "bonusPoints", max_points AS "maxPoints", conditions, created_at AS "createdAt",
  budget_points AS "budgetPoints", budget_used AS "budgetUsed", per_member_cap AS "perMemberCap", cap_period_days AS "capPeriodDays"`;
