import { Arg, Args, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { PageArgs } from '../../graphql/connection';
import { Capability, managesPartner, requirePartnerOrStaff } from '../auth/policy';
import { Partner } from '../partner/partner.entity';
import { Reward } from './reward.entity';
import { CatalogFilterInput, RewardConnection, RewardInput } from './catalog.types';

@Resolver(() => Reward)
export class CatalogResolver {
  @Query(() => RewardConnection, {
    description: 'Public: the listed rewards of every active partner, in a stable order (new rewards come last)',
  })
  catalog(
    @Arg('filter', () => CatalogFilterInput, { nullable: true }) filter: CatalogFilterInput | undefined,
    @Args(() => PageArgs) { first, after }: PageArgs,
    @Ctx() ctx: Context,
  ) {
    return ctx.services.catalog.catalog(ctx.viewer, filter, first, after);
  }

  @Mutation(() => Reward, { description: "A partner: create or change its own rewards. An admin: any partner's." })
  upsertReward(@Arg('input', () => RewardInput) input: RewardInput, @Ctx() ctx: Context) {
    return ctx.services.catalog.upsert(requirePartnerOrStaff(ctx.viewer, Capability.MANAGE_CATALOG), input);
  }
}

@Resolver(() => Partner)
export class PartnerRewardsResolver {
  @FieldResolver(() => RewardConnection, {
    description: 'Oldest first. The public sees listed rewards only; the partner itself and admins also see inactive ones.',
  })
  rewards(@Root() partner: Partner, @Args(() => PageArgs) { first, after }: PageArgs, @Ctx() ctx: Context) {
    return ctx.services.catalog.forPartner(partner.id, managesPartner(ctx.viewer, partner.id), first, after);
  }
}
