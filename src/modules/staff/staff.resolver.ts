import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { ListSize } from '../../graphql/list-size';
import { auditActorOf } from '../audit/audit-trail';
import { Capability, requireStaff } from '../auth/policy';
import { StaffRole } from '../auth/staff-role';
import { CreateStaffUserInput, StaffUser } from './staff.types';

@Resolver(() => StaffUser)
export class StaffResolver {
  @Query(() => [StaffUser], { description: 'Staff (OWNER, AUDITOR): every staff account, deactivated ones included, oldest first' })
  @ListSize({ measured: true })
  staffUsers(@Ctx() ctx: Context): Promise<StaffUser[]> {
    requireStaff(ctx.viewer, Capability.READ_STAFF);
    return ctx.services.staff.list();
  }

  @Mutation(() => StaffUser, { description: 'Staff (OWNER): a personal account for a person on the staff, with its roles' })
  createStaffUser(@Arg('input', () => CreateStaffUserInput) input: CreateStaffUserInput, @Ctx() ctx: Context): Promise<StaffUser> {
    const owner = requireStaff(ctx.viewer, Capability.MANAGE_STAFF);
    return ctx.services.staff.create(input, auditActorOf(owner));
  }

  @Mutation(() => StaffUser, { description: "Staff (OWNER): replace a staff user's roles; applies to its very next request" })
  setStaffUserRoles(@Arg('id', () => ID) id: string, @Arg('roles', () => [StaffRole]) roles: StaffRole[], @Ctx() ctx: Context): Promise<StaffUser> {
    const owner = requireStaff(ctx.viewer, Capability.MANAGE_STAFF);
    return ctx.services.staff.setRoles(id, roles, auditActorOf(owner));
  }

  @Mutation(() => StaffUser, { description: 'Staff (OWNER): the user can no longer sign in, and its tokens stop working now' })
  deactivateStaffUser(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<StaffUser> {
    const owner = requireStaff(ctx.viewer, Capability.MANAGE_STAFF);
    return ctx.services.staff.deactivate(id, auditActorOf(owner));
  }

  @Mutation(() => String, {
    description:
      'A staff bearer token (lgs_…) for this email and password, valid STAFF_TOKEN_TTL_SECONDS (8 hours by default). ' +
      'A wrong email or password: UNAUTHENTICATED, alike; each failure counts against the failed-authentication limit of the address',
  })
  staffLogin(@Arg('email', () => String) email: string, @Arg('password', () => String) password: string, @Ctx() ctx: Context): Promise<string> {
    return ctx.services.staff.login(email, password, ctx.clientIp);
  }
}
