import { Field, ID, InputType, Int } from 'type-graphql';
import { Connection } from '../../graphql/connection';
import { Reward } from './reward.entity';

export const RewardConnection = Connection(Reward, 'Reward');

@InputType('RewardInput', {
  description: 'No id: a new reward. With id: an update; omitted optional fields keep their value, null clears them.',
})
export class RewardInput {
  @Field(() => ID, { nullable: true, description: 'The reward to update; omit to create one' })
  id?: string | null;

  @Field(() => String, { description: '1 to 255 characters' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'At most 2000 characters' })
  description?: string | null;

  @Field(() => String, { nullable: true, description: '1 to 64 characters, e.g. "Flights"' })
  category?: string | null;

  @Field(() => Int, { description: 'Points per unit, 1 to 10,000,000 (MAX_POINTS_PER_TRANSACTION; a redemption of several units too)' })
  pointsCost!: number;

  @Field(() => Int, { nullable: true, description: 'Units available, 0 to 1,000,000,000; null means unlimited' })
  stock?: number | null;

  @Field(() => ID, { nullable: true, description: 'Only members of this tier or above may redeem it' })
  minTierId?: string | null;

  @Field(() => Int, { nullable: true, description: 'Codes redeemed from now on are valid this many days, 1 to 3650; null: no expiry' })
  validDays?: number | null;

  @Field(() => Boolean, {
    nullable: true,
    defaultValue: true,
    description: 'Listed in the catalog. An update sets it too: pass false to keep a reward hidden.',
  })
  active?: boolean | null;

  @Field(() => ID, { nullable: true, description: 'Admins: the partner the reward belongs to. A partner key omits it or names itself.' })
  partnerId?: string | null;
}

@InputType('CatalogFilter', { description: 'All given conditions must hold' })
export class CatalogFilterInput {
  @Field(() => ID, { nullable: true })
  partnerId?: string | null;

  @Field(() => String, { nullable: true, description: 'Exact category, ignoring case' })
  category?: string | null;

  @Field(() => Int, { nullable: true })
  maxPointsCost?: number | null;

  @Field(() => ID, {
    nullable: true,
    description:
      'A member id: only rewards it could redeem now: its available balance covers the cost, its tier reaches minTier and stock is not 0 (needs access to that member)',
  })
  affordableFor?: string | null;

  @Field(() => String, { nullable: true, description: 'Text found in the name or description, ignoring case; % and _ match literally' })
  search?: string | null;
}
