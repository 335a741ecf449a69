import { Field, Int, ObjectType } from 'type-graphql';
import { Money } from '../../graphql/money.type';

/** One partner's position for a period, in its own currency. */
@ObjectType({ simpleResolvers: true })
export class SettlementLine {
  partnerId!: string;

  @Field(() => Int, {
    description:
      "Points issued by this partner (earns net of their reversals; on the coalition's line also its BONUS transactions: birthday, referral, challenge)",
  })
  pointsIssued!: number;

  @Field(() => Int, { description: 'Points redeemed at this partner (redemptions net of cancellations)' })
  pointsRedeemed!: number;

  @Field(() => Int, {
    description:
      "Breakage: this issuer's points that expired unspent in the period. They were paid for at issue (owedByPartner) and will never be redeemed, so the coalition keeps their value",
  })
  pointsExpired!: number;

  @Field(() => Money, {
    description: 'pointsExpired valued as when issued (the rate each lot was issued at): what the partner paid for points that will never be redeemed',
  })
  breakage!: Money;

  @Field(() => Money, { description: 'Issued points × the burn rate of the version each earn used: what the partner pays the coalition' })
  owedByPartner!: Money;

  @Field(() => Money, { description: 'Redeemed points × the burn rate in force at each redemption: what the coalition pays the partner' })
  owedToPartner!: Money;

  @Field(() => Money, { description: 'owedToPartner − owedByPartner: positive, the coalition pays the partner; negative, the partner pays' })
  net!: Money;
}

/** Points issued at one partner and honoured at another (or the same) in a period. */
@ObjectType({ simpleResolvers: true })
export class SettlementFlow {
  issuerId!: string | null;
  redeemerId!: string;

  @Field(() => Int)
  points!: number;

  @Field(() => Money, { description: "Those points at the redeeming partner's burn rates, in its currency" })
  value!: Money;
}
