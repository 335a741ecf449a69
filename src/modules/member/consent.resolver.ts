// grantPartnerConsent / revokePartnerConsent answer with the Member, so they live here, above
// linking (where consents are kept), as linkMember does.
import { Arg, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { notFound } from '../../errors/domain-error';
import { requireId } from '../../errors/ids';
import { auditActorOf } from '../audit/audit-trail';
import { requireConsentChange } from '../auth/policy';
import { PartnerConsent } from '../linking/consent.types';
import { Partner } from '../partner/partner.entity';
import { Member } from './member.entity';

@Resolver()
export class ConsentResolver {
  @Mutation(() => Member, {
    description: "The member itself, or staff (SUPPORT): the partner sees the member's email, name and birth date from now on",
  })
  async grantPartnerConsent(@Arg('memberId', () => ID) memberId: string, @Arg('partnerId', () => ID) partnerId: string, @Ctx() ctx: Context): Promise<Member> {
    const id = requireId(memberId, 'memberId');
    const caller = requireConsentChange(ctx.viewer, id);
    await ctx.services.consents.grant(id, partnerId, auditActorOf(caller));
    return this.member(id, ctx);
  }

  @Mutation(() => Member, {
    description:
      'The member itself, or staff (SUPPORT): the partner sees masked personal fields from now on, and its link to the member ends ' +
      '(it can no longer issue member tokens for it). The partner the member enrolled at keeps seeing what the member gave it',
  })
  async revokePartnerConsent(@Arg('memberId', () => ID) memberId: string, @Arg('partnerId', () => ID) partnerId: string, @Ctx() ctx: Context): Promise<Member> {
    const id = requireId(memberId, 'memberId');
    const caller = requireConsentChange(ctx.viewer, id);
    await ctx.services.consents.revoke(id, partnerId, auditActorOf(caller));
    return this.member(id, ctx);
  }

  private async member(id: string, ctx: Context): Promise<Member> {
    const member = await ctx.loaders.member.load(id);
    if (!member) throw notFound('memberId', 'member');
    return member;
  }
}

@Resolver(() => PartnerConsent)
export class PartnerConsentResolver {
  @FieldResolver(() => Partner)
  async partner(@Root() consent: PartnerConsent, @Ctx() ctx: Context): Promise<Partner> {
    return (await ctx.loaders.partner.load(consent.partnerId))!;
  }
}
