import { Field, ObjectType } from 'type-graphql';

@ObjectType({ simpleResolvers: true, description: 'A partner the member shares its personal data with (email, name, birth date)' })
export class PartnerConsent {
  memberId!: string;
  partnerId!: string;

  @Field(() => Date)
  grantedAt!: Date;
}
