// The fields of a points transaction that need nothing but the ledger. Its links to other
// features and the earn and reverse mutations live in those features (history/, earning/).
import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { Money } from '../../graphql/money.type';
import { DecimalScalar, Points64Scalar, twinOf } from '../../graphql/scalars';
import { formatAmount } from '../../money/decimal';
import { PointsTransaction } from './points-transaction.entity';

@Resolver(() => PointsTransaction)
export class LedgerResolver {
  @FieldResolver(() => Money, { nullable: true, description: 'The purchase that earned the points; for a PAYMENT, the bill the points paid towards' })
  purchase(@Root() tx: PointsTransaction): Money | null {
    if (tx.purchaseAmount === null || tx.purchaseCurrency === null) return null;
    return { amount: formatAmount(tx.purchaseAmount, tx.purchaseCurrency), currencyCode: tx.purchaseCurrency };
  }

  @FieldResolver(() => PointsTransaction, { nullable: true, description: 'For a reversal: the transaction it reverses' })
  reverses(@Root() tx: PointsTransaction, @Ctx() ctx: Context) {
    return tx.reversesId ? ctx.loaders.transaction.load(tx.reversesId) : null;
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
