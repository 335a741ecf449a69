import { Arg, Args, Ctx, Field, ID, InputType, Mutation, Query, Resolver } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { Connection, PageArgs } from '../../graphql/connection';
import { isId } from '../../errors/ids';
import { badInput } from '../../errors/domain-error';
import { Capability, requireStaff } from '../auth/policy';
import { auditActorOf } from '../audit/audit-trail';
import { Partner, PartnerStatus } from './partner.entity';

@InputType()
class CreatePartnerInput {
  @Field(() => String, { description: 'URL-safe handle, e.g. "kopi-kita"' })
  slug!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String, { description: 'ISO 4217, e.g. "MYR"' })
  currencyCode!: string;
}

const PartnerConnection = Connection(Partner, 'Partner');

@Resolver(() => Partner)
export class PartnerResolver {
  @Query(() => PartnerConnection, { description: 'Every partner of the coalition (public data)' })
  partners(@Args(() => PageArgs) { first, after }: PageArgs, @Ctx() ctx: Context) {
    return ctx.services.partners.list(first, after);
  }

  @Query(() => Partner, { nullable: true })
  partner(@Arg('id', () => ID) id: string, @Ctx() ctx: Context) {
    if (!isId(id)) throw badInput('id', `"${id.slice(0, 64)}" is not a valid id`);
    return ctx.loaders.partner.load(id.toLowerCase());
  }

  @Mutation(() => Partner, { description: 'Staff (PROGRAM_MANAGER): onboard a partner brand' })
  createPartner(@Arg('input', () => CreatePartnerInput) input: CreatePartnerInput, @Ctx() ctx: Context) {
    const staff = requireStaff(ctx.viewer, Capability.MANAGE_PARTNERS);
    return ctx.services.partners.create(input, auditActorOf(staff));
  }

  @Mutation(() => Partner, { description: 'Staff (PROGRAM_MANAGER): suspend (no earning, no redeeming) or reactivate a partner' })
  setPartnerStatus(@Arg('partnerId', () => ID) partnerId: string, @Arg('status', () => PartnerStatus) status: PartnerStatus, @Ctx() ctx: Context) {
    const staff = requireStaff(ctx.viewer, Capability.MANAGE_PARTNERS);
    return ctx.services.partners.setStatus(partnerId, status, auditActorOf(staff));
  }
}
