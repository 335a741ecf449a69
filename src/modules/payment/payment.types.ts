import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { DecimalScalar } from '../../graphql/scalars';

/** Points a member spent at a partner's till as money off the bill, at that partner's burn rate. */
@ObjectType('PointsPayment', {
  simpleResolvers: true,
  description: "Points a member spent at a partner's till as money off the bill, at that partner's burn rate",
})
export class PointsPayment {
  @Field(() => ID)
  id!: string;

  memberId!: string;

  partnerId!: string;

  @Field(() => Int)
  points!: number;

  /** Exact, already rounded down to the currency's decimals. */
  discountAmount!: string;

  billAmount!: string;

  currencyCode!: string;

  @Field(() => String, { description: "The till's receipt or order number: a receipt is paid with points once" })
  externalRef!: string;

  transactionId!: string;

  @Field(() => Date)
  createdAt!: Date;
}

export const PAYMENT_COLUMNS = `id, member_id AS "memberId", partner_id AS "partnerId", points, discount::text AS "discountAmount",
  bill_amount::text AS "billAmount", currency_code AS "currencyCode", external_ref AS "externalRef", transaction_id AS "transactionId",
  created_at AS "createdAt"`;

@InputType('PayWithPointsInput')
export class PayWithPointsInput {
  @Field(() => ID)
  memberId!: string;

  @Field(() => Int, { description: "Points to spend, at least the program's minPointsPerPayment" })
  points!: number;

  @Field(() => DecimalScalar, { description: "The bill before the discount, in the partner's currency (at most its ISO 4217 decimals)" })
  billAmount!: string;

  @Field(() => String, { description: "The partner's currency: a bill in any other is refused" })
  currencyCode!: string;

  @Field(() => String, { description: 'The receipt number, 1-255 characters; a receipt is paid with points once (earning on it is separate)' })
  externalRef!: string;

  @Field(() => String, { description: 'Your unique key for this request: a retry never spends twice' })
  idempotencyKey!: string;

  @Field(() => ID, { nullable: true, description: 'Admins: the partner at whose till the member pays. A partner key omits it or names itself.' })
  partnerId?: string | null;
}
