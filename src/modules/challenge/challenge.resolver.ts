import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { requireId } from '../../errors/ids';
import { canSeeTransaction, challengePartnerScope, requireCaller } from '../auth/policy';
import { ListSize } from '../../graphql/list-size';
import { PointsTransaction } from '../ledger/points-transaction.entity';
import type { OutboxEvent } from '../live/outbox-event';
import { MemberStreamArgs, memberEventStream } from '../live/member-event-stream';
import { Member } from '../member/member.entity';
import { Partner } from '../partner/partner.entity';
import { Badge, Challenge, ChallengeCompletion, ChallengeInput, ChallengeProgress } from './challenge.types';

@Resolver(() => Challenge)
export class ChallengeResolver {
  @Mutation(() => Challenge, {
    description: 'An admin: a coalition-wide challenge (coalition-funded). A partner: its own, counting only its purchases (partner-funded)',
  })
  createChallenge(@Arg('input', () => ChallengeInput) input: ChallengeInput, @Ctx() ctx: Context) {
    return ctx.services.challenges.create(requireCaller(ctx.viewer), input);
  }

  @Query(() => [Challenge], { description: "Challenges open now: the coalition's (partnerId omitted) or a partner's (public)" })
  @ListSize({ measured: true })
  challenges(@Arg('partnerId', () => ID, { nullable: true }) partnerId: string | undefined, @Ctx() ctx: Context) {
    return ctx.services.challenges.list(partnerId ? requireId(partnerId, 'partnerId') : null);
  }

  @FieldResolver(() => Partner, { nullable: true, description: 'null: a coalition-wide challenge' })
  partner(@Root() c: Challenge, @Ctx() ctx: Context) {
    return c.partnerId ? ctx.loaders.partner.load(c.partnerId) : null;
  }
}

@Resolver(() => ChallengeProgress)
export class ChallengeProgressResolver {
  @FieldResolver(() => Challenge)
  challenge(@Root() p: ChallengeProgress, @Ctx() ctx: Context) {
    return ctx.loaders.challenge.load(p.challengeId);
  }
}

@Resolver(() => Badge)
export class BadgeResolver {
  @FieldResolver(() => Challenge)
  challenge(@Root() b: Badge, @Ctx() ctx: Context) {
    return ctx.loaders.challenge.load(b.challengeId);
  }
}

@Resolver(() => Member)
export class MemberChallengesResolver {
  @FieldResolver(() => [ChallengeProgress], {
    description: "Progress in every challenge window the member has taken part in, current first. A partner sees the coalition's challenges and its own only",
  })
  @ListSize({ measured: true })
  challenges(@Root() member: Member, @Ctx() ctx: Context) {
    return ctx.services.challenges.progress(member.id, challengePartnerScope(ctx.viewer));
  }

  @FieldResolver(() => [Badge], {
    description: "Badges won by completing challenges, newest first. A partner sees those of the coalition's challenges and its own only",
  })
  @ListSize({ measured: true })
  badges(@Root() member: Member, @Ctx() ctx: Context) {
    return ctx.services.challenges.badges(member.id, challengePartnerScope(ctx.viewer));
  }
}

function toChallengeCompletion(event: OutboxEvent): ChallengeCompletion {
  const p = event.payload as {
    challengeId: string;
    transactionId: string | null;
    badgeName: string;
    bonusPoints: number;
    windowStart: string;
    completedAt: string;
  };
  return {
    eventId: String(event.id),
    memberId: event.memberId!,
    challengeId: p.challengeId,
    transactionId: p.transactionId,
    badgeName: p.badgeName,
    bonusPoints: Number(p.bonusPoints),
    windowStart: new Date(p.windowStart),
    completedAt: new Date(p.completedAt),
  };
}

@Resolver(() => ChallengeCompletion)
export class ChallengeCompletionResolver {
  @Subscription(() => ChallengeCompletion, {
    description:
      "Each challenge the member completes (same access as balanceChanged; a partner gets the coalition's challenges and its own only). " +
      'Pass after: <eventId> to first receive what you missed.',
    subscribe: ({ args, context }: { args: MemberStreamArgs; context: Context }) =>
      memberEventStream(context, 'CHALLENGE_COMPLETED', args.memberId, args.after, toChallengeCompletion, challengePartnerScope(context.viewer)),
  })
  challengeCompleted(
    @Root() completion: ChallengeCompletion,
    @Arg('memberId', () => ID) _memberId: string,
    @Arg('after', () => ID, { nullable: true }) _after: string | undefined,
  ): ChallengeCompletion {
    return completion;
  }

  @FieldResolver(() => Member)
  member(@Root() c: ChallengeCompletion, @Ctx() ctx: Context) {
    return ctx.loaders.member.load(c.memberId);
  }

  @FieldResolver(() => Challenge)
  challenge(@Root() c: ChallengeCompletion, @Ctx() ctx: Context) {
    return ctx.loaders.challenge.load(c.challengeId);
  }

  @FieldResolver(() => PointsTransaction, {
    nullable: true,
    description: "The bonus; null when the challenge had none, or for a partner viewing another partner's",
  })
  async transaction(@Root() c: ChallengeCompletion, @Ctx() ctx: Context) {
    if (!c.transactionId) return null;
    const tx = await ctx.loaders.transaction.load(c.transactionId);
    return tx && canSeeTransaction(ctx.viewer, tx) ? tx : null;
  }
}
