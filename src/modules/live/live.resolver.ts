import { Arg, Ctx, FieldResolver, ID, Resolver, Root, Subscription } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { requireId } from '../../errors/ids';
import { canSeeTransaction, requireMemberAccess } from '../auth/policy';
import { ExchangeRate } from '../exchange-rate/exchange-rate.entity';
import { PointsTransaction } from '../ledger/points-transaction.entity';
import { Balance, Member } from '../member/member.entity';
import { Tier } from '../tier/tier.entity';
import { BalanceUpdate, TierChange } from './live.types';
import type { OutboxEvent } from './outbox-event';

interface MemberStreamArgs {
  memberId: string;
  after?: string | null;
}

function memberStream(topic: OutboxEvent['topic']) {
  return ({ args, context }: { args: MemberStreamArgs; context: Context }) => {
    const memberId = requireId(args.memberId, 'memberId');
    requireMemberAccess(context.viewer, memberId);
    return context.services.live.memberEvents(memberId, topic, args.after);
  };
}

/** A subscription lives for hours: read each event's relations fresh, not from the first event's cache. */
function freshLoaders(ctx: Context): void {
  ctx.renewLoaders();
}

@Resolver(() => BalanceUpdate)
export class BalanceUpdateResolver {
  @Subscription(() => BalanceUpdate, {
    description: "A member's balance after each committed change. Pass after: <eventId> to first receive what you missed.",
    subscribe: memberStream('BALANCE_CHANGED'),
  })
  balanceChanged(
    @Root() event: OutboxEvent,
    @Arg('memberId', () => ID) _memberId: string,
    @Arg('after', () => ID, { nullable: true }) _after: string | undefined,
    @Ctx() ctx: Context,
  ): BalanceUpdate {
    freshLoaders(ctx);
    const p = event.payload as unknown as { transactionId?: string } & Balance;
    return {
      eventId: String(event.id),
      memberId: event.memberId!,
      transactionId: p.transactionId ?? null,
      balance: { available: Number(p.available), lifetimeEarned: Number(p.lifetimeEarned), qualifyingPoints: Number(p.qualifyingPoints), pending: Number(p.pending ?? 0) },
    };
  }

  @FieldResolver(() => Member)
  member(@Root() update: BalanceUpdate, @Ctx() ctx: Context) {
    return ctx.loaders.member.load(update.memberId);
  }

  @FieldResolver(() => PointsTransaction, { nullable: true, description: 'null where the viewer may not see it (a partner, for another partner\'s transaction)' })
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
    subscribe: memberStream('TIER_CHANGED'),
  })
  tierChanged(
    @Root() event: OutboxEvent,
    @Arg('memberId', () => ID) _memberId: string,
    @Arg('after', () => ID, { nullable: true }) _after: string | undefined,
    @Ctx() ctx: Context,
  ): TierChange {
    freshLoaders(ctx);
    const p = event.payload as { fromTierId: string; toTierId: string };
    return { eventId: String(event.id), memberId: event.memberId!, fromTierId: p.fromTierId, toTierId: p.toTierId, at: new Date(event.createdAt) };
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
      context.services.live.rateEvents(args.partnerId ? requireId(args.partnerId, 'partnerId') : null),
  })
  async exchangeRateChanged(@Root() event: OutboxEvent, @Arg('partnerId', () => ID, { nullable: true }) _partnerId: string | undefined, @Ctx() ctx: Context) {
    freshLoaders(ctx);
    return ctx.loaders.rate.load((event.payload as { exchangeRateId: string }).exchangeRateId);
  }
}
