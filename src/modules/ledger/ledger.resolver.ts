import { Arg, Ctx, Field, FieldResolver, ID, InputType, Int, Mutation, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { Money } from '../../graphql/money.type';
import { PurchaseItemInput } from '../earning/earning.types';
import { DecimalScalar, Points64Scalar, twinOf } from '../../graphql/scalars';
import { formatAmount } from '../../money/decimal';
import { requireCaller } from '../auth/policy';
import { ExchangeRate } from '../exchange-rate/exchange-rate.entity';
import { Member } from '../member/member.entity';
import { Partner } from '../partner/partner.entity';
import { Channel, PointsTransaction } from './points-transaction.entity';
import { MAX_POINTS_PER_TRANSACTION } from './transaction-limit';

@InputType()
class EarnPointsInput {
  @Field(() => ID)
  memberId!: string;

  @Field(() => DecimalScalar, { description: 'What the member paid, e.g. "42.50"' })
  amount!: string;

  @Field(() => String, { description: "Must be the partner's currency" })
  currencyCode!: string;

  @Field(() => Channel, { nullable: true, defaultValue: Channel.ONLINE })
  channel?: Channel;

  @Field(() => String, { description: 'Receipt or order number: each earns at most once per partner' })
  externalRef!: string;

  @Field(() => String, { description: 'Your unique key for this request: a retry with the same key never credits twice' })
  idempotencyKey!: string;

  @Field(() => ID, { nullable: true, description: 'Admins: the partner the purchase was made at. Partners: omit, or your own id.' })
  partnerId?: string;

  @Field(() => [PurchaseItemInput], { nullable: true, description: 'Line items; their amounts must add up to amount. Category rules count matching items only.' })
  items?: PurchaseItemInput[];
}

@InputType()
class ReverseTransactionInput {
  @Field(() => ID, { description: 'The EARN or REDEEM transaction to reverse' })
  transactionId!: string;

  @Field(() => Int, {
    nullable: true,
    description: `EARN only: points to claw back (default: all that remain), at most ${MAX_POINTS_PER_TRANSACTION.toLocaleString('en')}. A REDEEM is reversed whole.`,
  })
  points?: number;

  @Field(() => String, { nullable: true })
  reason?: string;

  @Field(() => String)
  idempotencyKey!: string;
}

@Resolver(() => PointsTransaction)
export class LedgerResolver {
  @Mutation(() => PointsTransaction, {
    description: `Record a purchase: points = floor(amount × earnRate × tier multiplier), plus rules; a purchase earning more than ${MAX_POINTS_PER_TRANSACTION.toLocaleString('en')} points (MAX_POINTS_PER_TRANSACTION) is refused (BAD_USER_INPUT on input.amount)`,
  })
  earnPoints(@Arg('input', () => EarnPointsInput) input: EarnPointsInput, @Ctx() ctx: Context) {
    return ctx.services.earn.earn(requireCaller(ctx.viewer), input);
  }

  @Mutation(() => PointsTransaction, { description: 'Refund an earn (fully or partly) or cancel a redemption, as a new REVERSAL transaction' })
  reverseTransaction(@Arg('input', () => ReverseTransactionInput) input: ReverseTransactionInput, @Ctx() ctx: Context) {
    return ctx.services.reversals.reverse(requireCaller(ctx.viewer), input);
  }

  @FieldResolver(() => Member)
  member(@Root() tx: PointsTransaction, @Ctx() ctx: Context) {
    return ctx.loaders.member.load(tx.memberId);
  }

  @FieldResolver(() => Partner, { nullable: true })
  partner(@Root() tx: PointsTransaction, @Ctx() ctx: Context) {
    return tx.partnerId ? ctx.loaders.partner.load(tx.partnerId) : null;
  }

  @FieldResolver(() => Money, { nullable: true, description: 'The purchase that earned the points' })
  purchase(@Root() tx: PointsTransaction): Money | null {
    if (tx.purchaseAmount === null || tx.purchaseCurrency === null) return null;
    return { amount: formatAmount(tx.purchaseAmount, tx.purchaseCurrency), currencyCode: tx.purchaseCurrency };
  }

  @FieldResolver(() => PointsTransaction, { nullable: true, description: 'For a reversal: the transaction it reverses' })
  reverses(@Root() tx: PointsTransaction, @Ctx() ctx: Context) {
    return tx.reversesId ? ctx.loaders.transaction.load(tx.reversesId) : null;
  }

  @FieldResolver(() => ExchangeRate, { nullable: true, description: 'The rate version this transaction used' })
  exchangeRate(@Root() tx: PointsTransaction, @Ctx() ctx: Context) {
    return tx.exchangeRateId ? ctx.loaders.rate.load(tx.exchangeRateId) : null;
  }

  @FieldResolver(() => DecimalScalar, { nullable: true, description: "The member's tier multiplier applied to this earn" })
  tierMultiplier(@Root() tx: PointsTransaction): string | null {
    return tx.tierMultiplier;
  }

  @FieldResolver(() => Points64Scalar, { description: twinOf('balanceAfter') })
  balanceAfter64(@Root() tx: PointsTransaction): number {
    return tx.balanceAfter;
  }
}
