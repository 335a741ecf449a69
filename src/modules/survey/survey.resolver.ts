import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { requireId } from '../../errors/ids';
import { ListSize } from '../../graphql/list-size';
import { canSeeTransaction, requireCaller } from '../auth/policy';
import { PointsTransaction } from '../ledger/points-transaction.entity';
import { Member } from '../member/member.entity';
import { Partner } from '../partner/partner.entity';
import { CreateSurveyInput, SubmitSurveyResponseInput, Survey, SurveyResponse } from './survey.types';

@Resolver(() => Survey)
export class SurveyResolver {
  @Mutation(() => Survey, {
    description: "Staff (program managers): the coalition's survey (coalition-funded bonus). A partner: its own (partner-funded bonus)",
  })
  createSurvey(@Arg('input', () => CreateSurveyInput) input: CreateSurveyInput, @Ctx() ctx: Context) {
    return ctx.services.surveys.create(requireCaller(ctx.viewer), input);
  }

  @Query(() => [Survey], { description: "Open surveys: the coalition's (partnerId omitted) or a partner's (public)" })
  @ListSize({ measured: true })
  surveys(@Arg('partnerId', () => ID, { nullable: true }) partnerId: string | undefined, @Ctx() ctx: Context) {
    return ctx.services.surveys.list(partnerId ? requireId(partnerId, 'partnerId') : null);
  }

  @FieldResolver(() => Partner, { nullable: true, description: "null: the coalition's own survey" })
  partner(@Root() s: Survey, @Ctx() ctx: Context) {
    return s.partnerId ? ctx.loaders.partner.load(s.partnerId) : null;
  }
}

@Resolver(() => SurveyResponse)
export class SurveyResponseResolver {
  @Mutation(() => SurveyResponse, {
    description:
      "The member answers a survey (its own token; or support staff for it): once per survey; a score outside the kind's scale is BAD_USER_INPUT on input.score. The bonus is credited once, as a BONUS (source SURVEY) funded by the survey's owner",
  })
  submitSurveyResponse(@Arg('input', () => SubmitSurveyResponseInput) input: SubmitSurveyResponseInput, @Ctx() ctx: Context) {
    return ctx.services.surveys.submit(requireCaller(ctx.viewer), input);
  }

  @FieldResolver(() => Survey)
  async survey(@Root() r: SurveyResponse, @Ctx() ctx: Context) {
    return (await ctx.services.surveys.byIds([r.surveyId]))[0]!;
  }

  @FieldResolver(() => Member)
  member(@Root() r: SurveyResponse, @Ctx() ctx: Context) {
    return ctx.loaders.member.load(r.memberId);
  }

  @FieldResolver(() => PointsTransaction, { nullable: true, description: 'The bonus credited for answering (null when the survey gives none)' })
  async transaction(@Root() r: SurveyResponse, @Ctx() ctx: Context) {
    if (!r.transactionId) return null;
    const tx = await ctx.loaders.transaction.load(r.transactionId);
    return tx && canSeeTransaction(ctx.viewer, tx) ? tx : null;
  }
}
