import { Field, ObjectType } from 'type-graphql';
import { DecimalScalar } from './scalars';

/** Shopify's MoneyV2 convention: exact amount plus ISO 4217 code. */
@ObjectType({ simpleResolvers: true })
export class Money {
  @Field(() => DecimalScalar)
  amount!: string;

  @Field(() => String)
  currencyCode!: string;
}
