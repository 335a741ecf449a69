import { Arg, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { requireId } from '../../errors/ids';
import { metricsScope } from '../auth/policy';
import { Partner } from '../partner/partner.entity';
import { ProgramMetrics } from './insight.types';

@Resolver(() => ProgramMetrics)
export class InsightResolver {
  @Query(() => ProgramMetrics, {
    description:
      'The eleven loyalty metrics and the points figures for [from, to) (UTC midnights), coalition-wide or for partnerId. Staff with READ_METRICS (program managers, finance) see the coalition and any partner; a partner only itself',
  })
  programMetrics(
    @Arg('from', () => Date) from: Date,
    @Arg('to', () => Date) to: Date,
    @Arg('partnerId', () => ID, { nullable: true }) partnerId: string | undefined,
    @Ctx() ctx: Context,
  ) {
    const scope = metricsScope(ctx.viewer, partnerId ? requireId(partnerId, 'partnerId') : null);
    return ctx.services.insight.metrics(from, to, scope);
  }

  @FieldResolver(() => Partner, { nullable: true, description: 'null: coalition-wide' })
  partner(@Root() m: ProgramMetrics, @Ctx() ctx: Context) {
    return m.partnerId ? ctx.loaders.partner.load(m.partnerId) : null;
  }
}
