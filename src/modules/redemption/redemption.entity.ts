import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum RedemptionStatus {
  /** Can be used at the reward partner's till, or cancelled. */
  ACTIVE = 'ACTIVE',
  /** Used: the reward partner honoured the code. */
  FULFILLED = 'FULFILLED',
  /** Reversed; the points went back to the member's lots. */
  CANCELLED = 'CANCELLED',
  /** Not used within the reward's validity; the lifecycle job gives the points back. */
  EXPIRED = 'EXPIRED',
}
registerEnumType(RedemptionStatus, { name: 'RedemptionStatus', description: 'ACTIVE → FULFILLED | CANCELLED | EXPIRED' });

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

  @Field(() => RedemptionStatus, {
    description: 'FULFILLED once used at the till, CANCELLED once its REDEEM was reversed, EXPIRED from expiresAt on if unused',
  })
  status!: RedemptionStatus;

  @Field(() => Date, { nullable: true, description: "When the reward partner's till used the code" })
  fulfilledAt!: Date | null;

  @Field(() => Date, { nullable: true, description: "The end of the code's validity (the reward's validDays); null: it does not expire" })
  expiresAt!: Date | null;

  @Field(() => Date)
  createdAt!: Date;
}

/**
 * A code past its validity is EXPIRED from that moment, for every reader and every check; the
 * lifecycle job only gives its points back (and then stores the status).
 */
export const REDEMPTION_STATUS_SQL = `CASE WHEN status = 'ACTIVE' AND expires_at <= now() THEN 'EXPIRED' ELSE status END`;

export const REDEMPTION_COLUMNS = `id, seq, member_id AS "memberId", reward_id AS "rewardId", partner_id AS "partnerId", quantity,
  points_spent AS "pointsSpent", code, transaction_id AS "transactionId", ${REDEMPTION_STATUS_SQL} AS status,
  fulfilled_at AS "fulfilledAt", expires_at AS "expiresAt", created_at AS "createdAt"`;
