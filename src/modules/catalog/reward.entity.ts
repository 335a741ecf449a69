import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Something a member can redeem points for, in one partner's catalog. */
@ObjectType({ simpleResolvers: true })
@Entity('reward')
export class Reward {
  @Field(() => ID)
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ type: 'bigint', insert: false, update: false })
  seq!: number;

  @Column('uuid', { name: 'partner_id' })
  partnerId!: string;

  @Field(() => String)
  @Column('text')
  name!: string;

  @Field(() => String, { nullable: true })
  @Column('text', { nullable: true })
  description!: string | null;

  @Field(() => String, { nullable: true })
  @Column('text', { nullable: true })
  category!: string | null;

  @Field(() => Int)
  @Column('bigint', { name: 'points_cost' })
  pointsCost!: number;

  @Field(() => Int, { nullable: true, description: 'Units left; null means unlimited' })
  @Column('bigint', { nullable: true })
  stock!: number | null;

  @Column('uuid', { name: 'min_tier_id', nullable: true })
  minTierId!: string | null;

  @Field(() => Boolean)
  @Column('boolean')
  active!: boolean;

  @Field(() => Date)
  @Column('timestamptz', { name: 'created_at' })
  createdAt!: Date;
}

export const REWARD_COLUMNS = `id, seq, partner_id AS "partnerId", name, description, category, points_cost AS "pointsCost",
  stock, min_tier_id AS "minTierId", active, created_at AS "createdAt"`;
