import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { DecimalScalar } from '../../graphql/scalars';
import { ListSize } from '../../graphql/list-size';
import { Channel } from '../ledger/points-transaction.entity';

export enum EarnRuleKind {
  MULTIPLIER = 'MULTIPLIER',
  CASHBACK = 'CASHBACK',
  BONUS = 'BONUS',
}
registerEnumType(EarnRuleKind, { name: 'EarnRuleKind', description: 'MULTIPLIER: ×n base points; CASHBACK: % of spend back as points; BONUS: fixed points' });

export enum PointsSource {
  BASE = 'BASE',
  TIER = 'TIER',
  MEMBERSHIP = 'MEMBERSHIP',
  CAMPAIGN = 'CAMPAIGN',
  CASHBACK = 'CASHBACK',
  BONUS = 'BONUS',
  PUNCH_CARD = 'PUNCH_CARD',
  REDEMPTION = 'REDEMPTION',
  PAYMENT = 'PAYMENT',
  REVERSAL = 'REVERSAL',
  ADJUSTMENT = 'ADJUSTMENT',
  EXPIRY = 'EXPIRY',
  BIRTHDAY = 'BIRTHDAY',
  REFERRAL = 'REFERRAL',
  CHALLENGE = 'CHALLENGE',
  /** A survey answered (insight/survey): funded by the survey's owner. */
  SURVEY = 'SURVEY',
}
registerEnumType(PointsSource, { name: 'PointsSource' });

export enum Funder {
  PARTNER = 'PARTNER',
  COALITION = 'COALITION',
}
registerEnumType(Funder, { name: 'Funder', description: 'Who issues (and pays for) the points: the partner, or the coalition itself' });

/** One reason a transaction moved points; a transaction's components add up to its points. */
@ObjectType({ simpleResolvers: true })
export class PointsComponent {
  @Field(() => PointsSource)
  source!: PointsSource;

  @Field(() => ID, { nullable: true, description: 'The earn rule, membership plan or punch card behind it' })
  ruleId!: string | null;

  @Field(() => Int)
  points!: number;

  @Field(() => Funder, { nullable: true })
  funder!: Funder | null;
}

@InputType()
export class PurchaseItemInput {
  @Field(() => String)
  sku!: string;

  @Field(() => String, { nullable: true })
  category?: string;

  @Field(() => Int)
  quantity!: number;

  @Field(() => DecimalScalar, { description: 'Line total (all units), in the purchase currency' })
  amount!: string;

  @Field(() => Boolean, { nullable: true, description: "An upsell line (a larger size, an add-on): counted in programMetrics' upsellRatio" })
  upsell?: boolean;
}

// Lists of leaves, bounded when the rule is written (3 channels, 50 categories, 7 days): counted by
// their real length.
@ObjectType({ simpleResolvers: true })
export class EarnRuleConditions {
  @Field(() => [Channel], { nullable: true })
  @ListSize({ measured: true })
  channels?: Channel[];

  @Field(() => [String], { nullable: true, description: 'Only items in these categories count, and only their amounts' })
  @ListSize({ measured: true })
  categories?: string[];

  @Field(() => DecimalScalar, { nullable: true, description: 'Minimum purchase amount' })
  minSpend?: string;

  minTierId?: string;

  @Field(() => Date, { nullable: true })
  startsAt?: Date;

  @Field(() => Date, { nullable: true, description: 'Exclusive' })
  endsAt?: Date;

  @Field(() => [Int], { nullable: true, description: 'ISO days of week, 1 = Monday … 7 = Sunday, in timeZone' })
  @ListSize({ measured: true })
  daysOfWeek?: number[];

  @Field(() => String, { nullable: true, description: 'IANA time zone for daysOfWeek (default UTC)' })
  timeZone?: string;
}

@InputType()
export class EarnRuleConditionsInput {
  @Field(() => [Channel], { nullable: true })
  channels?: Channel[];

  @Field(() => [String], { nullable: true })
  categories?: string[];

  @Field(() => DecimalScalar, { nullable: true })
  minSpend?: string;

  @Field(() => ID, { nullable: true })
  minTierId?: string;

  @Field(() => Date, { nullable: true })
  startsAt?: Date;

  @Field(() => Date, { nullable: true })
  endsAt?: Date;

  @Field(() => [Int], { nullable: true })
  daysOfWeek?: number[];

  @Field(() => String, { nullable: true })
  timeZone?: string;
}

@InputType()
export class EarnRuleInput {
  @Field(() => ID, { nullable: true, description: 'Admins: the partner the rule belongs to; omit for a coalition-wide rule. Partners: omit or your own id.' })
  partnerId?: string;

  @Field(() => String)
  name!: string;

  @Field(() => EarnRuleKind)
  kind!: EarnRuleKind;

  @Field(() => Boolean, { nullable: true, defaultValue: true })
  active?: boolean;

  @Field(() => DecimalScalar, { nullable: true, description: 'MULTIPLIER: e.g. "2" for double points (> 1)' })
  multiplier?: string;

  @Field(() => DecimalScalar, { nullable: true, description: 'CASHBACK: percent of the (eligible) spend, e.g. "5"' })
  percent?: string;

  @Field(() => Int, { nullable: true, description: 'BONUS: points per qualifying purchase' })
  bonusPoints?: number;

  @Field(() => Int, { nullable: true, description: 'Cap on the points this rule adds to one purchase' })
  maxPoints?: number;

  @Field(() => Int, {
    nullable: true,
    description:
      'The most points the campaign may give in all (1 to 1000000000); when spent the rule stops applying (the last award may be partial). Omitted: no budget',
  })
  budgetPoints?: number;

  @Field(() => Int, { nullable: true, description: 'The most points this rule gives one member per cap period (1 to 10000000)' })
  perMemberCap?: number;

  @Field(() => Int, {
    nullable: true,
    description: "perMemberCap's period in days (1 to 3660), counted from the rule's creation; omitted: the campaign's whole life",
  })
  capPeriodDays?: number;

  @Field(() => EarnRuleConditionsInput, { nullable: true })
  conditions?: EarnRuleConditionsInput;
}
