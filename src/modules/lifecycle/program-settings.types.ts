import { Field, InputType, Int, ObjectType } from 'type-graphql';

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
}

@ObjectType({ simpleResolvers: true, description: 'Points expiring on one day' })
export class ExpiringPoints {
  @Field(() => Int)
  points!: number;

  @Field(() => Date, { description: 'When the first of them expires (lots expiring the same UTC day are grouped)' })
  expiresAt!: Date;
}
