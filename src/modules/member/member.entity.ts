import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

/** ACTIVE; BLOCKED (blockMember: nothing moves, reads work); MERGED into another member; ERASED (personal data gone). */
export enum MemberStatus {
  ACTIVE = 'ACTIVE',
  BLOCKED = 'BLOCKED',
  MERGED = 'MERGED',
  ERASED = 'ERASED',
}
registerEnumType(MemberStatus, { name: 'MemberStatus' });

@ObjectType({ simpleResolvers: true })
export class Member {
  @Field(() => ID)
  id!: string;

  // email, displayName and birthDate are personal data: resolved per viewer (masked where the
  // viewer may not see them) by MemberResolver.
  email!: string;

  displayName!: string;

  birthDate!: string | null;

  @Field(() => String, { description: "The coalition card number members show at any partner's till (16 digits, Luhn)" })
  cardNumber!: string;

  tierId!: string;

  @Field(() => String, {
    description: 'Give it to friends: enrolling with it (enrollMember referralCode) earns you both the referral bonus on their first purchase',
  })
  referralCode!: string;

  referredById!: string | null;

  enrolledByPartnerId!: string | null;

  @Field(() => Date)
  enrolledAt!: Date;

  @Field(() => MemberStatus)
  status!: MemberStatus;
}

export const MEMBER_COLUMNS = `id, email, display_name AS "displayName", to_char(birth_date, 'YYYY-MM-DD') AS "birthDate", card_number AS "cardNumber",
  tier_id AS "tierId", enrolled_by_partner AS "enrolledByPartnerId", referral_code AS "referralCode", referred_by AS "referredById", enrolled_at AS "enrolledAt", status`;

/** What a member holds. available is the wallet's running balance (always = sum of entries). */
@ObjectType({ simpleResolvers: true })
export class Balance {
  @Field(() => Int, { description: 'Points the member can spend now' })
  available!: number;

  @Field(() => Int, { description: 'All points ever earned, net of reversals' })
  lifetimeEarned!: number;

  @Field(() => Int, { description: 'Points counting towards tier status: earned in the last 12 months' })
  qualifyingPoints!: number;

  @Field(() => Int, { description: "Points earned inside a partner's return window: not spendable until released (see README, Points lifecycle)" })
  pending!: number;
}
