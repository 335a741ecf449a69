import { Arg, Args, Ctx, Field, FieldResolver, ID, InputType, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { Connection, PageArgs } from '../../graphql/connection';
import { requireId } from '../../errors/ids';
import { requireActivePartnerOrAdmin, requireCaller, requireFoundMemberAccess, requireMemberAccess, transactionPartnerScope } from '../auth/policy';
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

  @Query(() => Member, { nullable: true })
  async memberByEmail(@Arg('email', () => String) email: string, @Ctx() ctx: Context) {
    const caller = requireCaller(ctx.viewer);
    const member = await ctx.services.members.byEmail(email);
    requireFoundMemberAccess(caller, member?.id);
    return member;
  }

  @Mutation(() => Member, { description: 'Partner (or admin): enrol a member into the coalition' })
  enrollMember(@Arg('input', () => EnrollMemberInput) input: EnrollMemberInput, @Ctx() ctx: Context) {
    // A suspended partner serves no one: it may not bring new members into the coalition either.
    const caller = requireActivePartnerOrAdmin(ctx.viewer);
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
