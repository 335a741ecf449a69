import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { Partner } from '../partner/partner.entity';
import { Tier } from '../tier/tier.entity';
import { Reward } from './reward.entity';

@Resolver(() => Reward)
export class RewardResolver {
  @FieldResolver(() => Partner)
  partner(@Root() reward: Reward, @Ctx() ctx: Context) {
    return ctx.loaders.partner.load(reward.partnerId);
  }

  @FieldResolver(() => Tier, { nullable: true, description: 'Only members of this tier or above may redeem it; null: everyone' })
  minTier(@Root() reward: Reward, @Ctx() ctx: Context) {
    return reward.minTierId ? ctx.loaders.tier.load(reward.minTierId) : null;
  }
}
