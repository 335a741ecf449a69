import { Arg, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { requireCaller, transactionPartnerScope } from '../auth/policy';
import { ListSize } from '../../graphql/list-size';
import { Reward } from '../catalog/reward.entity';
import { Member } from '../member/member.entity';
import { Partner } from '../partner/partner.entity';
import { PunchCard, PunchCardInput, PunchCardProgress } from './punch-card.types';
import { MAX_PUNCH_CARDS_PER_PARTNER } from './punch-card.service';

@Resolver(() => PunchCard)
export class PunchCardResolver {
  @Mutation(() => PunchCard, { description: "A partner's punch card (admins name the partner)" })
  createPunchCard(@Arg('input', () => PunchCardInput) input: PunchCardInput, @Ctx() ctx: Context) {
    return ctx.services.punchCards.create(requireCaller(ctx.viewer), input);
  }

  @FieldResolver(() => Reward)
  reward(@Root() card: PunchCard, @Ctx() ctx: Context) {
    return ctx.loaders.reward.load(card.rewardId);
  }

  @FieldResolver(() => Partner)
  partner(@Root() card: PunchCard, @Ctx() ctx: Context) {
    return ctx.loaders.partner.load(card.partnerId);
  }
}

@Resolver(() => PunchCardProgress)
export class PunchCardProgressResolver {
  @FieldResolver(() => PunchCard)
  card(@Root() progress: PunchCardProgress, @Ctx() ctx: Context) {
    return ctx.loaders.punchCard.load(progress.punchCardId);
  }
}

@Resolver(() => Member)
export class MemberPunchCardsResolver {
  @FieldResolver(() => [PunchCardProgress], { description: "The member's punch cards (a partner sees only its own)" })
  @ListSize({ measured: true })
  async punchCards(@Root() member: Member, @Ctx() ctx: Context) {
    const scope = transactionPartnerScope(ctx.viewer);
    const cards = await ctx.loaders.memberPunchCards.load(member.id);
    return scope === null ? cards : cards.filter((c) => c.partnerId === scope);
  }
}

@Resolver(() => Partner)
export class PartnerPunchCardsResolver {
  @FieldResolver(() => [PunchCard], { description: `Its active punch cards, at most ${MAX_PUNCH_CARDS_PER_PARTNER}` })
  @ListSize({ max: MAX_PUNCH_CARDS_PER_PARTNER })
  punchCards(@Root() partner: Partner, @Ctx() ctx: Context) {
    return ctx.loaders.partnerPunchCards.load(partner.id);
  }
}
