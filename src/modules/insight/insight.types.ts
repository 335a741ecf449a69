import { Field, Int, ObjectType } from 'type-graphql';
import { DecimalScalar } from '../../graphql/scalars';
import { ListSize } from '../../graphql/list-size';
import { Money } from '../../graphql/money.type';

const RATE = 'a fraction from 0 to 1, null without data';

@ObjectType({
  simpleResolvers: true,
  description:
    'The loyalty metrics of [from, to) (whole UTC days), coalition-wide or for one partner (its members\' activity at that partner). Rates are fractions from 0 to 1 (a Decimal string, 4 decimal places, half up); null where the period has no data to compute one. "Active": a purchase, redemption, payment with points or survey response in the period',
})
export class ProgramMetrics {
  @Field(() => Date)
  from!: Date;

  @Field(() => Date)
  to!: Date;

  partnerId!: string | null;

  @Field(() => Int, { description: 'Members enrolled by `to` (a partner: enrolled there, or active there, by `to`)' })
  members!: number;

  @Field(() => Int, { description: 'Members with at least one purchase, redemption, payment or survey response in the period' })
  activeMembers!: number;

  @Field(() => Int, { description: 'Members enrolled in the period (a partner: whose first contact with it was in the period)' })
  newMembers!: number;

  @Field(() => DecimalScalar, {
    nullable: true,
    description: `(E − N) / S: S active in the previous period (for a calendar month, the month before; any other period, as many days before), E active in this one, N active in this one and not the previous; ${RATE}`,
  })
  retentionRate!: string | null;

  @Field(() => DecimalScalar, { nullable: true, description: `lost / S: lost = active in the previous period and not in this one; ${RATE}` })
  churnRate!: string | null;

  @Field(() => DecimalScalar, { nullable: true, description: `Members with more than one purchase / members with at least one; ${RATE}` })
  repeatPurchaseRate!: string | null;

  @Field(() => DecimalScalar, { nullable: true, description: `activeMembers / members; ${RATE}` })
  participationRate!: string | null;

  @Field(() => DecimalScalar, {
    nullable: true,
    description: `Members with a non-purchase action (redemption or payment with points, survey response, challenge completed, referral made, consent granted) / members; ${RATE}`,
  })
  activeEngagementRate!: string | null;

  @Field(() => DecimalScalar, {
    nullable: true,
    description: `Revenue of purchase lines marked upsell / all purchase revenue, each purchase valued at its partner's earn rate so currencies add up; ${RATE}`,
  })
  upsellRatio!: string | null;

  @Field(() => DecimalScalar, {
    nullable: true,
    description: `Purchasers who bought at two or more partners / purchasers (a partner: its purchasers who also bought at another partner); ${RATE}`,
  })
  crossPartnerRate!: string | null;

  @Field(() => DecimalScalar, {
    nullable: true,
    description: `Points redeemed (rewards and payments) / points issued in the period; null when none were issued`,
  })
  redemptionRate!: string | null;

  @Field(() => DecimalScalar, { nullable: true, description: '% promoters (NPS 9–10) − % detractors (0–6), from −100 to 100; null without NPS answers' })
  netPromoterScore!: string | null;

  @Field(() => DecimalScalar, { nullable: true, description: `Share of CSAT answers scoring 4 or 5; ${RATE}` })
  customerSatisfactionScore!: string | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'Mean CES score (1–7, 7 = very easy); null without CES answers' })
  customerEffortScore!: string | null;

  @Field(() => DecimalScalar, {
    nullable: true,
    description: '(mean NPS + mean REPURCHASE + (mean CSAT − 1) × 2.5) / 3, a 0–10 index; null unless all three kinds were answered',
  })
  customerLoyaltyIndex!: string | null;

  @Field(() => [Money], {
    description:
      'Per currency: average purchase value × purchases per member per year × average years of membership (at `to`), over the members who bought in that currency in the period; years of 365.25 days',
  })
  @ListSize({ measured: true })
  customerLifetimeValue!: Money[];

  @Field(() => Int, { description: 'Points issued in the period (earns, bonuses and migrated opening balances, less their reversals)' })
  pointsIssued!: number;

  @Field(() => Int, { description: 'Points redeemed in the period (rewards and payments, less those given back)' })
  pointsRedeemed!: number;

  @Field(() => Int)
  pointsExpired!: number;

  @Field(() => Int, {
    description: "What members hold at `to`, the program's liability (a partner: the net of the movements made at it up to `to`)",
  })
  pointsOutstanding!: number;
}
