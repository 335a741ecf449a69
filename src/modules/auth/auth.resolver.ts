import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { DomainError, ErrorCode, notFound } from '../../errors/domain-error';
import { requireId } from '../../errors/ids';
import { auditActorOf } from '../audit/audit-trail';
import { MAX_ROTATION_GRACE_SECONDS } from './api-key.service';
import { PartnerApiKey, RotatedApiKey } from './api-key.types';
import { Capability, requireActivePartnerOrStaff, requireLinkedPartner, requireStaff } from './policy';
import { partnerIdOf, viewerLabel } from './viewer';
import { ListSize } from '../../graphql/list-size';

@Resolver()
export class AuthResolver {
  @Query(() => String, { description: 'Who the token says you are: "anonymous", "admin", "partner:<slug>" or "member:<id>"' })
  viewer(@Ctx() ctx: Context): string {
    return viewerLabel(ctx.viewer);
  }

  @Query(() => [PartnerApiKey], { description: "Admin: a partner's API keys, oldest first, revoked ones included (prefixes only)" })
  @ListSize({ measured: true })
  async partnerApiKeys(@Arg('partnerId', () => ID) partnerId: string, @Ctx() ctx: Context): Promise<PartnerApiKey[]> {
    requireStaff(ctx.viewer, Capability.READ_PROGRAM);
    const now = Date.now();
    return (await ctx.services.apiKeys.list(partnerId)).map((k) => ({
      ...k,
      active: k.revokedAt === null && (k.expiresAt === null || k.expiresAt.getTime() > now),
    }));
  }

  @Mutation(() => String, { description: 'Admin: a new API key for a partner. Shown once; only its hash is kept.' })
  async createPartnerApiKey(@Arg('partnerId', () => ID) partnerId: string, @Ctx() ctx: Context): Promise<string> {
    const staff = requireStaff(ctx.viewer, Capability.MANAGE_PARTNERS);
    return (await ctx.services.apiKeys.create(partnerId, auditActorOf(staff))).key;
  }

  @Mutation(() => Boolean, {
    description: 'Admin: revoke a partner API key by its prefix (lgk_<prefix>_…), at once; its live connections close. False if no active key had it.',
  })
  revokePartnerApiKey(@Arg('prefix', () => String) prefix: string, @Ctx() ctx: Context): Promise<boolean> {
    const staff = requireStaff(ctx.viewer, Capability.MANAGE_PARTNERS);
    return ctx.services.apiKeys.revoke(prefix, auditActorOf(staff));
  }

  @Mutation(() => RotatedApiKey, {
    description: `Admin: replace an active key with a new one (shown once). The old key stops working now, or after graceSeconds (at most ${MAX_ROTATION_GRACE_SECONDS}) so clients can switch over.`,
  })
  rotatePartnerApiKey(
    @Arg('prefix', () => String) prefix: string,
    @Arg('graceSeconds', () => Int, { defaultValue: 0 }) graceSeconds: number,
    @Ctx() ctx: Context,
  ): Promise<RotatedApiKey> {
    const staff = requireStaff(ctx.viewer, Capability.MANAGE_PARTNERS);
    return ctx.services.apiKeys.rotate(prefix, graceSeconds, auditActorOf(staff));
  }

  @Mutation(() => String, {
    description:
      'Partner (or admin): a signed, expiring token for a member the partner has authenticated. A partner only for a member linked to it ' +
      '(enrolled there, or linked with linkMember); otherwise FORBIDDEN naming memberId',
  })
  async issueMemberToken(@Arg('memberId', () => ID) memberIdInput: string, @Ctx() ctx: Context): Promise<string> {
    const caller = requireActivePartnerOrStaff(ctx.viewer, Capability.SERVE_MEMBERS);
    const memberId = requireId(memberIdInput, 'memberId');
    const member = await ctx.loaders.member.load(memberId);
    if (!member) throw notFound('memberId', 'member');
    // A merged or erased member signs in no more (its old tokens are refused too, authenticate.ts).
    if (member.status === 'MERGED' || member.status === 'ERASED') {
      throw new DomainError(ErrorCode.MEMBER_CLOSED, `memberId: this member's account is closed (${member.status})`, 'memberId', { status: member.status });
    }
    await requireLinkedPartner(caller, memberId, ctx.services.links.isLinked);
    return ctx.services.memberTokens.issue(memberId, partnerIdOf(caller)).token;
  }
}
