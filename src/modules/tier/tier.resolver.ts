import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { requireCaller } from '../auth/policy';
import { Tier, TierInput } from './tier.entity';
import { ListSize } from '../../graphql/list-size';

@Resolver(() => Tier)
export class TierResolver {
  @Query(() => [Tier], { description: 'The tier ladder, lowest first (public)' })
  @ListSize({ measured: true })
  tiers(@Ctx() ctx: Context) {
    return ctx.loaders.allTiers();
  }

  @Mutation(() => Tier, {
    description:
      'Program managers: add a tier (no id) or change one. The ladder stays ordered (a higher rank needs strictly more qualifying points) and the lowest tier needs 0; audited. Members move on their next earn (up) or the next tier evaluation (down)',
  })
  upsertTier(@Arg('input', () => TierInput) input: TierInput, @Ctx() ctx: Context) {
    return ctx.services.tierLadder.upsert(requireCaller(ctx.viewer), input);
  }
}
