// Member servicing (issue 17): the operations a call centre needs, and the member's own rights to
// a copy of its data and to erasure. Who may do what is decided in auth/policy.ts only.
import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { requireId } from '../../errors/ids';
import { AuditActor } from '../audit/audit-trail';
import { Capability, requireMemberOrStaff, requireMemberServicing, requirePointsAdjustment, requireTransferSender } from '../auth/policy';
import type { Caller } from '../auth/viewer';
import { PointsTransaction } from '../ledger/points-transaction.entity';
import { Member } from '../member/member.entity';
import { AdjustPointsInput, TransferPointsInput, UpdateMemberInput } from './servicing.types';

/** Who the audit trail names: staff (the admin token for now), or the member itself acting on its own account. */
function actorOf(caller: Caller): AuditActor {
  return caller.kind === 'member' ? { kind: 'SYSTEM' } : { kind: 'ADMIN' };
}

const ADMIN: AuditActor = { kind: 'ADMIN' };

@Resolver()
export class ServicingResolver {
  @Mutation(() => PointsTransaction, {
    description:
      'Staff: credit (points > 0) or debit a member, type ADJUSTMENT, funded by the coalition unless partnerId names a partner. reason required. ' +
      'Support staff move at most programSettings.supportAdjustmentLimit per adjustment (FORBIDDEN naming input.points)',
  })
  async adjustPoints(@Arg('input', () => AdjustPointsInput) input: AdjustPointsInput, @Ctx() ctx: Context): Promise<PointsTransaction> {
    const { capped } = requirePointsAdjustment(ctx.viewer);
    return ctx.services.pointsServicing.adjust(ctx.viewer as Caller, input, ADMIN, capped);
  }

  @Mutation(() => PointsTransaction, {
    description:
      "The sending member (or staff): give points to another member, type TRANSFER; the lots keep their issuer and expiry. The sender's side is " +
      'returned. Monthly limits: programSettings.transfersPerMonth and transferPointsPerMonth (TRANSFER_LIMIT_EXCEEDED)',
  })
  async transferPoints(@Arg('input', () => TransferPointsInput) input: TransferPointsInput, @Ctx() ctx: Context): Promise<PointsTransaction> {
    const caller = requireTransferSender(ctx.viewer, requireId(input.fromMemberId, 'input.fromMemberId'));
    return ctx.services.pointsServicing.transfer(caller, input);
  }

  @Mutation(() => Member, {
    description:
      "Staff: move the source's points and lots (issuers, expiry) to the target; the source becomes MERGED and its tokens stop working. Both keep their history",
  })
  async mergeMembers(
    @Arg('sourceMemberId', () => ID) sourceMemberId: string,
    @Arg('targetMemberId', () => ID) targetMemberId: string,
    @Arg('idempotencyKey', () => String) idempotencyKey: string,
    @Ctx() ctx: Context,
  ): Promise<Member> {
    requireMemberServicing(ctx.viewer);
    const targetId = await ctx.services.pointsServicing.merge(ctx.viewer as Caller, sourceMemberId, targetMemberId, idempotencyKey, ADMIN);
    return (await ctx.services.members.byIds([targetId]))[0]!;
  }

  @Mutation(() => Member, { description: 'The member itself or staff: change email, displayName or birthDate (omitted fields keep their value)' })
  async updateMember(@Arg('input', () => UpdateMemberInput) input: UpdateMemberInput, @Ctx() ctx: Context): Promise<Member> {
    const caller = requireMemberOrStaff(ctx.viewer, requireId(input.memberId, 'input.memberId'), 'input.memberId');
    return ctx.services.memberAccounts.update(input, actorOf(caller));
  }

  @Mutation(() => Member, {
    description: 'Staff: block a member: its earns, redemptions, payments and transfers are refused (MEMBER_BLOCKED); reads still work',
  })
  async blockMember(@Arg('memberId', () => ID) memberId: string, @Arg('reason', () => String) reason: string, @Ctx() ctx: Context): Promise<Member> {
    requireMemberServicing(ctx.viewer);
    return ctx.services.memberAccounts.setBlocked(memberId, true, reason, ADMIN);
  }

  @Mutation(() => Member, { description: 'Staff: lift a block' })
  async unblockMember(@Arg('memberId', () => ID) memberId: string, @Ctx() ctx: Context): Promise<Member> {
    requireMemberServicing(ctx.viewer);
    return ctx.services.memberAccounts.setBlocked(memberId, false, null, ADMIN);
  }

  @Mutation(() => Member, {
    description:
      'The member itself or staff: erase the personal data for good (status ERASED, tokens stop working, remaining points forfeited as an ERASURE ' +
      'transaction); amounts, lots and settlement stay, anonymous. See README, Member servicing',
  })
  async eraseMember(
    @Arg('memberId', () => ID) memberId: string,
    @Arg('idempotencyKey', () => String) idempotencyKey: string,
    @Ctx() ctx: Context,
  ): Promise<Member> {
    const caller = requireMemberOrStaff(ctx.viewer, requireId(memberId, 'memberId'));
    return ctx.services.memberAccounts.erase(caller, memberId, idempotencyKey, actorOf(caller));
  }

  @Query(() => String, { description: 'The member itself or staff: everything the program holds about the member, as one JSON document' })
  async exportMemberData(@Arg('memberId', () => ID) memberId: string, @Ctx() ctx: Context): Promise<string> {
    requireMemberOrStaff(ctx.viewer, requireId(memberId, 'memberId'), 'memberId', Capability.READ_PERSONAL_DATA);
    return ctx.services.memberAccounts.export(memberId);
  }
}
