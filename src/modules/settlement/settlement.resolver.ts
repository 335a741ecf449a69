import { Arg, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { requirePartnerOrAdmin } from '../auth/policy';
import { ListSize } from '../../graphql/list-size';
import { Partner } from '../partner/partner.entity';
import { SettlementFlow, SettlementLine } from './settlement.types';

/** Admins see every partner; a partner only its own line and its own row and column. */
function settlementScope(ctx: Context): string | null {
  const caller = requirePartnerOrAdmin(ctx.viewer);
  return caller.kind === 'partner' ? caller.partnerId : null;
}

@Resolver(() => SettlementLine)
export class SettlementResolver {
  @Query(() => [SettlementLine], { description: 'Per partner, for [from, to): points issued and redeemed and the money owed both ways' })
  @ListSize({ measured: true })
  settlement(@Arg('from', () => Date) from: Date, @Arg('to', () => Date) to: Date, @Ctx() ctx: Context) {
    return ctx.services.settlement.lines(from, to, settlementScope(ctx));
  }

  @Query(() => [SettlementFlow], { description: 'Points issued at one partner and redeemed at another in [from, to), valued at the redeemer\'s burn rates' })
  @ListSize({ measured: true })
  settlementMatrix(@Arg('from', () => Date) from: Date, @Arg('to', () => Date) to: Date, @Ctx() ctx: Context) {
    return ctx.services.settlement.matrix(from, to, settlementScope(ctx));
  }

  @FieldResolver(() => Partner)
  partner(@Root() line: SettlementLine, @Ctx() ctx: Context) {
    return ctx.loaders.partner.load(line.partnerId);
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
}

