import { FieldResolver, Resolver, Root } from 'type-graphql';
import { Points64Scalar, twinOf } from '../../graphql/scalars';
import { Balance } from './member.entity';

// A member's totals grow for years (lifetimeEarned past 2^31 − 1 in time, at 10,000,000 points a
// transaction): each Int has a Points64 twin that always holds it. The Int itself answers
// INT_OVERFLOW, naming its twin, once it no longer fits (graphql/errors.ts).
@Resolver(() => Balance)
export class BalanceResolver {
  @FieldResolver(() => Points64Scalar, { description: twinOf('available') })
  available64(@Root() b: Balance): number {
    return b.available;
  }

  @FieldResolver(() => Points64Scalar, { description: twinOf('lifetimeEarned') })
  lifetimeEarned64(@Root() b: Balance): number {
    return b.lifetimeEarned;
  }

  @FieldResolver(() => Points64Scalar, { description: twinOf('qualifyingPoints') })
  qualifyingPoints64(@Root() b: Balance): number {
    return b.qualifyingPoints;
  }

  @FieldResolver(() => Points64Scalar, { description: twinOf('pending') })
  pending64(@Root() b: Balance): number {
    return b.pending;
  }
}
