// The services of one gateway process, built once at boot and shared by every request.
import type { Pool } from '../db/sql';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { LocalBus } from '../modules/live/local-bus';
import { OutboxRelay } from '../modules/live/outbox-relay';
import { LiveService } from '../modules/live/live.service';
import { ApiKeyService } from '../modules/auth/api-key.service';
import { Authenticator } from '../modules/auth/authenticate';
import { MemberTokenService, loadTokenSecret } from '../modules/auth/member-token.service';
import { RedemptionService } from '../modules/redemption/redemption.service';
import { RedemptionTillService } from '../modules/redemption/redemption-till.service';
import { PaymentService } from '../modules/payment/payment.service';
import { ReversalService } from '../modules/reversal/reversal.service';
import { SettlementService } from '../modules/settlement/settlement.service';
import { SettlementPeriodService } from '../modules/settlement/settlement-period.service';
import { CatalogService } from '../modules/catalog/catalog.service';
import { ExchangeRateService } from '../modules/exchange-rate/exchange-rate.service';
import { EarnService } from '../modules/earning/earn.service';
import { EarnBatchWriter } from '../modules/earning/earn-writer';
import { earnRulesEarnPlugin } from '../modules/earning/earn-rules.earn-plugin';
import { membershipEarnPlugin } from '../modules/membership/membership.earn-plugin';
import { punchCardEarnPlugin } from '../modules/punch-card/punch-card.earn-plugin';
import { referralEarnPlugin } from '../modules/lifecycle/referral.earn-plugin';
import { challengeEarnPlugin } from '../modules/challenge/challenge.earn-plugin';
import { onEventsCommitted } from '../db/transaction';
import { poolUrl } from '../db/data-source';
import { LedgerService } from '../modules/ledger/ledger.service';
import { MemberService } from '../modules/member/member.service';
import type { Member } from '../modules/member/member.entity';
import { ErasedEmails, loadErasureSecret } from '../modules/member/erased-email';
import { PointsServicingService } from '../modules/servicing/points-servicing.service';
import { MemberAccountService } from '../modules/servicing/member-account.service';
import { PartnerService } from '../modules/partner/partner.service';
import { TierService } from '../modules/tier/tier.service';
import { AuditService } from '../modules/audit-log/audit-log.service';
import { RateLimitService } from '../modules/rate-limit/rate-limit.service';
import { EarnRuleService } from '../modules/earning/earn-rule.service';
import { MembershipService } from '../modules/membership/membership.service';
import { PunchCardService } from '../modules/punch-card/punch-card.service';
import { CoalitionIssuer, ensureCoalitionIssuer } from '../modules/partner/coalition';
import { ProgramSettingsService } from '../modules/lifecycle/program-settings.service';
import { ChallengeService } from '../modules/challenge/challenge.service';
import { PartnerLinkService } from '../modules/linking/partner-link.service';
import { ConsentService } from '../modules/linking/consent.service';
import { StaffSessionService } from '../modules/auth/staff-session.service';
import { StaffService } from '../modules/staff/staff.service';
import { WebhookService } from '../modules/webhook/webhook.service';
import { WebhookDispatcher } from '../modules/webhook/webhook-dispatcher';
import { ImportService } from '../modules/bulk/import-jobs';
import { MembersBatch } from '../modules/bulk/members-batch';
import { MembersImport } from '../modules/bulk/members-import';
import { EarnsBatch } from '../modules/bulk/earns-batch';
import { SurveyService } from '../modules/survey/survey.service';
import { TierLadderService } from '../modules/tier/tier-ladder.service';
import { InsightService } from '../modules/insight/insight.service';

export interface Services {
  db: Pool;
  relay: OutboxRelay;
  live: LiveService;
  partners: PartnerService;
  rates: ExchangeRateService;
  tiers: TierService;
  members: MemberService;
  /** Adjustments, transfers and merges (member servicing). */
  pointsServicing: PointsServicingService;
  /** A member's profile, status, export and erasure. */
  memberAccounts: MemberAccountService;
  ledger: LedgerService;
  earn: EarnService;
  /** The one earn path: the group-commit writer every earn goes through. */
  earnWriter: EarnBatchWriter;
  catalog: CatalogService;
  redemptions: RedemptionService;
  /** Redemption codes at the honouring partner's till. */
  redemptionTill: RedemptionTillService;
  /** Paying with points at a partner's till. */
  payments: PaymentService;
  reversals: ReversalService;
  settlement: SettlementService;
  /** Closed settlement periods and their statements. */
  settlementPeriods: SettlementPeriodService;
  apiKeys: ApiKeyService;
  memberTokens: MemberTokenService;
  authenticator: Authenticator<Member>;
  audit: AuditService;
  rateLimits: RateLimitService;
  coalition: CoalitionIssuer;
  earnRules: EarnRuleService;
  memberships: MembershipService;
  punchCards: PunchCardService;
  programSettings: ProgramSettingsService;
  challenges: ChallengeService;
  links: PartnerLinkService;
  consents: ConsentService;
  staffSessions: StaffSessionService;
  staff: StaffService;
  webhooks: WebhookService;
  /** Sends webhook deliveries (started and stopped with the server). */
  webhookDispatcher: WebhookDispatcher;
  /** Members and earns files: receiving, applying, resuming (started and stopped with the server). */
  imports: ImportService;
  surveys: SurveyService;
  /** Operators' edits of the tier ladder. */
  tierLadder: TierLadderService;
  /** programMetrics, answered from the rolled-up daily aggregates. */
  insight: InsightService;
}

export async function createServices(db: Pool, config: Config, logger: Logger): Promise<Services> {
  const relay = new OutboxRelay(db, poolUrl(db), new LocalBus(config.liveQueueLimit), logger, config.outboxRetentionDays);
  const webhookTargets = { production: config.production, allowPrivateTargets: config.webhooks.allowPrivateTargets };
  const webhookDispatcher = new WebhookDispatcher(db, config.webhooks, webhookTargets, logger);
  // Events committed by any transaction wake the relay at once (it would find them on its next
  // poll), and this instance's webhook dispatcher (the deliveries were written with the events).
  onEventsCommitted(db, () => {
    relay.nudge();
    webhookDispatcher.nudge();
  });
  const coalition = await ensureCoalitionIssuer(db, config.coalitionCurrency, config.coalitionPointValue);
  const ledger = new LedgerService(db);
  const apiKeys = new ApiKeyService(db);
  // The plug-ins of the one earn path, in the order they act on an earn.
  const earnPlugins = [earnRulesEarnPlugin, membershipEarnPlugin, punchCardEarnPlugin, referralEarnPlugin(coalition), challengeEarnPlugin(coalition)];
  const earnWriter = new EarnBatchWriter(db, coalition, earnPlugins, { writers: config.earnBatchWriters, maxBatch: config.earnBatchSize }, logger);
  const earn = new EarnService(earnWriter);
  const settlement = new SettlementService(db);
  const erasedEmails = new ErasedEmails(await loadErasureSecret(db, config.erasureHashSecret));
  const members = new MemberService(db, erasedEmails);
  const imports = new ImportService(
    db,
    config.imports,
    {
      MEMBERS: new MembersBatch(db, new MembersImport(members), logger),
      EARNS: new EarnsBatch(db, earn, earnWriter, config.imports, logger),
    },
    logger,
  );
  const memberTokens = new MemberTokenService(await loadTokenSecret(db, config.tokenSecret), config.memberTokenTtlSeconds);
  const staffSessions = new StaffSessionService(db, config.staffTokenTtlSeconds);
  const rateLimits = new RateLimitService(poolUrl(db), config.rateLimits, logger);
  return {
    db,
    relay,
    live: new LiveService(db, relay),
    partners: new PartnerService(db),
    rates: new ExchangeRateService(db),
    tiers: new TierService(db),
    members,
    pointsServicing: new PointsServicingService(db, coalition),
    memberAccounts: new MemberAccountService(db, erasedEmails),
    ledger,
    earn,
    earnWriter,
    catalog: new CatalogService(db),
    redemptions: new RedemptionService(db),
    redemptionTill: new RedemptionTillService(db),
    payments: new PaymentService(db),
    reversals: new ReversalService(db, ledger),
    settlement,
    settlementPeriods: new SettlementPeriodService(db, settlement),
    apiKeys,
    memberTokens,
    coalition,
    earnRules: new EarnRuleService(db),
    memberships: new MembershipService(db),
    punchCards: new PunchCardService(db),
    programSettings: new ProgramSettingsService(db),
    challenges: new ChallengeService(db),
    links: new PartnerLinkService(db),
    consents: new ConsentService(db),
    staffSessions,
    staff: new StaffService(db, staffSessions, rateLimits),
    webhooks: new WebhookService(db, webhookTargets, () => webhookDispatcher.endpointsChanged()),
    webhookDispatcher,
    imports,
    surveys: new SurveyService(db, coalition),
    tierLadder: new TierLadderService(db),
    insight: new InsightService(db, coalition),
    authenticator: new Authenticator(config.adminToken, apiKeys, memberTokens, staffSessions, (id) => members.byId(id)),
    audit: new AuditService(db),
    rateLimits,
  };
}
