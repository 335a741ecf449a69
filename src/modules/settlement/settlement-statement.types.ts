import { Field, ID, ObjectType } from 'type-graphql';
import { Connection } from '../../graphql/connection';
import { ListSize } from '../../graphql/list-size';
import { SettlementFlow, SettlementLine } from './settlement.types';

/** A closed period [from, to): its settlement as computed at closing, never recomputed. */
@ObjectType({ simpleResolvers: true })
export class SettlementStatement {
  seq!: number;

  @Field(() => ID)
  id!: string;

  @Field(() => Date, { description: 'Start of the period (inclusive)' })
  from!: Date;

  @Field(() => Date, { description: 'End of the period (exclusive)' })
  to!: Date;

  @Field(() => Date)
  closedAt!: Date;

  @Field(() => [SettlementLine], { description: "Every partner's line as at closing (a partner reads only its own)" })
  @ListSize({ measured: true })
  lines!: SettlementLine[];

  @Field(() => [SettlementFlow], { description: 'The issuer → redeemer matrix as at closing (a partner reads only its row and column)' })
  @ListSize({ measured: true })
  flows!: SettlementFlow[];
}

@ObjectType()
export class SettlementStatementConnection extends Connection(SettlementStatement, 'SettlementStatement') {}
