import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { DecimalScalar } from '../../graphql/scalars';

export enum ChallengeKind {
  DISTINCT_PARTNERS = 'DISTINCT_PARTNERS',
  EARN_COUNT = 'EARN_COUNT',
  SPEND_TOTAL = 'SPEND_TOTAL',
}
registerEnumType(ChallengeKind, {
  name: 'ChallengeKind',
  description: 'DISTINCT_PARTNERS: earn at target different partners; EARN_COUNT: target purchases; SPEND_TOTAL: spend target (in currencyCode)',
});

@ObjectType({ simpleResolvers: true })
export class Challenge {
  @Field(() => ID)
  id!: string;

  partnerId!: string | null;

  @Field(() => String)
  name!: string;

  @Field(() => ChallengeKind)
  kind!: ChallengeKind;

  @Field(() => DecimalScalar)
  target!: string;

  @Field(() => String, { nullable: true, description: 'SPEND_TOTAL: purchases in this currency count' })
  currencyCode!: string | null;

  @Field(() => Int, { nullable: true, description: 'Repeating windows of this many days from the creation of the challenge' })
  windowDays!: number | null;

  @Field(() => Date, { nullable: true })
  startsAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'Exclusive' })
  endsAt!: Date | null;

  @Field(() => Int)
  bonusPoints!: number;

  @Field(() => String)
  badgeName!: string;

  @Field(() => Boolean)
  active!: boolean;

  @Field(() => Date)
  createdAt!: Date;
}

@InputType()
export class ChallengeInput {
  @Field(() => String)
  name!: string;

  @Field(() => ChallengeKind)
  kind!: ChallengeKind;

  @Field(() => DecimalScalar, { description: 'Partners, purchases, or an amount of money (SPEND_TOTAL)' })
  target!: string;

  @Field(() => String, { nullable: true, description: "SPEND_TOTAL only: the currency (a partner's challenge: its own, the default)" })
  currencyCode?: string;

  @Field(() => Int, { nullable: true, description: 'Either windowDays (repeating) or startsAt and endsAt (one window)' })
  windowDays?: number;

  @Field(() => Date, { nullable: true })
  startsAt?: Date;

  @Field(() => Date, { nullable: true })
  endsAt?: Date;

  @Field(() => Int)
  bonusPoints!: number;

  @Field(() => String)
  badgeName!: string;
}

@ObjectType({ simpleResolvers: true })
export class ChallengeProgress {
  challengeId!: string;

  @Field(() => DecimalScalar)
  progress!: string;

  @Field(() => DecimalScalar)
  target!: string;

  @Field(() => Date)
  windowStart!: Date;

  @Field(() => Date, { nullable: true })
  completedAt!: Date | null;
}

@ObjectType({ simpleResolvers: true })
export class Badge {
  challengeId!: string;

  @Field(() => String)
  name!: string;

  @Field(() => Date)
  awardedAt!: Date;

  @Field(() => Date, { description: 'The challenge window it was earned in' })
  windowStart!: Date;
}

@ObjectType({ simpleResolvers: true })
export class ChallengeCompletion {
  @Field(() => ID, { description: 'Resume after this event with challengeCompleted(memberId, after: eventId)' })
  eventId!: string;

  memberId!: string;
  challengeId!: string;
  transactionId!: string | null;

  @Field(() => String)
  badgeName!: string;

  @Field(() => Int)
  bonusPoints!: number;

  @Field(() => Date)
  windowStart!: Date;

  @Field(() => Date)
  completedAt!: Date;
}
