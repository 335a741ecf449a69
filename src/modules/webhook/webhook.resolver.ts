import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { PageArgs } from '../../graphql/connection';
import { ListSize } from '../../graphql/list-size';
import { requireId } from '../../errors/ids';
import { notFound } from '../../errors/domain-error';
import { auditActorOf } from '../audit/audit-trail';
import { Capability, requirePartnerOrStaff, requireWebhookEndpointAccess, webhookEndpointOwner, webhookEndpointsScope } from '../auth/policy';
import { Partner } from '../partner/partner.entity';
import { CreateWebhookEndpointInput, CreatedWebhookEndpoint, WebhookDelivery, WebhookDeliveryConnection, WebhookEndpoint } from './webhook.types';
import { MAX_ENDPOINTS_PER_OWNER } from './webhook.service';

@Resolver(() => WebhookEndpoint)
export class WebhookEndpointResolver {
  @Query(() => [WebhookEndpoint], {
    description: "A partner: its own endpoints. Staff: the named partner's, or every endpoint (the coalition's included) when partnerId is omitted",
  })
  // Each owner holds at most MAX_ENDPOINTS_PER_OWNER, but an admin's unfiltered list spans partners.
  @ListSize({ measured: true })
  webhookEndpoints(@Arg('partnerId', () => ID, { nullable: true }) partnerIdInput: string | null, @Ctx() ctx: Context): Promise<WebhookEndpoint[]> {
    const partnerId = partnerIdInput ? requireId(partnerIdInput, 'partnerId') : null;
    return ctx.services.webhooks.list(webhookEndpointsScope(ctx.viewer, partnerId));
  }

  @Query(() => WebhookDeliveryConnection, { description: "An endpoint's deliveries, newest first: its partner, or staff" })
  async webhookDeliveries(@Arg('endpointId', () => ID) endpointIdInput: string, @Args(() => PageArgs) { first, after }: PageArgs, @Ctx() ctx: Context) {
    requirePartnerOrStaff(ctx.viewer, Capability.READ_PROGRAM);
    const endpointId = requireId(endpointIdInput, 'endpointId');
    const endpoint = await ctx.services.webhooks.byId(endpointId);
    if (!endpoint) throw notFound('endpointId', 'webhook endpoint');
    requireWebhookEndpointAccess(ctx.viewer, endpoint, 'endpointId', false);
    return ctx.services.webhooks.deliveries(endpointId, first, after);
  }

  @Mutation(() => CreatedWebhookEndpoint, {
    description:
      'A partner for itself; staff (PROGRAM_MANAGER) for any partner or, without partnerId, for the coalition (every event). ' +
      `At most ${MAX_ENDPOINTS_PER_OWNER} per partner. The signing secret is in the answer, once`,
  })
  createWebhookEndpoint(
    @Arg('input', () => CreateWebhookEndpointInput) input: CreateWebhookEndpointInput,
    @Ctx() ctx: Context,
  ): Promise<CreatedWebhookEndpoint> {
    const partnerInput = input.partnerId ? requireId(input.partnerId, 'input.partnerId') : null;
    const owner = webhookEndpointOwner(ctx.viewer, partnerInput);
    const caller = requirePartnerOrStaff(ctx.viewer, Capability.MANAGE_WEBHOOKS);
    return ctx.services.webhooks.create(owner, input.url, input.events, auditActorOf(caller));
  }

  @Mutation(() => WebhookEndpoint, {
    description: 'Switch an endpoint off (nothing is sent or queued for it) or back on (what was pending goes out, in order)',
  })
  async setWebhookEndpointActive(
    @Arg('id', () => ID) idInput: string,
    @Arg('active', () => Boolean) active: boolean,
    @Ctx() ctx: Context,
  ): Promise<WebhookEndpoint> {
    const caller = requirePartnerOrStaff(ctx.viewer, Capability.MANAGE_WEBHOOKS);
    const id = requireId(idInput, 'id');
    const endpoint = await ctx.services.webhooks.byId(id);
    if (!endpoint) throw notFound('id', 'webhook endpoint');
    requireWebhookEndpointAccess(ctx.viewer, endpoint, 'id', true);
    return ctx.services.webhooks.setActive(id, active, auditActorOf(caller), caller.kind === 'staff' ? 'the staff' : 'the partner');
  }

  @Mutation(() => WebhookDelivery, { description: 'Send a delivery again, soon, with the same webhook-id and body (receivers dedupe by webhook-id)' })
  async redeliverWebhook(@Arg('deliveryId', () => ID) deliveryIdInput: string, @Ctx() ctx: Context): Promise<WebhookDelivery> {
    requirePartnerOrStaff(ctx.viewer, Capability.MANAGE_WEBHOOKS);
    if (!/^\d{1,18}$/.test(deliveryIdInput)) throw notFound('deliveryId', 'webhook delivery');
    const owner = await ctx.services.webhooks.deliveryOwner(deliveryIdInput);
    if (!owner) throw notFound('deliveryId', 'webhook delivery');
    requireWebhookEndpointAccess(ctx.viewer, owner, 'deliveryId', true);
    return ctx.services.webhooks.redeliver(deliveryIdInput);
  }

  @FieldResolver(() => Partner, { nullable: true, description: "null for the coalition's own (admin) endpoints" })
  partner(@Root() endpoint: WebhookEndpoint, @Ctx() ctx: Context): Promise<Partner | null> | null {
    return endpoint.partnerId ? ctx.loaders.partner.load(endpoint.partnerId) : null;
  }
}

@Resolver(() => WebhookDelivery)
export class WebhookDeliveryResolver {
  @FieldResolver(() => WebhookEndpoint)
  async endpoint(@Root() delivery: WebhookDelivery, @Ctx() ctx: Context): Promise<WebhookEndpoint> {
    return (await ctx.loaders.webhookEndpoint.load(delivery.endpointId))!;
  }
}
