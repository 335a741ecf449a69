import { Arg, Args, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { PageArgs } from '../../graphql/connection';
import { Capability, requireStaff } from '../auth/policy';
import { Partner } from '../partner/partner.entity';
import { AuditEntry, AuditEntryConnection, AuditFilterInput } from './audit-log.types';

@Resolver(() => AuditEntry)
export class AuditResolver {
  @Query(() => AuditEntryConnection, { description: 'Admin: configuration changes, newest first' })
  auditLog(
    @Arg('filter', () => AuditFilterInput, { nullable: true }) filter: AuditFilterInput | undefined,
    @Args(() => PageArgs) { first, after }: PageArgs,
    @Ctx() ctx: Context,
  ) {
    requireStaff(ctx.viewer, Capability.READ_AUDIT_LOG);
    return ctx.services.audit.list(filter, first, after);
  }

  @FieldResolver(() => Partner, { nullable: true, description: 'For a partner actor: the partner whose key made the change' })
  actorPartner(@Root() entry: AuditEntry, @Ctx() ctx: Context) {
    return entry.actorPartnerId ? ctx.loaders.partner.load(entry.actorPartnerId) : null;
  }

  @FieldResolver(() => Partner, { nullable: true, description: 'The partner whose configuration changed' })
  partner(@Root() entry: AuditEntry, @Ctx() ctx: Context) {
    return entry.partnerId ? ctx.loaders.partner.load(entry.partnerId) : null;
  }
}
