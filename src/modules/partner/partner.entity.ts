import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum PartnerStatus {
  ACTIVE = 'ACTIVE',
  SUSPENDED = 'SUSPENDED',
}
registerEnumType(PartnerStatus, { name: 'PartnerStatus' });

/** A brand in the coalition, paid in its own currency. Public data: anyone may read it. */
@ObjectType({ simpleResolvers: true })
export class Partner {
  @Field(() => ID)
  id!: string;

  seq!: number;

  @Field(() => String)
  slug!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String, { description: 'ISO 4217 code of the currency purchases at this partner are paid in' })
  currencyCode!: string;

  @Field(() => PartnerStatus)
  status!: PartnerStatus;

  @Field(() => Boolean, { description: "True for the coalition's own issuer of program-funded points (not a brand)" })
  isCoalition!: boolean;

  @Field(() => Int, { description: 'Return window: points earned here stay pending (not spendable) this many days; 0: available at once' })
  pendingDays!: number;

  @Field(() => Int, {
    description: 'Its own birthday reward: points it gives its customers (enrolled here, or earned here in the last 12 months) on their birthday; 0: none',
  })
  birthdayBonusPoints!: number;

  @Field(() => Date)
  createdAt!: Date;
}

export const PARTNER_COLUMNS = `id, seq, slug, name, currency_code AS "currencyCode", status, is_coalition AS "isCoalition", pending_days AS "pendingDays", birthday_bonus_points AS "birthdayBonusPoints", created_at AS "createdAt"`;
