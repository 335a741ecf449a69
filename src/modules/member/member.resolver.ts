import { Arg, Args, Ctx, Field, FieldResolver, ID, InputType, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { Connection, PageArgs } from '../../graphql/connection';
import { requireId } from '../../errors/ids';
import {
  Capability,
  consentsScope,
  requireActivePartnerOrStaff,
  requireCardLookup,
  requireEmailLookup,
  requireFoundMemberAccess,
  requireMemberAccess,
  transactionPartnerScope,
} from '../auth/policy';
import { ListSize } from '../../graphql/list-size';
import { PartnerConsent } from '../linking/consent.types';
import { maskDisplayName, maskEmail } from '../privacy/personal-data';
import { callerScope, partnerIdOf } from '../auth/viewer';
import { PointsTransaction } from '../ledger/points-transaction.entity';
import { Tier } from '../tier/tier.entity';
import { TierService } from '../tier/tier.service';
import { Balance, Member } from './member.entity';

@InputType()
class EnrollMemberInput {
  @Field(() => String)
  email!: string;

  @Field(() => String)
  displayName!: string;

  @Field(() => String, { nullable: true, description: 'YYYY-MM-DD' })
  birthDate?: string;

  @Field(() => String, { nullable: true })
  referralCode?: string;

  @Field(() => String, {
    nullable: true,
    description: 'Optional; with it a retried enrolment returns the member it created (same key, same input), as for every other write',
  })
  idempotencyKey?: string;
}

const PointsTransactionConnection = Connection(PointsTransaction, 'PointsTransaction');

@Resolver(() => Member)
export class MemberResolver {
  @Query(() => Member, { nullable: true, description: 'Partners and admins: any member; a member: itself' })
  async member(@Arg('id', () => ID) idInput: string, @Ctx() ctx: Context) {
    const id = requireId(idInput, 'id');
    requireMemberAccess(ctx.viewer, id);
    return ctx.loaders.member.load(id);
  }

  @Query(() => Member, {
    nullable: true,
    description:
      'A member: itself only. A partner: only a member that enrolled there or consented to it, otherwise null (as for no such member). ' +
      'Staff: SUPPORT, AUDITOR, OWNER (audited)',
  })
  async memberByEmail(@Arg('email', () => String) email: string, @Ctx() ctx: Context) {
    const caller = requireEmailLookup(ctx.viewer);
    const member = await ctx.services.members.byEmail(email);
    requireFoundMemberAccess(caller, member?.id);
    // Looking a member up by email reads its email: null where the viewer could not see it.
    if (member && !(await ctx.loaders.personalDataVisible.load(member.id))) return null;
    return member;
  }

  @Query(() => Member, {
    nullable: true,
    description:
      'How a till identifies a member: by the card number it shows (spaces and dashes ignored). Partners and staff: any member (personal fields as the privacy rules say); a member: itself. A number failing its check digit: BAD_USER_INPUT naming cardNumber',
  })
  async memberByCard(@Arg('cardNumber', () => String) cardNumber: string, @Ctx() ctx: Context) {
    const caller = requireCardLookup(ctx.viewer);
    const member = await ctx.services.members.byCard(cardNumber);
    requireFoundMemberAccess(caller, member?.id);
    return member;
  }

  @FieldResolver(() => String, { description: 'Masked (a•••@e•••.com) for a partner the member did not enrol at or consent to' })
  async email(@Root() member: Member, @Ctx() ctx: Context): Promise<string> {
    return (await ctx.loaders.personalDataVisible.load(member.id)) ? member.email : maskEmail(member.email);
  }

  @FieldResolver(() => String, { description: 'Only its first letter for a partner the member did not enrol at or consent to' })
  async displayName(@Root() member: Member, @Ctx() ctx: Context): Promise<string> {
    return (await ctx.loaders.personalDataVisible.load(member.id)) ? member.displayName : maskDisplayName(member.displayName);
  }

  @FieldResolver(() => String, { nullable: true, description: 'YYYY-MM-DD; null for a partner the member did not enrol at or consent to' })
  async birthDate(@Root() member: Member, @Ctx() ctx: Context): Promise<string | null> {
    return (await ctx.loaders.personalDataVisible.load(member.id)) ? member.birthDate : null;
  }

  @FieldResolver(() => [PartnerConsent], {
    description: 'Partners the member shares its personal data with, first granted first. The member itself and staff see them all; a partner only its own',
  })
  // As long as the partners the member consented to: counted as it resolves.
  @ListSize({ measured: true })
  async consents(@Root() member: Member, @Ctx() ctx: Context): Promise<PartnerConsent[]> {
    const only = consentsScope(ctx.viewer, member.id);
    const all = await ctx.loaders.memberConsents.load(member.id);
    return only === null ? all : all.filter((c) => c.partnerId === only);
  }

  @Mutation(() => Member, { description: 'Partner (or admin): enrol a member into the coalition' })
  enrollMember(@Arg('input', () => EnrollMemberInput) input: EnrollMemberInput, @Ctx() ctx: Context) {
    // A suspended partner serves no one: it may not bring new members into the coalition either.
    const caller = requireActivePartnerOrStaff(ctx.viewer, Capability.SERVE_MEMBERS);
    return ctx.services.members.enroll(input, partnerIdOf(caller), callerScope(caller));
  }

  @FieldResolver(() => Tier)
  async tier(@Root() member: Member, @Ctx() ctx: Context) {
    return ctx.loaders.tier.load(member.tierId);
  }

  @FieldResolver(() => Balance)
  balance(@Root() member: Member, @Ctx() ctx: Context) {
    return ctx.loaders.balance.load(member.id);
  }

  @FieldResolver(() => Tier, { nullable: true, description: 'The tier above this one; null at the top' })
  async nextTier(@Root() member: Member, @Ctx() ctx: Context) {
    const tiers = await ctx.loaders.allTiers();
    const current = tiers.find((t) => t.id === member.tierId);
    return current ? TierService.nextAbove(tiers, current.rank) : null;
  }

  @FieldResolver(() => Int, { nullable: true, description: 'Qualifying points still needed for nextTier; null at the top' })
  async pointsToNextTier(@Root() member: Member, @Ctx() ctx: Context) {
    const next = await this.nextTier(member, ctx);
    if (!next) return null;
    const balance = await ctx.loaders.balance.load(member.id);
    return Math.max(0, next.qualifyingPoints - (balance?.qualifyingPoints ?? 0));
  }

  @FieldResolver(() => PointsTransactionConnection, { description: 'Newest first. A partner sees only transactions made at itself.' })
  transactions(@Root() member: Member, @Args(() => PageArgs) { first, after }: PageArgs, @Ctx() ctx: Context) {
    return ctx.services.members.transactions(member.id, transactionPartnerScope(ctx.viewer), first, after);
  }
}
