import { Arg, Ctx, FieldResolver, ID, Resolver, Root, Subscription } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { requireId } from '../../errors/ids';
import { canSeeTransaction } from '../auth/policy';
import { ExchangeRate } from '../exchange-rate/exchange-rate.entity';
import { PointsTransaction } from '../ledger/points-transaction.entity';
import { Balance, Member } from '../member/member.entity';
import { Tier } from '../tier/tier.entity';
import { BalanceUpdate, TierChange } from './live.types';
import type { OutboxEvent } from './outbox-event';
import { MemberStreamArgs, eventStream, memberEventStream } from './member-event-stream';

function toBalanceUpdate(event: OutboxEvent): BalanceUpdate {
  const p = event.payload as unknown as { transactionId?: string } & Balance;
  return {
    eventId: String(event.id),
    memberId: event.memberId!,
    transactionId: p.transactionId ?? null,
    balance: {
      available: Number(p.available),
      lifetimeEarned: Number(p.lifetimeEarned),
      qualifyingPoints: Number(p.qualifyingPoints),
      pending: Number(p.pending ?? 0),
    },
  };
}

function toTierChange(event: OutboxEvent): TierChange {
  const p = event.payload as { fromTierId: string; toTierId: string };
  return { eventId: String(event.id), memberId: event.memberId!, fromTierId: p.fromTierId, toTierId: p.toTierId, at: new Date(event.createdAt) };
}

@Resolver(() => BalanceUpdate)
export class BalanceUpdateResolver {
  @Subscription(() => BalanceUpdate, {
    description: "A member's balance after each committed change. Pass after: <eventId> to first receive what you missed.",
    subscribe: ({ args, context }: { args: MemberStreamArgs; context: Context }) =>
      memberEventStream(context, 'BALANCE_CHANGED', args.memberId, args.after, toBalanceUpdate),
  })
  balanceChanged(
    @Root() update: BalanceUpdate,
    @Arg('memberId', () => ID) _memberId: string,
    @Arg('after', () => ID, { nullable: true }) _after: string | undefined,
  ): BalanceUpdate {
    return update;
  }

  @FieldResolver(() => Member)
  member(@Root() update: BalanceUpdate, @Ctx() ctx: Context) {
    return ctx.loaders.member.load(update.memberId);
  }

  @FieldResolver(() => PointsTransaction, {
    nullable: true,
    description: "null where the viewer may not see it (a partner, for another partner's transaction)",
  })
  async transaction(@Root() update: BalanceUpdate, @Ctx() ctx: Context) {
    if (!update.transactionId) return null;
    const tx = await ctx.loaders.transaction.load(update.transactionId);
    return tx && canSeeTransaction(ctx.viewer, tx) ? tx : null;
  }
}

@Resolver(() => TierChange)
export class TierChangeResolver {
  @Subscription(() => TierChange, {
    description: "A member's tier changes (upgrades as they happen, downgrades from the scheduled evaluation)",
    subscribe: ({ args, context }: { args: MemberStreamArgs; context: Context }) =>
      memberEventStream(context, 'TIER_CHANGED', args.memberId, args.after, toTierChange),
  })
  tierChanged(
    @Root() change: TierChange,
    @Arg('memberId', () => ID) _memberId: string,
    @Arg('after', () => ID, { nullable: true }) _after: string | undefined,
  ): TierChange {
    return change;
  }

  @FieldResolver(() => Member)
  member(@Root() change: TierChange, @Ctx() ctx: Context) {
    return ctx.loaders.member.load(change.memberId);
  }

  @FieldResolver(() => Tier)
  from(@Root() change: TierChange, @Ctx() ctx: Context) {
    return ctx.loaders.tier.load(change.fromTierId);
  }

  @FieldResolver(() => Tier)
  to(@Root() change: TierChange, @Ctx() ctx: Context) {
    return ctx.loaders.tier.load(change.toTierId);
  }
}

@Resolver()
export class ExchangeRateLiveResolver {
  @Subscription(() => ExchangeRate, {
    description:
      'Each new rate version of one partner (or of every partner when partnerId is omitted), announced when it is created, ' +
      'not when it takes effect: a version with a future effectiveFrom applies only from then, so schedule the repricing for ' +
      'effectiveFrom (Partner.exchangeRate stays the version in force until then). Rates are public.',
    subscribe: ({ args, context }: { args: { partnerId?: string | null }; context: Context }) =>
      eventStream(context, context.services.live.rateEvents(args.partnerId ? requireId(args.partnerId, 'partnerId') : null), (event) => event),
  })
  async exchangeRateChanged(@Root() event: OutboxEvent, @Arg('partnerId', () => ID, { nullable: true }) _partnerId: string | undefined, @Ctx() ctx: Context) {
    return ctx.loaders.rate.load((event.payload as { exchangeRateId: string }).exchangeRateId);
  }
}
