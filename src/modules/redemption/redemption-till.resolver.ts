// A redemption code at the honouring partner's till: look it up, then use it once.
import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { requireCaller } from '../auth/policy';
import { Redemption } from './redemption.entity';

@Resolver(() => Redemption)
export class RedemptionTillResolver {
  @Query(() => Redemption, {
    nullable: true,
    description:
      'The honouring partner (or an admin) looks a code up at its till; anyone else gets null. Case, spaces and dashes are ignored (and O, I, L read as 0, 1, 1)',
  })
  redemptionByCode(@Arg('code', () => String) code: string, @Ctx() ctx: Context) {
    return ctx.services.redemptionTill.byCode(requireCaller(ctx.viewer), code);
  }

  @Mutation(() => Redemption, {
    description:
      'The reward partner (or an admin) uses a code, once: ACTIVE → FULFILLED (REDEMPTION_NOT_ACTIVE otherwise, naming the status). A replay under the same key returns the first result',
  })
  fulfillRedemption(@Arg('code', () => String) code: string, @Arg('idempotencyKey', () => String) idempotencyKey: string, @Ctx() ctx: Context) {
    return ctx.services.redemptionTill.fulfil(requireCaller(ctx.viewer), code, idempotencyKey);
  }
}
