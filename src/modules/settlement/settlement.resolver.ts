import { Arg, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { settlementScope } from '../auth/policy';
import { ListSize } from '../../graphql/list-size';
import { Points64Scalar, twinOf } from '../../graphql/scalars';
import { Partner } from '../partner/partner.entity';
import { SettlementFlow, SettlementLine } from './settlement.types';

@Resolver(() => SettlementLine)
export class SettlementResolver {
  @Query(() => [SettlementLine], { description: 'Per partner, for [from, to): points issued and redeemed and the money owed both ways' })
  @ListSize({ measured: true })
  settlement(@Arg('from', () => Date) from: Date, @Arg('to', () => Date) to: Date, @Ctx() ctx: Context) {
    return ctx.services.settlement.lines(from, to, settlementScope(ctx.viewer));
  }

  @Query(() => [SettlementFlow], { description: "Points issued at one partner and redeemed at another in [from, to), valued at the redeemer's burn rates" })
  @ListSize({ measured: true })
  settlementMatrix(@Arg('from', () => Date) from: Date, @Arg('to', () => Date) to: Date, @Ctx() ctx: Context) {
    return ctx.services.settlement.matrix(from, to, settlementScope(ctx.viewer));
  }

  @FieldResolver(() => Partner)
  partner(@Root() line: SettlementLine, @Ctx() ctx: Context) {
    return ctx.loaders.partner.load(line.partnerId);
  }

  // A busy partner issues past 2^31 − 1 points in a period: the Int figures answer INT_OVERFLOW then
  // (graphql/errors.ts), their Points64 twins always hold them.
  @FieldResolver(() => Points64Scalar, { description: twinOf('pointsIssued') })
  pointsIssued64(@Root() line: SettlementLine): number {
    return line.pointsIssued;
  }

  @FieldResolver(() => Points64Scalar, { description: twinOf('pointsRedeemed') })
  pointsRedeemed64(@Root() line: SettlementLine): number {
    return line.pointsRedeemed;
  }

  @FieldResolver(() => Points64Scalar, { description: twinOf('pointsExpired') })
  pointsExpired64(@Root() line: SettlementLine): number {
    return line.pointsExpired;
  }
}

@Resolver(() => SettlementFlow)
export class SettlementFlowResolver {
  @FieldResolver(() => Partner, { nullable: true, description: 'Who issued the points; null for coalition-funded points' })
  issuer(@Root() flow: SettlementFlow, @Ctx() ctx: Context) {
    return flow.issuerId ? ctx.loaders.partner.load(flow.issuerId) : null;
  }

  @FieldResolver(() => Partner, { description: 'Where they were redeemed' })
  redeemer(@Root() flow: SettlementFlow, @Ctx() ctx: Context) {
    return ctx.loaders.partner.load(flow.redeemerId);
  }

  @FieldResolver(() => Points64Scalar, { description: twinOf('points') })
  points64(@Root() flow: SettlementFlow): number {
    return flow.points;
  }
}
