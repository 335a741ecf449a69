import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { DecimalScalar } from '../../graphql/scalars';

/** "Buy 9 coffees, the 10th is on us": punches per qualifying purchase, a reward when full. */
@ObjectType({ simpleResolvers: true })
export class PunchCard {
  @Field(() => ID)
  id!: string;

  partnerId!: string;
  rewardId!: string;

  @Field(() => String)
  name!: string;

  @Field(() => Int)
  punchesRequired!: number;

  @Field(() => DecimalScalar, { description: 'A purchase punches the card when its amount is at least this' })
  minSpend!: string;

  @Field(() => Boolean)
  active!: boolean;
}

@ObjectType({ simpleResolvers: true })
export class PunchCardProgress {
  punchCardId!: string;

  @Field(() => Int, { description: 'Punches on the current card' })
  punches!: number;

  @Field(() => Int, { description: 'Cards completed (each gave the reward)' })
  completedCount!: number;
}

@InputType()
export class PunchCardInput {
  @Field(() => String)
  name!: string;

  @Field(() => Int)
  punchesRequired!: number;

  @Field(() => ID, { description: "One of the partner's own rewards" })
  rewardId!: string;

  @Field(() => DecimalScalar, { nullable: true, defaultValue: '0' })
  minSpend?: string;

  @Field(() => ID, { nullable: true, description: 'Admins: the partner. Partners: omit or your own id.' })
  partnerId?: string;
}

export const PUNCH_CARD_COLUMNS = `id, partner_id AS "partnerId", reward_id AS "rewardId", name, punches_required AS "punchesRequired",
  min_spend::text AS "minSpend", active`;
