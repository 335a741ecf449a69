import 'reflect-metadata';
import { GraphQLSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { createPubSub } from '@graphql-yoga/subscription';
import { AuthResolver } from '../modules/auth/auth.resolver';
import { ExchangeRateResolver, PartnerRatesResolver } from '../modules/exchange-rate/exchange-rate.resolver';
import { LedgerResolver } from '../modules/ledger/ledger.resolver';
import { TransactionResolver } from '../modules/history/transaction.resolver';
import { EarnResolver } from '../modules/earning/earn.resolver';
import { MemberResolver } from '../modules/member/member.resolver';
import { ServicingResolver } from '../modules/servicing/servicing.resolver';
import { BalanceResolver } from '../modules/member/balance.resolver';
import { PartnerResolver } from '../modules/partner/partner.resolver';
import { TierResolver } from '../modules/tier/tier.resolver';
import { MemberRedemptionsResolver, RedemptionResolver } from '../modules/redemption/redemption.resolver';
import { RedemptionTillResolver } from '../modules/redemption/redemption-till.resolver';
import { PointsPaymentResolver } from '../modules/payment/payment.resolver';
import { SettlementFlowResolver, SettlementResolver } from '../modules/settlement/settlement.resolver';
import { ImportJobResolver } from '../modules/bulk/import.resolver';
import { SettlementStatementResolver } from '../modules/settlement/settlement-statement.resolver';
import { CatalogResolver, PartnerRewardsResolver } from '../modules/catalog/catalog.resolver';
import { RewardResolver } from '../modules/catalog/reward.resolver';
import { BalanceUpdateResolver, ExchangeRateLiveResolver, TierChangeResolver } from '../modules/live/live.resolver';
import {
  EarnPreviewResolver,
  EarnRuleConditionsResolver,
  EarnRuleResolver,
  PartnerEarnRulesResolver,
  PointsBreakdownResolver,
} from '../modules/earning/earning.resolver';
import { MemberMembershipResolver, MembershipPlanResolver, MembershipResolver } from '../modules/membership/membership.resolver';
import { MemberPunchCardsResolver, PartnerPunchCardsResolver, PunchCardProgressResolver, PunchCardResolver } from '../modules/punch-card/punch-card.resolver';
import { DateTimeScalar } from '../graphql/scalars';
import { AuditResolver } from '../modules/audit-log/audit-log.resolver';
import { enforceResponseBudget } from '../graphql/response-budget';
import { MemberLifecycleResolver, ProgramSettingsResolver } from '../modules/lifecycle/lifecycle.resolver';
import {
  BadgeResolver,
  ChallengeCompletionResolver,
  ChallengeProgressResolver,
  ChallengeResolver,
  MemberChallengesResolver,
} from '../modules/challenge/challenge.resolver';
import { PartnerLinkResolver } from '../modules/linking/partner-link.resolver';
import { LinkMemberResolver } from '../modules/member/link-member.resolver';
import { ConsentResolver, PartnerConsentResolver } from '../modules/member/consent.resolver';
import { StaffResolver } from '../modules/staff/staff.resolver';
import { WebhookDeliveryResolver, WebhookEndpointResolver } from '../modules/webhook/webhook.resolver';
import { SurveyResolver, SurveyResponseResolver } from '../modules/survey/survey.resolver';
import { InsightResolver } from '../modules/insight/insight.resolver';

export const resolvers = [
  AuthResolver,
  PartnerResolver,
  PartnerRatesResolver,
  ExchangeRateResolver,
  TierResolver,
  MemberResolver,
  BalanceResolver,
  LedgerResolver,
  TransactionResolver,
  EarnResolver,
  RedemptionResolver,
  MemberRedemptionsResolver,
  RedemptionTillResolver,
  PointsPaymentResolver,
  SettlementResolver,
  SettlementFlowResolver,
  SettlementStatementResolver,
  ImportJobResolver,
  CatalogResolver,
  RewardResolver,
  PartnerRewardsResolver,
  BalanceUpdateResolver,
  TierChangeResolver,
  ExchangeRateLiveResolver,
  AuditResolver,
  EarnRuleResolver,
  EarnRuleConditionsResolver,
  EarnPreviewResolver,
  PointsBreakdownResolver,
  PartnerEarnRulesResolver,
  MembershipResolver,
  MemberMembershipResolver,
  MembershipPlanResolver,
  PunchCardResolver,
  PunchCardProgressResolver,
  MemberPunchCardsResolver,
  PartnerPunchCardsResolver,
  ProgramSettingsResolver,
  MemberLifecycleResolver,
  ChallengeResolver,
  ChallengeProgressResolver,
  BadgeResolver,
  MemberChallengesResolver,
  ChallengeCompletionResolver,
  PartnerLinkResolver,
  LinkMemberResolver,
  ConsentResolver,
  PartnerConsentResolver,
  StaffResolver,
  ServicingResolver,
  WebhookEndpointResolver,
  SurveyResolver,
  SurveyResponseResolver,
  InsightResolver,
  WebhookDeliveryResolver,
] as const;

let built: Promise<GraphQLSchema> | undefined;

export function gatewaySchema(): Promise<GraphQLSchema> {
  built ??= buildGatewaySchema();
  return built;
}

async function buildGatewaySchema(): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers,
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
    // Violations become BAD_USER_INPUT naming the field (see graphql/errors.ts).
    validate: { forbidUnknownValues: false },
    // type-graphql insists on a pubSub once any subscription exists. Ours do not use it: each
    // supplies its own stream (outbox replay + relay, see modules/live), so this one stays idle.
    pubSub: createPubSub(),
  });
  // Counts what each response resolves against its request's budget (see response-budget.ts).
  enforceResponseBudget(schema);
  return schema;
}

/** The SDL committed as schema.graphql: sorted so diffs show real changes only. */
export async function schemaSdl(): Promise<string> {
  return `${printSchema(lexicographicSortSchema(await gatewaySchema()))}\n`;
}
