import { Field, ID, ObjectType } from 'type-graphql';

@ObjectType({ simpleResolvers: true, description: 'A partner API key as admins see it: its prefix, never the secret' })
export class PartnerApiKey {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: 'The part after lgk_ and before the next _ : what revokePartnerApiKey and rotatePartnerApiKey take' })
  prefix!: string;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  revokedAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'Set on a rotated key: it stops working at this moment' })
  expiresAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'Last request made with it (to within about a minute)' })
  lastUsedAt!: Date | null;

  @Field(() => Boolean, { description: 'Accepted now: neither revoked nor past expiresAt' })
  active!: boolean;
}

@ObjectType({ simpleResolvers: true })
export class RotatedApiKey {
  @Field(() => String, { description: 'The new key. Shown once; only its hash is kept.' })
  key!: string;

  @Field(() => String)
  prefix!: string;

  @Field(() => Date, { description: 'When the replaced key stops (or stopped) working' })
  previousKeyExpiresAt!: Date;
}
