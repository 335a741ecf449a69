import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity, PrimaryColumn } from 'typeorm';

export enum RedemptionStatus {
  ACTIVE = 'ACTIVE',
  CANCELLED = 'CANCELLED',
}
registerEnumType(RedemptionStatus, { name: 'RedemptionStatus' });

/** A reward bought with points; its code is what the member shows at the partner. */
@ObjectType({ simpleResolvers: true })
@Entity('redemption')
export class Redemption {
  @Field(() => ID)
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ type: 'bigint', insert: false, update: false })
  seq!: number;

  @Column('uuid', { name: 'member_id' })
  memberId!: string;

  @Column('uuid', { name: 'reward_id' })
  rewardId!: string;

  @Column('uuid', { name: 'partner_id' })
  partnerId!: string;

  @Field(() => Int)
  @Column('int')
  quantity!: number;

  @Field(() => Int)
  @Column('bigint', { name: 'points_spent' })
  pointsSpent!: number;

  @Field(() => String, { description: 'Unique, unguessable code the member presents to the partner' })
  @Column('text')
  code!: string;

  @Column('uuid', { name: 'transaction_id' })
  transactionId!: string;

  @Field(() => RedemptionStatus, { description: 'CANCELLED once its REDEEM transaction was reversed' })
  @Column('text')
  status!: RedemptionStatus;

  @Field(() => Date)
  @Column('timestamptz', { name: 'created_at' })
  createdAt!: Date;
}

export const REDEMPTION_COLUMNS = `id, seq, member_id AS "memberId", reward_id AS "rewardId", partner_id AS "partnerId", quantity,
  points_spent AS "pointsSpent", code, transaction_id AS "transactionId", status, created_at AS "createdAt"`;
