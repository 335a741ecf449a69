import { Arg, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { requireCaller, transactionPartnerScope } from '../auth/policy';
import { Reward } from '../catalog/reward.entity';
import { Member } from '../member/member.entity';
import { Partner } from '../partner/partner.entity';
import { PunchCard, PunchCardInput, PunchCardProgress } from './punch-card.types';

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
  punchCards(@Root() member: Member, @Ctx() ctx: Context) {
    return ctx.services.punchCards.progress(member.id, transactionPartnerScope(ctx.viewer));
  }
}

@Resolver(() => Partner)
export class PartnerPunchCardsResolver {
  @FieldResolver(() => [PunchCard])
  punchCards(@Root() partner: Partner, @Ctx() ctx: Context) {
    return ctx.services.punchCards.forPartner(partner.id);
  }
}
