import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum RedemptionStatus {
  ACTIVE = 'ACTIVE',
  CANCELLED = 'CANCELLED',
}
registerEnumType(RedemptionStatus, { name: 'RedemptionStatus' });

/** A reward bought with points; its code is what the member shows at the partner. */
@ObjectType({ simpleResolvers: true })
export class Redemption {
  @Field(() => ID)
  id!: string;

  seq!: number;

  memberId!: string;

  rewardId!: string;

  partnerId!: string;

  @Field(() => Int)
  quantity!: number;

  @Field(() => Int)
  pointsSpent!: number;

  @Field(() => String, { description: 'Unique, unguessable code the member presents to the partner' })
  code!: string;

  transactionId!: string;

  @Field(() => RedemptionStatus, { description: 'CANCELLED once its REDEEM transaction was reversed' })
  status!: RedemptionStatus;

  @Field(() => Date)
  createdAt!: Date;
}

export const REDEMPTION_COLUMNS = `id, seq, member_id AS "memberId", reward_id AS "rewardId", partner_id AS "partnerId", quantity,
  points_spent AS "pointsSpent", code, transaction_id AS "transactionId", status, created_at AS "createdAt"`;
