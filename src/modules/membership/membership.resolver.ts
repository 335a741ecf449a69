import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { Money } from '../../graphql/money.type';
import { formatAmount } from '../../money/decimal';
import { Capability, canSeePaymentRef, requireCaller, requireStaff } from '../auth/policy';
import { auditActorOf } from '../audit/audit-trail';
import { ListSize } from '../../graphql/list-size';
import { Member } from '../member/member.entity';
import { Membership, MembershipPlan, MembershipPlanInput, MembershipStatus } from './membership.types';

@Resolver(() => Membership)
export class MembershipResolver {
  @Mutation(() => MembershipPlan, { description: 'Staff (PROGRAM_MANAGER): a paid membership plan' })
  createMembershipPlan(@Arg('input', () => MembershipPlanInput) input: MembershipPlanInput, @Ctx() ctx: Context) {
    const staff = requireStaff(ctx.viewer, Capability.MANAGE_CATALOG);
    return ctx.services.memberships.createPlan(input, auditActorOf(staff));
  }

  @Query(() => [MembershipPlan], { description: 'Plans on offer (public)' })
  @ListSize({ measured: true })
  membershipPlans(@Ctx() ctx: Context) {
    return ctx.services.memberships.plans();
  }

  @Mutation(() => Membership, {
    description: 'A partner that took the payment (or an admin): start the membership, or renew the same plan for one more period',
  })
  startMembership(
    @Arg('memberId', () => ID) memberId: string,
    @Arg('planId', () => ID) planId: string,
    @Arg('externalPaymentRef', () => String) externalPaymentRef: string,
    @Arg('idempotencyKey', () => String) idempotencyKey: string,
    @Ctx() ctx: Context,
  ) {
    return ctx.services.memberships.start(requireCaller(ctx.viewer), { memberId, planId, externalPaymentRef, idempotencyKey });
  }

  @Mutation(() => Membership, { description: 'End the membership now (the member itself, a partner linked to the member, or an admin)' })
  cancelMembership(@Arg('memberId', () => ID) memberId: string, @Ctx() ctx: Context) {
    return ctx.services.memberships.cancel(requireCaller(ctx.viewer), memberId);
  }

  @FieldResolver(() => MembershipPlan)
  plan(@Root() m: Membership, @Ctx() ctx: Context) {
    return ctx.loaders.membershipPlan.load(m.planId);
  }

  @FieldResolver(() => String, {
    nullable: true,
    description: "The payment provider's reference: only the partner that recorded it (took the latest payment) and admins see it; null for anyone else",
  })
  externalPaymentRef(@Root() m: Membership, @Ctx() ctx: Context): string | null {
    return canSeePaymentRef(ctx.viewer, m.recordedByPartnerId) ? m.storedPaymentRef : null;
  }

  @FieldResolver(() => MembershipStatus)
  status(@Root() m: Membership): MembershipStatus {
    if (m.storedStatus === 'CANCELLED') return MembershipStatus.CANCELLED;
    return new Date(m.currentPeriodEnd) > new Date() ? MembershipStatus.ACTIVE : MembershipStatus.EXPIRED;
  }
}

@Resolver(() => MembershipPlan)
export class MembershipPlanResolver {
  @FieldResolver(() => Money, { description: 'Price per period' })
  price(@Root() plan: MembershipPlan): Money {
    return { amount: formatAmount(plan.priceAmount, plan.currencyCode), currencyCode: plan.currencyCode };
  }
}

@Resolver(() => Member)
export class MemberMembershipResolver {
  @FieldResolver(() => Membership, { nullable: true, description: 'The latest paid membership (check status)' })
  membership(@Root() member: Member, @Ctx() ctx: Context) {
    return ctx.loaders.latestMembership.load(member.id);
  }
}
