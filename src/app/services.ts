// The services of one gateway process, built once at boot and shared by every request.
import { DataSource } from 'typeorm';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { LocalBus } from '../modules/live/local-bus';
import { OutboxRelay } from '../modules/live/outbox-relay';
import { LiveService } from '../modules/live/live.service';
import { ApiKeyService } from '../modules/auth/api-key.service';
import { Authenticator } from '../modules/auth/authenticate';
import { MemberTokenService, loadTokenSecret } from '../modules/auth/member-token.service';
import { RedemptionService } from '../modules/redemption/redemption.service';
import { ReversalService } from '../modules/ledger/reversal.service';
import { SettlementService } from '../modules/settlement/settlement.service';
import { CatalogService } from '../modules/catalog/catalog.service';
import { ExchangeRateService } from '../modules/exchange-rate/exchange-rate.service';
import { EarnService } from '../modules/ledger/earn.service';
import { EarnBatchWriter } from '../modules/ledger/earn-batch';
import { LedgerService } from '../modules/ledger/ledger.service';
import { MemberService } from '../modules/member/member.service';
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

export interface Services {
  db: DataSource;
  relay: OutboxRelay;
  live: LiveService;
  partners: PartnerService;
  rates: ExchangeRateService;
  tiers: TierService;
  members: MemberService;
  ledger: LedgerService;
  earn: EarnService;
  /** The group-commit writer earns go through (null when EARN_BATCH_WRITERS=0). */
  earnWriter: EarnBatchWriter | null;
  catalog: CatalogService;
  redemptions: RedemptionService;
  reversals: ReversalService;
  settlement: SettlementService;
  apiKeys: ApiKeyService;
  memberTokens: MemberTokenService;
  authenticator: Authenticator;
  audit: AuditService;
  rateLimits: RateLimitService;
  coalition: CoalitionIssuer;
  earnRules: EarnRuleService;
  memberships: MembershipService;
  punchCards: PunchCardService;
  programSettings: ProgramSettingsService;
  challenges: ChallengeService;
}

export async function createServices(db: DataSource, config: Config, logger: Logger): Promise<Services> {
  const relay = new OutboxRelay(db, (db.options as { url: string }).url, new LocalBus(config.liveQueueLimit), logger, config.outboxRetentionDays);
  const afterCommit = () => relay.nudge();
  const coalition = await ensureCoalitionIssuer(db, config.coalitionCurrency, config.coalitionPointValue);
  const ledger = new LedgerService(db);
  const apiKeys = new ApiKeyService(db, afterCommit);
  const earn = new EarnService(db, ledger, coalition, afterCommit);
  const earnWriter =
    config.earnBatchWriters > 0
      ? new EarnBatchWriter(db, earn, coalition, { writers: config.earnBatchWriters, maxBatch: config.earnBatchSize }, logger, afterCommit)
      : null;
  earn.useWriter(earnWriter);
  const memberTokens = new MemberTokenService(await loadTokenSecret(db, config.tokenSecret), config.memberTokenTtlSeconds);
  return {
    db,
    relay,
    live: new LiveService(db, relay),
    partners: new PartnerService(db),
    rates: new ExchangeRateService(db, afterCommit),
    tiers: new TierService(db),
    members: new MemberService(db),
    ledger,
    earn,
    earnWriter,
    catalog: new CatalogService(db),
    redemptions: new RedemptionService(db, afterCommit),
    reversals: new ReversalService(db, ledger, afterCommit),
    settlement: new SettlementService(db),
    apiKeys,
    memberTokens,
    coalition,
    earnRules: new EarnRuleService(db),
    memberships: new MembershipService(db),
    punchCards: new PunchCardService(db),
    programSettings: new ProgramSettingsService(db),
    challenges: new ChallengeService(db),
    authenticator: new Authenticator(config.adminToken, apiKeys, memberTokens),
    audit: new AuditService(db),
    rateLimits: new RateLimitService((db.options as { url: string }).url, config.rateLimits, logger),
  };
}
