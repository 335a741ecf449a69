// The earnPoints mutation: a purchase recorded as points (the earn itself is the ledger's).
import { MAX_POINTS_PER_TRANSACTION } from '../ledger/transaction-limit';
import { Arg, Ctx, Field, ID, InputType, Mutation, Resolver } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { DecimalScalar } from '../../graphql/scalars';
import { requireCaller } from '../auth/policy';
import { Channel, PointsTransaction } from '../ledger/points-transaction.entity';
import { PurchaseItemInput } from './earning.types';

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

  @Field(() => [PurchaseItemInput], {
    nullable: true,
    description: 'Line items; their amounts must add up to amount. Category rules count matching items only.',
  })
  items?: PurchaseItemInput[];
}

@Resolver(() => PointsTransaction)
export class EarnResolver {
  @Mutation(() => PointsTransaction, {
    description: `Record a purchase: points = floor(amount × earnRate × tier multiplier), plus rules; a purchase earning more than ${MAX_POINTS_PER_TRANSACTION.toLocaleString('en')} points (MAX_POINTS_PER_TRANSACTION) is refused (BAD_USER_INPUT on input.amount)`,
  })
  earnPoints(@Arg('input', () => EarnPointsInput) input: EarnPointsInput, @Ctx() ctx: Context) {
    return ctx.services.earn.earn(requireCaller(ctx.viewer), input);
  }
}
