import { Arg, Ctx, Field, FieldResolver, ID, InputType, Int, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { DecimalScalar } from '../../graphql/scalars';
import { requireId } from '../../errors/ids';
import { Capability, managesPartner, requireCaller, requirePartnerOrStaff } from '../auth/policy';
import { ListSize } from '../../graphql/list-size';
import { ExchangeRate } from '../exchange-rate/exchange-rate.entity';
import { Channel, PointsTransaction, TransactionType } from '../ledger/points-transaction.entity';
import { Partner } from '../partner/partner.entity';
import { Tier } from '../tier/tier.entity';
import { EarnRule } from './earn-rule.entity';
import { MAX_EARN_RULES_PER_OWNER } from './earn-rule.service';
import { EarnRuleConditions, EarnRuleInput, PointsComponent, PointsSource, PurchaseItemInput } from './earning.types';

@InputType()
class PreviewEarnInput {
  @Field(() => ID)
  memberId!: string;

  @Field(() => DecimalScalar)
  amount!: string;

  @Field(() => String)
  currencyCode!: string;

  @Field(() => Channel, { nullable: true, defaultValue: Channel.ONLINE })
  channel?: Channel;

  @Field(() => [PurchaseItemInput], { nullable: true })
  items?: PurchaseItemInput[];

  @Field(() => ID, { nullable: true })
  partnerId?: string;
}

@ObjectType({ simpleResolvers: true })
class EarnPreview {
  @Field(() => Int)
  points!: number;

  @Field(() => [PointsComponent])
  @ListSize({ measured: true })
  breakdown!: PointsComponent[];

  exchangeRateId!: string;
}

const SOURCE_OF: Partial<Record<TransactionType, PointsSource>> = {
  [TransactionType.REDEEM]: PointsSource.REDEMPTION,
  [TransactionType.PAYMENT]: PointsSource.PAYMENT,
  [TransactionType.REVERSAL]: PointsSource.REVERSAL,
  [TransactionType.ADJUSTMENT]: PointsSource.ADJUSTMENT,
  [TransactionType.EXPIRY]: PointsSource.EXPIRY,
};

@Resolver(() => EarnRule)
export class EarnRuleResolver {
  @Mutation(() => EarnRule, { description: 'A partner: a rule of its own. An admin: for a partner, or (no partnerId) coalition-wide and coalition-funded.' })
  createEarnRule(@Arg('input', () => EarnRuleInput) input: EarnRuleInput, @Ctx() ctx: Context) {
    return ctx.services.earnRules.create(requireCaller(ctx.viewer), input);
  }

  @Mutation(() => EarnRule, { description: "Replace a rule's definition (its owner or an admin); deactivate with active: false" })
  updateEarnRule(@Arg('id', () => ID) id: string, @Arg('input', () => EarnRuleInput) input: EarnRuleInput, @Ctx() ctx: Context) {
    return ctx.services.earnRules.update(requireCaller(ctx.viewer), id, input);
  }

  @Query(() => [EarnRule], {
    description: `A partner's rules (partnerId), or the coalition-wide ones (omitted), at most ${MAX_EARN_RULES_PER_OWNER}. Inactive rules only for their owner and admins.`,
  })
  @ListSize({ max: MAX_EARN_RULES_PER_OWNER })
  earnRules(@Arg('partnerId', () => ID, { nullable: true }) partnerIdInput: string | undefined, @Ctx() ctx: Context) {
    const partnerId = partnerIdInput ? requireId(partnerIdInput, 'partnerId') : null;
    return ctx.services.earnRules.list(partnerId, managesPartner(ctx.viewer, partnerId));
  }

  @Query(() => EarnPreview, { description: 'What a purchase would earn now, with its breakdown, without recording anything (for tills)' })
  previewEarn(@Arg('input', () => PreviewEarnInput) input: PreviewEarnInput, @Ctx() ctx: Context) {
    return ctx.services.earn.preview(requirePartnerOrStaff(ctx.viewer, Capability.READ_PROGRAM), input);
  }

  @FieldResolver(() => Partner, { nullable: true, description: 'null for a coalition-wide rule' })
  partner(@Root() rule: EarnRule, @Ctx() ctx: Context) {
    return rule.partnerId ? ctx.loaders.partner.load(rule.partnerId) : null;
  }
}

@Resolver(() => EarnRuleConditions)
export class EarnRuleConditionsResolver {
  @FieldResolver(() => Tier, { nullable: true })
  minTier(@Root() c: EarnRuleConditions, @Ctx() ctx: Context) {
    return c.minTierId ? ctx.loaders.tier.load(c.minTierId) : null;
  }
}

@Resolver(() => EarnPreview)
export class EarnPreviewResolver {
  @FieldResolver(() => ExchangeRate)
  exchangeRate(@Root() preview: EarnPreview, @Ctx() ctx: Context) {
    return ctx.loaders.rate.load(preview.exchangeRateId);
  }
}

@Resolver(() => PointsTransaction)
export class PointsBreakdownResolver {
  @FieldResolver(() => [PointsComponent], { description: 'Why these points: components that add up to points' })
  @ListSize({ measured: true })
  breakdown(@Root() tx: PointsTransaction): PointsComponent[] {
    if (tx.breakdown?.length) {
      return tx.breakdown.map((c) => ({ source: c.source as PointsSource, ruleId: c.ruleId ?? null, points: c.points, funder: (c.funder as never) ?? null }));
    }
    return [{ source: SOURCE_OF[tx.type] ?? PointsSource.BASE, ruleId: null, points: tx.points, funder: null }];
  }
}

@Resolver(() => Partner)
export class PartnerEarnRulesResolver {
  @FieldResolver(() => [EarnRule], {
    description: `This partner's active rules (its own and admins also see inactive ones), at most ${MAX_EARN_RULES_PER_OWNER}`,
  })
  @ListSize({ max: MAX_EARN_RULES_PER_OWNER })
  async earnRules(@Root() partner: Partner, @Ctx() ctx: Context) {
    const owner = managesPartner(ctx.viewer, partner.id);
    const rules = await ctx.loaders.partnerEarnRules.load(partner.id);
    return owner ? rules : rules.filter((r) => r.active);
  }
}
