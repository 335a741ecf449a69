import { Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { STAFF_ROLES, StaffRole } from '../auth/staff-role';
import { ListSize } from '../../graphql/list-size';

registerEnumType(StaffRole, {
  name: 'StaffRole',
  description: 'What a staff user may do: see README "Staff roles" (the capability table in src/modules/auth/policy.ts)',
});

@ObjectType({ simpleResolvers: true, description: "A person on the operator's staff, signing in with staffLogin" })
export class StaffUser {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  email!: string;

  @Field(() => String)
  displayName!: string;

  // Distinct roles (the service keeps them so): at most one of each.
  @Field(() => [StaffRole])
  @ListSize({ max: STAFF_ROLES.length })
  roles!: StaffRole[];

  @Field(() => Boolean, { description: 'false once deactivated: the user can no longer sign in, and its tokens stopped working' })
  active!: boolean;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  lastLoginAt!: Date | null;
}

export const STAFF_USER_COLUMNS = `id, email, display_name AS "displayName", roles, active, created_at AS "createdAt", last_login_at AS "lastLoginAt"`;

@InputType()
export class CreateStaffUserInput {
  @Field(() => String)
  email!: string;

  @Field(() => String)
  displayName!: string;

  @Field(() => [StaffRole])
  roles!: StaffRole[];

  @Field(() => String, { description: '12 to 256 characters' })
  password!: string;
}
