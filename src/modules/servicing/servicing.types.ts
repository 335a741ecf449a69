import { Field, ID, InputType, Int } from 'type-graphql';

@InputType()
export class AdjustPointsInput {
  @Field(() => ID)
  memberId!: string;

  @Field(() => Int, { description: 'Positive: a credit; negative: a debit (at most the available points)' })
  points!: number;

  @Field(() => String, { description: 'Required: why (kept with the transaction and in the audit log). No personal data: it cannot be erased' })
  reason!: string;

  @Field(() => String)
  idempotencyKey!: string;

  @Field(() => ID, { nullable: true, description: 'The partner funding the adjustment; omitted: the coalition' })
  partnerId?: string | null;
}

@InputType()
export class UpdateMemberInput {
  @Field(() => ID)
  memberId!: string;

  @Field(() => String, { nullable: true })
  email?: string | null;

  @Field(() => String, { nullable: true })
  displayName?: string | null;

  @Field(() => String, { nullable: true, description: 'YYYY-MM-DD; "" clears it' })
  birthDate?: string | null;
}

@InputType()
export class TransferPointsInput {
  @Field(() => ID)
  fromMemberId!: string;

  @Field(() => ID)
  toMemberId!: string;

  @Field(() => Int)
  points!: number;

  @Field(() => String)
  idempotencyKey!: string;
}
