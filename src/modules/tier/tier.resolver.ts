import { Ctx, Query, Resolver } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { Tier } from './tier.entity';

@Resolver(() => Tier)
export class TierResolver {
  @Query(() => [Tier], { description: 'The tier ladder, lowest first (public)' })
  tiers(@Ctx() ctx: Context) {
    return ctx.loaders.allTiers();
  }
}
