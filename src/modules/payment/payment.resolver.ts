import { Arg, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { Money } from '../../graphql/money.type';
import { formatAmount } from '../../money/decimal';
import { requireCaller } from '../auth/policy';
import { PointsTransaction } from '../ledger/points-transaction.entity';
import { Member } from '../member/member.entity';
import { Partner } from '../partner/partner.entity';
import { PayWithPointsInput, PointsPayment } from './payment.types';

@Resolver(() => PointsPayment)
export class PointsPaymentResolver {
  @Mutation(() => PointsPayment, {
    description:
      "The partner at its till (for a member linked to it), or an admin naming partnerId: spend points as money off a bill, discount = points × burnRate rounded down to the currency's decimals, within the bill and the program's maxPointsPaymentShare",
  })
  payWithPoints(@Arg('input', () => PayWithPointsInput) input: PayWithPointsInput, @Ctx() ctx: Context) {
    return ctx.services.payments.pay(requireCaller(ctx.viewer), input);
  }

  @FieldResolver(() => Money, { description: 'Money off the bill' })
  discount(@Root() p: PointsPayment): Money {
    return { amount: formatAmount(p.discountAmount, p.currencyCode), currencyCode: p.currencyCode };
  }

  @FieldResolver(() => Money, { description: 'The bill before the discount' })
  bill(@Root() p: PointsPayment): Money {
    return { amount: formatAmount(p.billAmount, p.currencyCode), currencyCode: p.currencyCode };
  }

  @FieldResolver(() => Member)
  member(@Root() p: PointsPayment, @Ctx() ctx: Context) {
    return ctx.loaders.member.load(p.memberId);
  }

  @FieldResolver(() => Partner)
  partner(@Root() p: PointsPayment, @Ctx() ctx: Context) {
    return ctx.loaders.partner.load(p.partnerId);
  }

  @FieldResolver(() => PointsTransaction, { description: 'The PAYMENT transaction (points negative)' })
  transaction(@Root() p: PointsPayment, @Ctx() ctx: Context) {
    return ctx.loaders.transaction.load(p.transactionId);
  }
}
