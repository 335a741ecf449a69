import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { DecimalScalar } from '../../graphql/scalars';

/** A status level: reached with qualifying points earned over a rolling 12 months. */
@ObjectType({ simpleResolvers: true })
export class Tier {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => Int, { description: '0 for the base tier; higher is better' })
  rank!: number;

  @Field(() => Int, { description: 'Qualifying points in the last 12 months needed to hold this tier' })
  qualifyingPoints!: number;

  @Field(() => DecimalScalar, { description: 'Earned points are multiplied by this (e.g. "1.25")' })
  earnMultiplier!: string;
}

export const TIER_COLUMNS = `id, name, rank, qualifying_points AS "qualifyingPoints", earn_multiplier::text AS "earnMultiplier"`;

@InputType()
export class TierInput {
  @Field(() => ID, { nullable: true, description: 'The tier to change; omitted: a new tier' })
  id?: string;

  @Field(() => String, { description: '1 to 64 characters, unique' })
  name!: string;

  @Field(() => Int, { description: '0 to 100, unique; higher is better' })
  rank!: number;

  @Field(() => Int, { description: 'Higher ranks need more (strictly); the lowest tier needs 0' })
  qualifyingPoints!: number;

  @Field(() => DecimalScalar, { description: 'Above 0, at most 10, up to 4 decimal places' })
  earnMultiplier!: string;
}
