import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { Connection } from '../../graphql/connection';
import { AuditAction, AuditTargetType } from '../audit/audit-trail';

export enum AuditActorKind {
  ADMIN = 'ADMIN',
  PARTNER = 'PARTNER',
  SYSTEM = 'SYSTEM',
  /** A staff user, named by actorStaffUserId. */
  STAFF = 'STAFF',
  /** A member acting for itself (its consents), named by actorMemberId. */
  MEMBER = 'MEMBER',
}
registerEnumType(AuditAction, { name: 'AuditAction', description: 'A configuration change the audit trail records' });
registerEnumType(AuditTargetType, { name: 'AuditTargetType' });
registerEnumType(AuditActorKind, {
  name: 'AuditActorKind',
  description: 'ADMIN: the break-glass ADMIN_TOKEN; STAFF: a staff user (actorStaffUserId); SYSTEM: start-up work such as the demo seed',
});

@ObjectType({ simpleResolvers: true, description: 'One configuration change: who, what, when, and the value before and after' })
export class AuditEntry {
  @Field(() => ID)
  id!: string;

  /** Cursor key: entries are listed newest first by it. */
  seq!: number;

  @Field(() => Date)
  at!: Date;

  @Field(() => AuditActorKind)
  actorKind!: AuditActorKind;

  actorPartnerId!: string | null;

  @Field(() => String, { nullable: true, description: 'For a partner actor: the prefix of the API key it used' })
  actorKeyPrefix!: string | null;

  @Field(() => ID, { nullable: true, description: 'For a STAFF actor: the staff user (see staffUsers)' })
  actorStaffUserId!: string | null;

  @Field(() => ID, { nullable: true, description: 'For a MEMBER actor: the member' })
  actorMemberId!: string | null;

  @Field(() => AuditAction)
  action!: AuditAction;

  @Field(() => AuditTargetType)
  targetType!: AuditTargetType;

  @Field(() => ID)
  targetId!: string;

  partnerId!: string | null;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'null when the target did not exist before' })
  previousValue!: Record<string, unknown> | null;

  @Field(() => GraphQLJSONObject, { nullable: true })
  newValue!: Record<string, unknown> | null;
}

export const AuditEntryConnection = Connection(AuditEntry, 'AuditEntry');

@InputType('AuditFilter', { description: 'All given conditions must hold' })
export class AuditFilterInput {
  @Field(() => AuditAction, { nullable: true })
  action?: AuditAction | null;

  @Field(() => ID, { nullable: true, description: 'The partner whose configuration changed' })
  partnerId?: string | null;

  @Field(() => Date, { nullable: true, description: 'Inclusive' })
  from?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Exclusive' })
  to?: Date | null;
}
