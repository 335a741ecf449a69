import { Field, ID, Int, ObjectType } from 'type-graphql';
import { DecimalScalar } from '../../graphql/scalars';

/**
 * One version of a partner's rates. Never edited: a change is a new version with its own
 * effectiveFrom, and every ledger transaction records the version it used.
 */
@ObjectType({ simpleResolvers: true })
export class ExchangeRate {
  @Field(() => ID)
  id!: string;

  partnerId!: string;

  @Field(() => Int, { description: "1 for the partner's first rate, then 2, 3, …" })
  version!: number;

  @Field(() => DecimalScalar, { description: "Points per 1 unit of the partner's currency spent" })
  earnRate!: string;

  @Field(() => DecimalScalar, { description: "Value in the partner's currency of 1 point redeemed at it" })
  burnRate!: string;

  @Field(() => Date)
  effectiveFrom!: Date;

  @Field(() => Date)
  createdAt!: Date;
}

export const RATE_COLUMNS = `id, partner_id AS "partnerId", version, earn_rate::text AS "earnRate", burn_rate::text AS "burnRate",
  effective_from AS "effectiveFrom", created_at AS "createdAt"`;
