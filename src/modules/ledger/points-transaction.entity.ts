import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity, PrimaryColumn } from 'typeorm';

export enum TransactionType {
  EARN = 'EARN',
  REDEEM = 'REDEEM',
  REVERSAL = 'REVERSAL',
  ADJUSTMENT = 'ADJUSTMENT',
  EXPIRY = 'EXPIRY',
  BONUS = 'BONUS',
}
registerEnumType(TransactionType, { name: 'TransactionType' });

export enum Channel {
  ONLINE = 'ONLINE',
  IN_STORE = 'IN_STORE',
  APP = 'APP',
}
registerEnumType(Channel, { name: 'Channel' });

/** One points movement on a member's wallet; its ledger entries sum to zero. */
@ObjectType('PointsTransaction', { simpleResolvers: true })
@Entity('ledger_transaction')
export class PointsTransaction {
  @Field(() => ID)
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ type: 'bigint', insert: false, update: false })
  seq!: number;

  @Field(() => TransactionType)
  @Column('text')
  type!: TransactionType;

  @Column('uuid', { name: 'member_id' })
  memberId!: string;

  @Column('uuid', { name: 'partner_id', nullable: true })
  partnerId!: string | null;

  @Field(() => Int, { description: "Signed change to the member's available points" })
  @Column('bigint')
  points!: number;

  @Field(() => Int)
  @Column('bigint', { name: 'balance_after' })
  balanceAfter!: number;

  @Column('numeric', { name: 'purchase_amount', nullable: true })
  purchaseAmount!: string | null;

  @Column('char', { name: 'purchase_currency', length: 3, nullable: true })
  purchaseCurrency!: string | null;

  @Field(() => Channel, { nullable: true })
  @Column('text', { nullable: true })
  channel!: Channel | null;

  @Field(() => String, { nullable: true, description: "The partner's receipt or order number" })
  @Column('text', { name: 'external_ref', nullable: true })
  externalRef!: string | null;

  @Column('uuid', { name: 'exchange_rate_id', nullable: true })
  exchangeRateId!: string | null;

  @Column('numeric', { name: 'tier_multiplier', nullable: true })
  tierMultiplier!: string | null;

  @Column('uuid', { name: 'reverses_id', nullable: true })
  reversesId!: string | null;

  @Field(() => String, { nullable: true })
  @Column('text', { nullable: true })
  reason!: string | null;

  @Column('jsonb')
  breakdown!: { source: string; ruleId?: string | null; points: number; funder?: string | null }[];

  @Field(() => Date)
  @Column('timestamptz', { name: 'created_at' })
  createdAt!: Date;
}

export const TRANSACTION_COLUMNS = `id, seq, type, member_id AS "memberId", partner_id AS "partnerId", points,
  balance_after AS "balanceAfter", purchase_amount::text AS "purchaseAmount", purchase_currency AS "purchaseCurrency",
  channel, external_ref AS "externalRef", exchange_rate_id AS "exchangeRateId", tier_multiplier::text AS "tierMultiplier",
  reverses_id AS "reversesId", reason, breakdown, created_at AS "createdAt"`;
