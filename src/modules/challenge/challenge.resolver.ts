import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { createLoaders } from '../../graphql/loaders';
import { requireId } from '../../errors/ids';
import { requireCaller, requireMemberAccess } from '../auth/policy';
import { ListSize } from '../../graphql/list-size';
import { PointsTransaction } from '../ledger/points-transaction.entity';
import type { OutboxEvent } from '../live/outbox-event';
import { Member } from '../member/member.entity';
import { Partner } from '../partner/partner.entity';
import { Badge, Challenge, ChallengeCompletion, ChallengeInput, ChallengeProgress } from './challenge.types';

@Resolver(() => Challenge)
export class ChallengeResolver {
  @Mutation(() => Challenge, { description: "An admin: a coalition-wide challenge (coalition-funded). A partner: its own, counting only its purchases (partner-funded)" })
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
  @FieldResolver(() => [ChallengeProgress], { description: 'Progress in every challenge window the member has taken part in, current first' })
  @ListSize({ measured: true })
  challenges(@Root() member: Member, @Ctx() ctx: Context) {
    return ctx.loaders.memberChallenges.load(member.id);
  }

  @FieldResolver(() => [Badge], { description: 'Badges won by completing challenges, newest first' })
  @ListSize({ measured: true })
  badges(@Root() member: Member, @Ctx() ctx: Context) {
    return ctx.loaders.memberBadges.load(member.id);
  }
}

@Resolver(() => ChallengeCompletion)
export class ChallengeCompletionResolver {
  @Subscription(() => ChallengeCompletion, {
    description: 'Each challenge the member completes (same access as balanceChanged). Pass after: <eventId> to first receive what you missed.',
    subscribe: ({ args, context }: { args: { memberId: string; after?: string | null }; context: Context }) => {
      const memberId = requireId(args.memberId, 'memberId');
      requireMemberAccess(context.viewer, memberId);
      return context.services.live.memberEvents(memberId, 'CHALLENGE_COMPLETED', args.after);
    },
  })
  challengeCompleted(
    @Root() event: OutboxEvent,
    @Arg('memberId', () => ID) _memberId: string,
    @Arg('after', () => ID, { nullable: true }) _after: string | undefined,
    @Ctx() ctx: Context,
  ): ChallengeCompletion {
    // A subscription lives for hours: read each event's relations fresh.
    ctx.loaders = createLoaders(ctx.services);
    const p = event.payload as { challengeId: string; transactionId: string | null; badgeName: string; bonusPoints: number; windowStart: string; completedAt: string };
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

  @FieldResolver(() => Member)
  member(@Root() c: ChallengeCompletion, @Ctx() ctx: Context) {
    return ctx.loaders.member.load(c.memberId);
  }

  @FieldResolver(() => Challenge)
  challenge(@Root() c: ChallengeCompletion, @Ctx() ctx: Context) {
    return ctx.loaders.challenge.load(c.challengeId);
  }

  @FieldResolver(() => PointsTransaction, { nullable: true, description: 'The bonus; null when the challenge had none, or for a partner viewing another partner\'s' })
  async transaction(@Root() c: ChallengeCompletion, @Ctx() ctx: Context) {
    if (!c.transactionId) return null;
    const tx = await ctx.loaders.transaction.load(c.transactionId);
    if (tx && ctx.viewer.kind === 'partner' && tx.partnerId !== ctx.viewer.partnerId) return null;
    return tx;
  }
}
