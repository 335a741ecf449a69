import { Field, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { DecimalScalar } from '../../graphql/scalars';

export enum TierDowngradePolicy {
  ROLLING_12_MONTHS = 'ROLLING_12_MONTHS',
  CALENDAR_YEAR = 'CALENDAR_YEAR',
  NEVER = 'NEVER',
}
registerEnumType(TierDowngradePolicy, {
  name: 'TierDowngradePolicy',
  description:
    'How the tier evaluation judges a member: ROLLING_12_MONTHS, qualifying points of the last 12 months; CALENDAR_YEAR, the better of this and last calendar year (UTC); NEVER, no downgrades',
});

@ObjectType({ simpleResolvers: true, description: "The program's lifecycle settings (one set for the whole coalition)" })
export class ProgramSettings {
  @Field(() => Int, { nullable: true, description: 'Each lot expires this many months after it was earned; null: points never expire' })
  pointsExpireAfterMonths!: number | null;

  @Field(() => Boolean, {
    description: "Activity keeps points alive: each earn moves the expiry of all the member's unexpired lots to at least now + pointsExpireAfterMonths",
  })
  extendExpiryOnActivity!: boolean;

  @Field(() => Int, { description: "Coalition-funded points on a member's birthday, once a year (0: off)" })
  birthdayBonusPoints!: number;

  @Field(() => Int, {
    description: "Coalition-funded points to both referrer and referred on the referred member's first earn of at least referralMinimumPoints (0: off)",
  })
  referralBonusPoints!: number;

  @Field(() => Int, {
    description:
      "The least an earn must be worth (in points) to count as the referred member's first purchase; smaller earns neither give the referral bonus nor use it up. At least 1; default 1",
  })
  referralMinimumPoints!: number;

  @Field(() => DecimalScalar, {
    description: 'The largest share of a bill points may pay at a till (payWithPoints), above 0 up to 1; default 1 (the whole bill)',
  })
  maxPointsPaymentShare!: string;

  @Field(() => Int, { description: 'The fewest points one payWithPoints may spend; default 1' })
  minPointsPerPayment!: number;

  @Field(() => Int, { description: 'Transfers a member may send in a calendar month (UTC); default 2' })
  transfersPerMonth!: number;

  @Field(() => Int, { description: 'Points a member may transfer in a calendar month (UTC); default 5000' })
  transferPointsPerMonth!: number;

  @Field(() => Int, { description: 'The most points one adjustPoints by support staff may move (either way); default 10000' })
  supportAdjustmentLimit!: number;

  @Field(() => TierDowngradePolicy, { description: 'What the scheduled tier evaluation downgrades by; default ROLLING_12_MONTHS' })
  tierDowngradePolicy!: TierDowngradePolicy;

  @Field(() => Boolean, {
    description: 'A member due for a lower tier falls one tier per evaluation, not straight to the tier it qualifies for; default false',
  })
  tierDowngradeOneStep!: boolean;

  @Field(() => Date)
  updatedAt!: Date;
}

@InputType()
export class ProgramSettingsInput {
  @Field(() => Int, { nullable: true, description: '1 to 120; null: points never expire (applies to lots earned from now on)' })
  pointsExpireAfterMonths?: number | null;

  @Field(() => Boolean, { nullable: true })
  extendExpiryOnActivity?: boolean;

  @Field(() => Int, { nullable: true })
  birthdayBonusPoints?: number;

  @Field(() => Int, { nullable: true })
  referralBonusPoints?: number;

  @Field(() => Int, { nullable: true, description: '1 to 1000000' })
  referralMinimumPoints?: number;

  @Field(() => DecimalScalar, { nullable: true, description: 'Above 0, at most 1, up to 4 decimal places (e.g. "0.5": points pay at most half a bill)' })
  maxPointsPaymentShare?: string;

  @Field(() => Int, { nullable: true, description: '1 to 10000000' })
  minPointsPerPayment?: number;

  @Field(() => Int, { nullable: true, description: '0 (no transfers) to 1000' })
  transfersPerMonth?: number;

  @Field(() => Int, { nullable: true, description: '0 to 10000000' })
  transferPointsPerMonth?: number;

  @Field(() => Int, { nullable: true, description: '0 to 10000000' })
  supportAdjustmentLimit?: number;

  @Field(() => TierDowngradePolicy, { nullable: true })
  tierDowngradePolicy?: TierDowngradePolicy;

  @Field(() => Boolean, { nullable: true })
  tierDowngradeOneStep?: boolean;
}

@ObjectType({ simpleResolvers: true, description: 'Points expiring on one day' })
export class ExpiringPoints {
  @Field(() => Int)
  points!: number;

  @Field(() => Date, { description: 'When the first of them expires (lots expiring the same UTC day are grouped)' })
  expiresAt!: Date;
}
