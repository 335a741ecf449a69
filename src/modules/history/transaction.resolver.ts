import { MAX_POINTS_PER_TRANSACTION } from '../ledger/transaction-limit';
// A points transaction as the API shows it beyond the ledger's own fields: whom and what it links
// to (member, partner, rate version), and reverseTransaction, which corrects one with a new
// REVERSAL. Kept out of the ledger, which names no other feature.
import { Arg, Ctx, Field, FieldResolver, ID, InputType, Int, Mutation, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { requireCaller } from '../auth/policy';
import { ExchangeRate } from '../exchange-rate/exchange-rate.entity';
import { PointsTransaction } from '../ledger/points-transaction.entity';
import { Member } from '../member/member.entity';
import { Partner } from '../partner/partner.entity';

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
export class TransactionResolver {
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

  @FieldResolver(() => ExchangeRate, { nullable: true, description: 'The rate version this transaction used' })
  exchangeRate(@Root() tx: PointsTransaction, @Ctx() ctx: Context) {
    return tx.exchangeRateId ? ctx.loaders.rate.load(tx.exchangeRateId) : null;
  }
}
