import { Arg, Ctx, Field, FieldResolver, ID, InputType, Mutation, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { DecimalScalar } from '../../graphql/scalars';
import { Capability, requireStaff } from '../auth/policy';
import { auditActorOf } from '../audit/audit-trail';
import { ListSize } from '../../graphql/list-size';
import { Partner } from '../partner/partner.entity';
import { ExchangeRate } from './exchange-rate.entity';

@InputType()
class SetExchangeRateInput {
  @Field(() => ID)
  partnerId!: string;

  @Field(() => DecimalScalar, { description: "Points per 1 unit of the partner's currency spent" })
  earnRate!: string;

  @Field(() => DecimalScalar, { description: "Value in the partner's currency of 1 point redeemed there" })
  burnRate!: string;

  @Field(() => Date, { nullable: true, description: 'Default: now. Never in the past.' })
  effectiveFrom?: Date;
}

@Resolver(() => ExchangeRate)
export class ExchangeRateResolver {
  @Mutation(() => ExchangeRate, { description: "Admin: a new version of a partner's rates" })
  setExchangeRate(@Arg('input', () => SetExchangeRateInput) input: SetExchangeRateInput, @Ctx() ctx: Context) {
    const staff = requireStaff(ctx.viewer, Capability.MANAGE_RATES);
    return ctx.services.rates.set(input, auditActorOf(staff));
  }

  @FieldResolver(() => Partner)
  partner(@Root() rate: ExchangeRate, @Ctx() ctx: Context) {
    return ctx.loaders.partner.load(rate.partnerId);
  }
}

@Resolver(() => Partner)
export class PartnerRatesResolver {
  @FieldResolver(() => ExchangeRate, { nullable: true, description: 'The version in force now; null before the first rate' })
  exchangeRate(@Root() partner: Partner, @Ctx() ctx: Context) {
    return ctx.loaders.currentRate.load(partner.id);
  }

  @FieldResolver(() => [ExchangeRate], { description: 'Every version, newest first, including scheduled ones' })
  @ListSize({ measured: true })
  exchangeRateHistory(@Root() partner: Partner, @Ctx() ctx: Context) {
    return ctx.loaders.rateHistory.load(partner.id);
  }
}
