import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { notFound } from '../../errors/domain-error';
import { requireId } from '../../errors/ids';
import { requireActivePartnerOrAdmin, requireAdmin } from './policy';
import { viewerLabel } from './viewer';

@Resolver()
export class AuthResolver {
  @Query(() => String, { description: 'Who the token says you are: "anonymous", "admin", "partner:<slug>" or "member:<id>"' })
  viewer(@Ctx() ctx: Context): string {
    return viewerLabel(ctx.viewer);
  }

  @Mutation(() => String, { description: 'Admin: a new API key for a partner. Shown once; only its hash is kept.' })
  async createPartnerApiKey(@Arg('partnerId', () => ID) partnerId: string, @Ctx() ctx: Context): Promise<string> {
    requireAdmin(ctx.viewer);
    return (await ctx.services.apiKeys.create(partnerId)).key;
  }

  @Mutation(() => Boolean, { description: 'Admin: revoke a partner API key by its prefix (lgk_<prefix>_…). False if no active key had it.' })
  revokePartnerApiKey(@Arg('prefix', () => String) prefix: string, @Ctx() ctx: Context): Promise<boolean> {
    requireAdmin(ctx.viewer);
    return ctx.services.apiKeys.revoke(prefix);
  }

  @Mutation(() => String, { description: 'Partner (or admin): a signed, expiring token for a member the partner has authenticated' })
  async issueMemberToken(@Arg('memberId', () => ID) memberIdInput: string, @Ctx() ctx: Context): Promise<string> {
    const caller = requireActivePartnerOrAdmin(ctx.viewer);
    const memberId = requireId(memberIdInput, 'memberId');
    if (!(await ctx.loaders.member.load(memberId))) throw notFound('memberId', 'member');
    return ctx.services.memberTokens.issue(memberId, caller.kind === 'partner' ? caller.partnerId : null).token;
  }
}
