import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { DecimalScalar } from '../../graphql/scalars';

export enum MembershipStatus {
  ACTIVE = 'ACTIVE',
  CANCELLED = 'CANCELLED',
  EXPIRED = 'EXPIRED',
}
registerEnumType(MembershipStatus, { name: 'MembershipStatus' });

/** A paid membership (like Amazon Prime): a price per period and an earn multiplier while active. */
@ObjectType({ simpleResolvers: true })
export class MembershipPlan {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  priceAmount!: string;
  currencyCode!: string;

  @Field(() => Int)
  periodMonths!: number;

  @Field(() => DecimalScalar, { description: 'Base points are multiplied by this while the membership is active' })
  earnMultiplier!: string;

  @Field(() => Boolean)
  active!: boolean;
}

@ObjectType({ simpleResolvers: true })
export class Membership {
  @Field(() => ID)
  id!: string;

  memberId!: string;
  planId!: string;
  storedStatus!: 'ACTIVE' | 'CANCELLED';

  @Field(() => Date)
  startedAt!: Date;

  @Field(() => Date)
  currentPeriodEnd!: Date;

  /** Shown as externalPaymentRef only to who may see it (policy.canSeePaymentRef). */
  storedPaymentRef!: string;
  /** The partner that took the latest payment (null: recorded by an admin). */
  recordedByPartnerId!: string | null;
}

@InputType()
export class MembershipPlanInput {
  @Field(() => String)
  name!: string;

  @Field(() => DecimalScalar)
  price!: string;

  @Field(() => String)
  currencyCode!: string;

  @Field(() => Int)
  periodMonths!: number;

  @Field(() => DecimalScalar)
  earnMultiplier!: string;
}

export const PLAN_COLUMNS = `id, name, price::text AS "priceAmount", currency_code AS "currencyCode", period_months AS "periodMonths",
  earn_multiplier::text AS "earnMultiplier", active`;
export const MEMBERSHIP_COLUMNS = `id, member_id AS "memberId", plan_id AS "planId", status AS "storedStatus", started_at AS "startedAt",
  current_period_end AS "currentPeriodEnd", external_payment_ref AS "storedPaymentRef", partner_id AS "recordedByPartnerId"`;
