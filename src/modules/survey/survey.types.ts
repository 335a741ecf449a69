import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum SurveyKind {
  NPS = 'NPS',
  CSAT = 'CSAT',
  CES = 'CES',
  REPURCHASE = 'REPURCHASE',
}
registerEnumType(SurveyKind, {
  name: 'SurveyKind',
  description: 'NPS 0–10 ("How likely are you to recommend …"); CSAT 1–5 (satisfaction); CES 1–7 (7 = very easy); REPURCHASE 0–10 (likelihood of buying again)',
});

/** The scale of each kind, inclusive: a score outside it is refused. */
export const SURVEY_SCALES: Record<SurveyKind, { min: number; max: number }> = {
  [SurveyKind.NPS]: { min: 0, max: 10 },
  [SurveyKind.CSAT]: { min: 1, max: 5 },
  [SurveyKind.CES]: { min: 1, max: 7 },
  [SurveyKind.REPURCHASE]: { min: 0, max: 10 },
};

@ObjectType({ simpleResolvers: true })
export class Survey {
  @Field(() => ID)
  id!: string;

  partnerId!: string | null;

  @Field(() => SurveyKind)
  kind!: SurveyKind;

  @Field(() => String)
  question!: string;

  @Field(() => Int, { description: "Points credited for answering (a BONUS, source SURVEY, funded by the survey's owner); 0: none" })
  bonusPoints!: number;

  @Field(() => Boolean)
  active!: boolean;

  @Field(() => Date)
  createdAt!: Date;
}

@ObjectType({ simpleResolvers: true })
export class SurveyResponse {
  @Field(() => ID)
  id!: string;

  surveyId!: string;
  memberId!: string;

  @Field(() => Int)
  score!: number;

  @Field(() => String, { nullable: true })
  comment!: string | null;

  transactionId!: string | null;

  @Field(() => Date)
  createdAt!: Date;
}

@InputType()
export class CreateSurveyInput {
  @Field(() => SurveyKind)
  kind!: SurveyKind;

  @Field(() => String, { description: '1 to 500 characters' })
  question!: string;

  @Field(() => Int, { description: '0 to 1000000' })
  bonusPoints!: number;

  @Field(() => ID, { nullable: true, description: "A partner's own survey (partner-funded bonus); omitted: the coalition's (staff only)" })
  partnerId?: string;
}

@InputType()
export class SubmitSurveyResponseInput {
  @Field(() => ID)
  surveyId!: string;

  @Field(() => ID)
  memberId!: string;

  @Field(() => Int, { description: "Within the survey kind's scale" })
  score!: number;

  @Field(() => String, { nullable: true, description: 'At most 1000 characters' })
  comment?: string;

  @Field(() => String)
  idempotencyKey!: string;
}
