import { Ctx, Query, Resolver } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { Tier } from './tier.entity';
import { ListSize } from '../../graphql/list-size';

@Resolver(() => Tier)
export class TierResolver {
  @Query(() => [Tier], { description: 'The tier ladder, lowest first (public)' })
  @ListSize({ measured: true })
  tiers(@Ctx() ctx: Context) {
    return ctx.loaders.allTiers();
  }
}
