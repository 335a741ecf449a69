import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { requireId } from '../../errors/ids';
import { linkedPartnersScope, requireMemberItself } from '../auth/policy';
import { Partner } from '../partner/partner.entity';
import { LINK_CODE_TTL_SECONDS } from './partner-link.service';
import { PartnerLinkCode } from './partner-link.types';
import { ListSize } from '../../graphql/list-size';

@Resolver()
export class PartnerLinkResolver {
  @Query(() => [Partner], {
    description:
      'Partners the member is linked to (enrolled there, or linked with a code), first linked first. The member itself and admins see them all; ' +
      'a partner sees only itself, and only if linked',
  })
  // As long as the partners the member is linked to: counted as it resolves.
  @ListSize({ measured: true })
  async linkedPartners(@Arg('memberId', () => ID) memberIdInput: string, @Ctx() ctx: Context): Promise<Partner[]> {
    const memberId = requireId(memberIdInput, 'memberId');
    const only = linkedPartnersScope(ctx.viewer, memberId);
    const ids = await ctx.services.links.linkedPartnerIds(memberId, only);
    return (await ctx.loaders.partner.loadMany(ids)).filter((p): p is Partner => !!p && !(p instanceof Error));
  }

  @Mutation(() => PartnerLinkCode, {
    description: `The member itself (any member token): a one-time code to give a partner's app, which redeems it with linkMember. Valid ${LINK_CODE_TTL_SECONDS / 60} minutes, single use`,
  })
  createPartnerLinkCode(@Arg('memberId', () => ID) memberIdInput: string, @Ctx() ctx: Context): Promise<PartnerLinkCode> {
    const memberId = requireId(memberIdInput, 'memberId');
    requireMemberItself(ctx.viewer, memberId);
    return ctx.services.links.createCode(memberId);
  }
}
