// Per-request DataLoaders: every relation a resolver follows goes through one of these, so a page
// of 20 transactions costs one query per relation, not one per row, and a list nested under a list
// (partner { earnRules { partner { earnRules } } }) one query per level, not one per parent.
import DataLoader from 'dataloader';
import type { Services } from './services';
import type { Reward } from '../modules/catalog/reward.entity';
import type { MembershipPlan, Membership } from '../modules/membership/membership.types';
import type { PunchCard, PunchCardProgress } from '../modules/punch-card/punch-card.types';
import type { EarnRule } from '../modules/earning/earn-rule.entity';
import type { ExchangeRate } from '../modules/exchange-rate/exchange-rate.entity';
import type { PointsTransaction } from '../modules/ledger/points-transaction.entity';
import type { Balance, Member } from '../modules/member/member.entity';
import type { Partner } from '../modules/partner/partner.entity';
import type { Tier } from '../modules/tier/tier.entity';
import type { Challenge } from '../modules/challenge/challenge.types';
import type { PartnerConsent } from '../modules/linking/consent.types';
import type { Viewer } from '../modules/auth/viewer';
import { personalDataRule } from '../modules/auth/policy';
import { auditActorOf } from '../modules/audit/audit-trail';
import { membersVisibleToPartner } from '../modules/privacy/visibility';
import { recordPersonalDataReads } from '../modules/privacy/personal-data-reads';
import type { WebhookEndpoint } from '../modules/webhook/webhook.types';

export interface Loaders {
  partner: DataLoader<string, Partner | null>;
  currentRate: DataLoader<string, ExchangeRate | null>;
  rateHistory: DataLoader<string, ExchangeRate[]>;
  rate: DataLoader<string, ExchangeRate | null>;
  tier: DataLoader<string, Tier | null>;
  allTiers: () => Promise<Tier[]>;
  member: DataLoader<string, Member | null>;
  balance: DataLoader<string, Balance | null>;
  transaction: DataLoader<string, PointsTransaction | null>;
  reward: DataLoader<string, Reward | null>;
  membershipPlan: DataLoader<string, MembershipPlan | null>;
  latestMembership: DataLoader<string, Membership | null>;
  punchCard: DataLoader<string, PunchCard | null>;
  challenge: DataLoader<string, Challenge | null>;
  webhookEndpoint: DataLoader<string, WebhookEndpoint | null>;
  /** By partner id: all its rules, inactive ones included (the resolver filters per viewer). */
  partnerEarnRules: DataLoader<string, EarnRule[]>;
  /** By partner id: its active punch cards. */
  partnerPunchCards: DataLoader<string, PunchCard[]>;
  /** By member id: its cards at every partner (the resolver narrows them per viewer). */
  memberPunchCards: DataLoader<string, (PunchCardProgress & { memberId: string; partnerId: string })[]>;
  /**
   * By member id: whether this request's viewer sees the member's personal fields unmasked
   * (policy.personalDataRule; a partner's consents looked up in one query per batch, a staff
   * user's reads audited once per member per request).
   */
  personalDataVisible: DataLoader<string, boolean>;
  /** By member id: its consents (the resolver narrows them per viewer). */
  memberConsents: DataLoader<string, PartnerConsent[]>;
}

/** Batch by key: results come back in the order of the keys, null where none was found. */
function byKey<T, K extends keyof T>(fetch: (ids: readonly string[]) => Promise<T[]>, key: K) {
  return new DataLoader<string, T | null>(async (ids) => {
    const rows = await fetch(ids);
    const found = new Map(rows.map((r) => [r[key] as unknown as string, r]));
    return ids.map((id) => found.get(id) ?? null);
  });
}

function groupedByKey<T, K extends keyof T>(fetch: (ids: readonly string[]) => Promise<T[]>, key: K) {
  return new DataLoader<string, T[]>(async (ids) => {
    const rows = await fetch(ids);
    const groups = new Map<string, T[]>(ids.map((id) => [id, []]));
    for (const r of rows) groups.get(r[key] as unknown as string)?.push(r);
    return ids.map((id) => groups.get(id)!);
  });
}

export function createLoaders(s: Services, viewer: Viewer): Loaders {
  let tiers: Promise<Tier[]> | undefined;
  const allTiers = () => (tiers ??= s.tiers.all());
  return {
    partner: byKey((ids) => s.partners.byIds(ids), 'id'),
    currentRate: byKey((ids) => s.rates.currentFor(ids), 'partnerId'),
    rateHistory: groupedByKey((ids) => s.rates.historyFor(ids), 'partnerId'),
    rate: byKey((ids) => s.rates.byIds(ids), 'id'),
    // The ladder is a handful of rows: one read of all of it serves both.
    tier: new DataLoader(async (ids) => {
      const all = await allTiers();
      return ids.map((id) => all.find((t) => t.id === id) ?? null);
    }),
    allTiers,
    member: byKey((ids) => s.members.byIds(ids), 'id'),
    balance: byKey<Balance & { memberId: string }, 'memberId'>((ids) => s.members.balances(ids), 'memberId'),
    transaction: byKey((ids) => s.ledger.byIds(ids), 'id'),
    reward: byKey((ids) => s.catalog.byIds(ids), 'id'),
    membershipPlan: byKey((ids) => s.memberships.plansByIds(ids), 'id'),
    latestMembership: byKey((ids) => s.memberships.latestFor(ids), 'memberId'),
    punchCard: byKey((ids) => s.punchCards.byIds(ids), 'id'),
    challenge: byKey((ids) => s.challenges.byIds(ids), 'id'),
    webhookEndpoint: byKey((ids) => s.webhooks.byIds(ids), 'id'),
    partnerEarnRules: groupedByKey((ids) => s.earnRules.forPartners(ids), 'partnerId'),
    partnerPunchCards: groupedByKey((ids) => s.punchCards.forPartners(ids), 'partnerId'),
    memberPunchCards: groupedByKey((ids) => s.punchCards.progressFor(ids), 'memberId'),
    personalDataVisible: new DataLoader(async (ids) => {
      const rules = ids.map((id) => personalDataRule(viewer, id));
      if (viewer.kind === 'partner' && rules.includes('IF_CONSENTED')) {
        const visible = await membersVisibleToPartner(s.db, viewer.partnerId, ids);
        return ids.map((id) => visible.has(id));
      }
      if (viewer.kind === 'staff' && rules.includes('STAFF')) await recordPersonalDataReads(s.db, auditActorOf(viewer), ids);
      return rules.map((r) => r === 'OWN' || r === 'STAFF');
    }),
    memberConsents: groupedByKey((ids) => s.consents.forMembers(ids), 'memberId'),
  };
}
