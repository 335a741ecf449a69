import { Field, ID, Int, ObjectType } from 'type-graphql';

/** Something a member can redeem points for, in one partner's catalog. */
@ObjectType({ simpleResolvers: true })
export class Reward {
  @Field(() => ID)
  id!: string;

  seq!: number;

  partnerId!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String, { nullable: true })
  description!: string | null;

  @Field(() => String, { nullable: true })
  category!: string | null;

  @Field(() => Int)
  pointsCost!: number;

  @Field(() => Int, { nullable: true, description: 'Units left; null means unlimited' })
  stock!: number | null;

  minTierId!: string | null;

  @Field(() => Int, { nullable: true, description: 'A redemption code of this reward is valid this many days (then EXPIRED, points back); null: no expiry' })
  validDays!: number | null;

  @Field(() => Boolean)
  active!: boolean;

  @Field(() => Date)
  createdAt!: Date;
}

export const REWARD_COLUMNS = `id, seq, partner_id AS "partnerId", name, description, category, points_cost AS "pointsCost",
  stock, min_tier_id AS "minTierId", valid_days AS "validDays", active, created_at AS "createdAt"`;
