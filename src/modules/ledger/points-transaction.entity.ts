import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum TransactionType {
  EARN = 'EARN',
  REDEEM = 'REDEEM',
  REVERSAL = 'REVERSAL',
  ADJUSTMENT = 'ADJUSTMENT',
  EXPIRY = 'EXPIRY',
  BONUS = 'BONUS',
  /** Points spent at a partner's till as money off the bill (payment module). */
  PAYMENT = 'PAYMENT',
  /** Points one member gives another (servicing); the sender's and the receiver's side are one transaction each. */
  TRANSFER = 'TRANSFER',
  /** A duplicate account's points moving into the account it was merged into, each side its own transaction. */
  MERGE = 'MERGE',
  /** What an erased member had left, forfeited to the coalition's breakage. */
  ERASURE = 'ERASURE',
  /** Opening points a joining partner brings for its members (members import), issued by that partner. */
  MIGRATION = 'MIGRATION',
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
export class PointsTransaction {
  @Field(() => ID)
  id!: string;

  seq!: number;

  @Field(() => TransactionType)
  type!: TransactionType;

  memberId!: string;

  partnerId!: string | null;

  @Field(() => Int, { description: "Signed change to the member's available points" })
  points!: number;

  @Field(() => Int)
  balanceAfter!: number;

  purchaseAmount!: string | null;

  purchaseCurrency!: string | null;

  @Field(() => Channel, { nullable: true })
  channel!: Channel | null;

  @Field(() => String, { nullable: true, description: "The partner's receipt or order number" })
  externalRef!: string | null;

  exchangeRateId!: string | null;

  tierMultiplier!: string | null;

  reversesId!: string | null;

  @Field(() => String, { nullable: true })
  reason!: string | null;

  breakdown!: { source: string; ruleId?: string | null; points: number; funder?: string | null }[];

  @Field(() => Date)
  createdAt!: Date;
}

export const TRANSACTION_COLUMNS = `id, seq, type, member_id AS "memberId", partner_id AS "partnerId", points,
  balance_after AS "balanceAfter", purchase_amount::text AS "purchaseAmount", purchase_currency AS "purchaseCurrency",
  channel, external_ref AS "externalRef", exchange_rate_id AS "exchangeRateId", tier_multiplier::text AS "tierMultiplier",
  reverses_id AS "reversesId", reason, breakdown, created_at AS "createdAt"`;
