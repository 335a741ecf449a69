import { Field, ID, ObjectType } from 'type-graphql';
import { Balance } from '../member/member.entity';

/** A member's balance after one committed change. */
@ObjectType({ simpleResolvers: true })
export class BalanceUpdate {
  @Field(() => ID, { description: 'Resume after this event with balanceChanged(memberId, after: eventId)' })
  eventId!: string;

  memberId!: string;
  transactionId!: string | null;

  @Field(() => Balance, { description: 'The balance as of this change (not as of delivery)' })
  balance!: Balance;
}

@ObjectType({ simpleResolvers: true })
export class TierChange {
  @Field(() => ID)
  eventId!: string;

  memberId!: string;
  fromTierId!: string;
  toTierId!: string;

  @Field(() => Date)
  at!: Date;
}
