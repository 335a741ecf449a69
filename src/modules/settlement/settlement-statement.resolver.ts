import { Arg, Args, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { PageArgs } from '../../graphql/connection';
import { requireId } from '../../errors/ids';
import { auditActorOf } from '../audit/audit-trail';
import { Capability, requireStaff, settlementScope } from '../auth/policy';
import { SettlementStatement, SettlementStatementConnection } from './settlement-statement.types';
import { statementFor } from './settlement-period.service';

@Resolver(() => SettlementStatement)
export class SettlementStatementResolver {
  @Mutation(() => SettlementStatement, {
    description:
      'Finance staff (CLOSE_SETTLEMENT): closes [from, to) for good, storing its settlement and matrix as a statement. Periods never overlap (PERIOD_OVERLAPS), ' +
      'never end in the future, and follow each other without gaps (PERIOD_GAP names the missing range)',
  })
  closeSettlementPeriod(
    @Arg('from', () => Date) from: Date,
    @Arg('to', () => Date) to: Date,
    @Arg('idempotencyKey', () => String) idempotencyKey: string,
    @Ctx() ctx: Context,
  ): Promise<SettlementStatement> {
    const caller = requireStaff(ctx.viewer, Capability.CLOSE_SETTLEMENT);
    return ctx.services.settlementPeriods.close(from, to, idempotencyKey, auditActorOf(caller));
  }

  @Query(() => SettlementStatementConnection, { description: 'Closed periods, most recently closed first. A partner reads only its own lines' })
  async settlementStatements(@Args(() => PageArgs) { first, after }: PageArgs, @Ctx() ctx: Context) {
    const scope = settlementScope(ctx.viewer);
    const page = await ctx.services.settlementPeriods.list(first, after);
    return { ...page, edges: page.edges.map((e) => ({ ...e, node: statementFor(e.node, scope) })) };
  }

  @Query(() => SettlementStatement, { nullable: true, description: 'A closed period. A partner reads only its own line, row and column' })
  async settlementStatement(@Arg('id', () => ID) idInput: string, @Ctx() ctx: Context): Promise<SettlementStatement | null> {
    const scope = settlementScope(ctx.viewer);
    const statement = await ctx.services.settlementPeriods.byId(requireId(idInput, 'id'));
    return statement && statementFor(statement, scope);
  }
}
