import { Arg, Args, Ctx, Field, FieldResolver, ID, InputType, Int, Mutation, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { Connection, PageArgs } from '../../graphql/connection';
import { requireCaller, transactionPartnerScope } from '../auth/policy';
import { Reward } from '../catalog/reward.entity';
import { PointsTransaction } from '../ledger/points-transaction.entity';
import { Member } from '../member/member.entity';
import { Redemption } from './redemption.entity';

@InputType()
class RedeemRewardInput {
  @Field(() => ID)
  memberId!: string;

  @Field(() => ID)
  rewardId!: string;

  @Field(() => Int, { nullable: true, defaultValue: 1 })
  quantity?: number;

  @Field(() => String, { description: 'Your unique key for this request: a retry never spends twice' })
  idempotencyKey!: string;
}

const RedemptionConnection = Connection(Redemption, 'Redemption');

@Resolver(() => Redemption)
export class RedemptionResolver {
  @Mutation(() => Redemption, {
    description: 'The member itself, the partner owning the reward (for a member linked to it), or an admin: spend points on a reward',
  })
  redeemReward(@Arg('input', () => RedeemRewardInput) input: RedeemRewardInput, @Ctx() ctx: Context) {
    return ctx.services.redemptions.redeem(requireCaller(ctx.viewer), input);
  }

  @FieldResolver(() => Member)
  member(@Root() r: Redemption, @Ctx() ctx: Context) {
    return ctx.loaders.member.load(r.memberId);
  }

  @FieldResolver(() => Reward)
  reward(@Root() r: Redemption, @Ctx() ctx: Context) {
    return ctx.loaders.reward.load(r.rewardId);
  }

  @FieldResolver(() => PointsTransaction)
  transaction(@Root() r: Redemption, @Ctx() ctx: Context) {
    return ctx.loaders.transaction.load(r.transactionId);
  }
}

@Resolver(() => Member)
export class MemberRedemptionsResolver {
  @FieldResolver(() => RedemptionConnection, { description: 'Newest first. A partner sees only redemptions made at itself.' })
  redemptions(@Root() member: Member, @Args(() => PageArgs) { first, after }: PageArgs, @Ctx() ctx: Context) {
    return ctx.services.redemptions.forMember(member.id, transactionPartnerScope(ctx.viewer), first, after);
  }
}
