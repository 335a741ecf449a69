// linkMember answers with the Member, so it lives here, above linking: linking (the links a member's
// enrolment records) names no member type and imports nothing from this module.
import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { requireLinkingPartner } from '../auth/policy';
import { Member } from './member.entity';

@Resolver()
export class LinkMemberResolver {
  @Mutation(() => Member, {
    description:
      "A partner redeems a member's link code; afterwards it may issue member tokens for that member (and redeem its rewards for it). " +
      'Unknown, expired or used codes: BAD_USER_INPUT naming code. Partners only (an admin needs no link)',
  })
  async linkMember(@Arg('code', () => String) code: string, @Ctx() ctx: Context): Promise<Member> {
    const partner = requireLinkingPartner(ctx.viewer);
    const memberId = await ctx.services.links.redeem(partner.partnerId, code);
    return (await ctx.loaders.member.load(memberId))!;
  }
}
