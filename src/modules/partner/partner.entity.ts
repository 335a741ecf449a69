import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity, PrimaryColumn } from 'typeorm';

export enum PartnerStatus {
  ACTIVE = 'ACTIVE',
  SUSPENDED = 'SUSPENDED',
}
registerEnumType(PartnerStatus, { name: 'PartnerStatus' });

/** A brand in the coalition, paid in its own currency. Public data: anyone may read it. */
@ObjectType({ simpleResolvers: true })
@Entity('partner')
export class Partner {
  @Field(() => ID)
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ type: 'bigint', insert: false, update: false })
  seq!: number;

  @Field(() => String)
  @Column('text')
  slug!: string;

  @Field(() => String)
  @Column('text')
  name!: string;

  @Field(() => String, { description: 'ISO 4217 code of the currency purchases at this partner are paid in' })
  @Column('char', { name: 'currency_code', length: 3 })
  currencyCode!: string;

  @Field(() => PartnerStatus)
  @Column('text')
  status!: PartnerStatus;

  @Field(() => Boolean, { description: "True for the coalition's own issuer of program-funded points (not a brand)" })
  @Column('boolean', { name: 'is_coalition' })
  isCoalition!: boolean;

  @Field(() => Int, { description: 'Return window: points earned here stay pending (not spendable) this many days; 0: available at once' })
  @Column('int', { name: 'pending_days' })
  pendingDays!: number;

  @Field(() => Int, { description: "Its own birthday reward: points it gives its customers (enrolled here, or earned here in the last 12 months) on their birthday; 0: none" })
  @Column('bigint', { name: 'birthday_bonus_points' })
  birthdayBonusPoints!: number;

  @Field(() => Date)
  @Column('timestamptz', { name: 'created_at' })
  createdAt!: Date;
}

export const PARTNER_COLUMNS = `id, seq, slug, name, currency_code AS "currencyCode", status, is_coalition AS "isCoalition", pending_days AS "pendingDays", birthday_bonus_points AS "birthdayBonusPoints", created_at AS "createdAt"`;
