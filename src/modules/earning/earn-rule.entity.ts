import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryColumn } from 'typeorm';
import { DecimalScalar } from '../../graphql/scalars';
import { EarnRuleConditions, EarnRuleKind } from './earning.types';

/** A partner's (or the coalition's) way of giving extra points: a campaign, cashback or bonus. */
@ObjectType({ simpleResolvers: true })
@Entity('earn_rule')
export class EarnRule {
  @Field(() => ID)
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ type: 'bigint', insert: false, update: false })
  seq!: number;

  @Column('uuid', { name: 'partner_id', nullable: true })
  partnerId!: string | null;

  @Field(() => String)
  @Column('text')
  name!: string;

  @Field(() => EarnRuleKind)
  @Column('text')
  kind!: EarnRuleKind;

  @Field(() => Boolean)
  @Column('boolean')
  active!: boolean;

  @Field(() => DecimalScalar, { nullable: true })
  @Column('numeric', { nullable: true })
  multiplier!: string | null;

  @Field(() => DecimalScalar, { nullable: true })
  @Column('numeric', { nullable: true })
  percent!: string | null;

  @Field(() => Int, { nullable: true })
  @Column('bigint', { name: 'bonus_points', nullable: true })
  bonusPoints!: number | null;

  @Field(() => Int, { nullable: true })
  @Column('bigint', { name: 'max_points', nullable: true })
  maxPoints!: number | null;

  @Field(() => EarnRuleConditions)
  @Column('jsonb')
  conditions!: EarnRuleConditions;

  @Field(() => Date)
  @Column('timestamptz', { name: 'created_at' })
  createdAt!: Date;
}

export const EARN_RULE_COLUMNS = `id, seq, partner_id AS "partnerId", name, kind, active, multiplier::text AS multiplier,
  percent::text AS percent, bonus_points AS "bonusPoints", max_points AS "maxPoints", conditions, created_at AS "createdAt"`;
