import { Field, ObjectType } from 'type-graphql';

@ObjectType({ simpleResolvers: true, description: "A one-time code a member gives a partner's app to link it (single use, short-lived)" })
export class PartnerLinkCode {
  @Field(() => String, { description: '8 characters (no 0, O, 1, I or L); case, spaces and dashes are ignored when redeemed' })
  code!: string;

  @Field(() => Date, { description: 'Ten minutes after it was made' })
  expiresAt!: Date;
}
