import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { badInput } from '../../errors/domain-error';
import { Capability, requireCaller, requireStaff } from '../auth/policy';
import { auditActorOf } from '../audit/audit-trail';
import { ListSize } from '../../graphql/list-size';
import { Member } from '../member/member.entity';
import { Partner } from '../partner/partner.entity';
import { setPartnerSettings } from './partner-settings';
import { expiringPoints } from './expiry';
import { ExpiringPoints, ProgramSettings, ProgramSettingsInput } from './program-settings.types';

const MAX_EXPIRING_WINDOW_DAYS = 3660;

@Resolver(() => ProgramSettings)
export class ProgramSettingsResolver {
  @Mutation(() => ProgramSettings, { description: 'Staff (PROGRAM_MANAGER): expiry policy and coalition-funded bonuses; omitted fields keep their value' })
  setProgramSettings(@Arg('input', () => ProgramSettingsInput) input: ProgramSettingsInput, @Ctx() ctx: Context) {
    const staff = requireStaff(ctx.viewer, Capability.MANAGE_SETTINGS);
    return ctx.services.programSettings.set(input, auditActorOf(staff));
  }

  @Query(() => ProgramSettings, { description: "The program's lifecycle settings (any authenticated caller)" })
  programSettings(@Ctx() ctx: Context) {
    requireCaller(ctx.viewer);
    return ctx.services.programSettings.get();
  }

  @Mutation(() => Partner, {
    description:
      'Admin, or the partner itself: its return window (pendingDays, for earns from now on) and its own birthday reward; omitted arguments keep their value',
  })
  setPartnerSettings(
    @Arg('partnerId', () => ID) partnerId: string,
    @Arg('pendingDays', () => Int, { nullable: true }) pendingDays: number | undefined,
    @Arg('birthdayBonusPoints', () => Int, { nullable: true }) birthdayBonusPoints: number | undefined,
    @Ctx() ctx: Context,
  ) {
    return setPartnerSettings(ctx.services.db, requireCaller(ctx.viewer), partnerId, { pendingDays, birthdayBonusPoints });
  }
}

@Resolver(() => Member)
export class MemberLifecycleResolver {
  @FieldResolver(() => [ExpiringPoints], { description: 'Spendable points expiring within withinDays, per day, soonest first' })
  @ListSize({ measured: true })
  expiringPoints(@Root() member: Member, @Arg('withinDays', () => Int) withinDays: number, @Ctx() ctx: Context) {
    if (!Number.isInteger(withinDays) || withinDays < 0 || withinDays > MAX_EXPIRING_WINDOW_DAYS) {
      throw badInput('withinDays', `must be 0 to ${MAX_EXPIRING_WINDOW_DAYS}`);
    }
    return expiringPoints(ctx.services.db, member.id, withinDays);
  }
}
