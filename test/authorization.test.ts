// The authorization rules (DESIGN.md "Auth") as a table: every caller against every cell, on
// the real server. A denied call gets the exact code and writes nothing; an allowed one works.
import jwt from 'jsonwebtoken';
import { randomUUID } from 'node:crypto';
import { DocumentNode, print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuditLogDocument,
  ChallengeCompletedDocument,
  ChallengesDocument,
  CreateChallengeDocument,
  AuthzCatalogAffordableDocument,
  AuthzMembershipPlansDocument,
  AuthzPublicAndMemberDocument,
  AuthzTwoReversalsDocument,
  BalanceChangedDocument,
  CancelMembershipDocument,
  CatalogDocument,
  CreateEarnRuleDocument,
  CreateMembershipPlanDocument,
  CreatePunchCardDocument,
  EarnRulesDocument,
  MemberLifecycleDocument,
  MemberPerksDocument,
  PreviewEarnDocument,
  ProgramSettingsDocument,
  SetPartnerSettingsDocument,
  SetProgramSettingsDocument,
  StartMembershipDocument,
  UpdateEarnRuleDocument,
  ExchangeRateChangedDocument,
  MemberRedemptionsDocument,
  PartnerApiKeysDocument,
  PartnerRewardsDocument,
  RedeemRewardDocument,
  ReverseTransactionDocument,
  RotatePartnerApiKeyDocument,
  SettlementDocument,
  SettlementMatrixDocument,
  TierChangedDocument,
  UpsertRewardDocument,
  AuthzTwoMembersDocument,
  AuthzTwoMembersNestedDocument,
  CreatePartnerApiKeyDocument,
  CreatePartnerDocument,
  EarnPointsDocument,
  EnrollMemberDocument,
  IssueMemberTokenDocument,
  MemberBalanceDocument,
  MemberByEmailDocument,
  MemberTransactionsDocument,
  PartnerRatesDocument,
  PartnersDocument,
  RevokePartnerApiKeyDocument,
  SetExchangeRateDocument,
  SetPartnerStatusDocument,
  TiersDocument,
  ViewerDocument,
  CreatePartnerLinkCodeDocument,
  LinkMemberDocument,
  LinkedPartnersDocument,
  MemberChallengesDocument,
  MemberPaymentRefDocument,
  BalanceChangedPersonalDocument,
  CreateStaffUserDocument,
  DeactivateStaffUserDocument,
  GrantPartnerConsentDocument,
  MemberByCardDocument,
  MemberConsentsDocument,
  MemberPersonalDocument,
  RevokePartnerConsentDocument,
  SetStaffUserRolesDocument,
  StaffLoginDocument,
  StaffUsersDocument,
  CreateWebhookEndpointDocument,
  RedeliverWebhookDocument,
  SetWebhookEndpointActiveDocument,
  WebhookDeliveriesDocument,
  WebhookEndpointsDocument,
  RedemptionByCodeDocument,
  FulfillRedemptionDocument,
  PayWithPointsDocument,
  AdjustPointsDocument,
  BlockMemberDocument,
  EraseMemberDocument,
  ExportMemberDataDocument,
  MergeMembersDocument,
  TransferPointsDocument,
  UnblockMemberDocument,
  UpdateMemberDocument,
  CreateSurveyDocument,
  SurveysDocument,
  SubmitSurveyResponseDocument,
  ProgramMetricsDocument,
  UpsertTierDocument,
} from './generated/graphql';
import { GqlResult, startTestGateway, TestGateway } from './support/gateway';
import {
  balanceOf,
  earn,
  earnInput,
  linkPartner,
  newMember,
  newPartner,
  newReward,
  newStaff,
  TestMember,
  TestPartner,
  TestStaff,
  uniq,
} from './support/factories';
import { createHash } from 'node:crypto';
import { liveClient, LiveSubscription, settle, subscribe } from './support/live-client';
import { gatewaySchema } from '../src/app/schema';

let gw: TestGateway;

// ---------------------------------------------------------------------------------------------
// Callers
// ---------------------------------------------------------------------------------------------

/** Callers that prove an identity (or none): each row of the table says what each may do. */
const CALLERS = [
  'anonymous',
  'admin',
  'partnerA',
  'partnerB',
  'suspended',
  'member',
  'otherMember',
  // Staff users signed in with staffLogin, one per role (the capability table in auth/policy.ts).
  'owner',
  'programManager',
  'finance',
  'support',
  'auditor',
] as const;
type CallerName = (typeof CALLERS)[number];
const STAFF_CALLERS: readonly CallerName[] = ['owner', 'programManager', 'finance', 'support', 'auditor'];
const STAFF_ROLE_OF = { owner: 'OWNER', programManager: 'PROGRAM_MANAGER', finance: 'FINANCE', support: 'SUPPORT', auditor: 'AUDITOR' } as const;
/** Checks written for the admin column hold for any staff caller the row allows (what it sees is the admin's view). */
const asChecked = (c: CallerName): CallerName => (STAFF_CALLERS.includes(c) ? 'admin' : c);
/** Staff callers that see members' personal fields unmasked (READ_PERSONAL_DATA). */
const seesPersonalData = (c: CallerName) => ['admin', 'owner', 'support', 'auditor'].includes(c);

/** Tokens that prove nothing: the whole request fails, HTTP 401, UNAUTHENTICATED, whatever it asks. */
const BAD_TOKENS = ['revokedKey', 'expiredMemberToken', 'forgedMemberToken', 'garbage', 'deactivatedStaff', 'expiredStaffSession'] as const;
type BadToken = (typeof BAD_TOKENS)[number];

interface World {
  a: TestPartner;
  b: TestPartner;
  suspended: TestPartner;
  /** Target of setPartnerStatus / setExchangeRate / createPartnerApiKey. */
  victim: TestPartner;
  member: TestMember; // enrolled at A, linked to B with a code; earned once at A and once at B
  other: TestMember; // enrolled at B
  shopper: TestMember; // the member the earnPoints cells credit
  /** Earned at A, redeemed at A and at B: the redemption cells act on it (as "member", its own token). */
  spender: TestMember;
  /** Completed A's own challenge (its bonus is a transaction made at A), then a coalition one; has progress in both kinds. */
  achiever: TestMember;
  ownChallengeA: string; // A's challenge the achiever completed
  farChallenge: string; // a coalition challenge the achiever has progress in
  /** Enrolled at A, with a paid membership A recorded (payment reference pay-at-A). */
  subscriber: TestMember;
  txAtA: string;
  txAtB: string;
  rewardA: string; // listed, 10 points
  rewardB: string; // listed, 10 points
  hiddenRewardA: string; // inactive: only A and admins see it
  redemptionAtA: string;
  redemptionAtB: string;
  inactiveRuleA: string; // an inactive earn rule of A: only A and admins see it
  plan: string; // a membership plan the spender's membership cells use
  /** Enrolled at A, with a birth date; its token is "member" in the consent cells. */
  consenter: TestMember;
  /** Enrolled at A (with a birth date), linked to B with a code (consent); an earn at A to replay. */
  privateMember: TestMember;
  staff: Record<(typeof STAFF_CALLERS)[number], TestStaff>;
  /** The staff user setStaffUserRoles re-roles. */
  reroled: TestStaff;
  endpointA: string; // A's webhook endpoint (POINTS_EARNED, to a port nobody listens on)
  deliveryA: string; // its delivery of txAtA
  tokens: Record<CallerName | BadToken, string | null>;
}
let w: World;

async function memberTokenSecret(): Promise<string> {
  const [row] = await gw.sql<{ value: string }>(`SELECT value FROM app_secret WHERE name = 'member_token_secret'`);
  return row!.value;
}

function signMemberToken(secret: string, memberId: string, expiresAtSeconds: number, partnerId: string | null = null): string {
  return jwt.sign({ ptn: partnerId, iat: expiresAtSeconds - 3600, exp: expiresAtSeconds }, secret, {
    algorithm: 'HS256',
    subject: memberId,
    issuer: 'loyalty-gateway',
    audience: 'member',
  });
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Everything a write could touch: a denied call must leave this exactly as it was. */
async function snapshot() {
  const [row] = await gw.sql(`
    SELECT (SELECT count(*) FROM partner)::int AS partners,
           (SELECT string_agg(id::text || ':' || status, ',' ORDER BY seq) FROM partner) AS statuses,
           (SELECT count(*) FROM partner_api_key)::int AS api_keys,
           (SELECT count(*) FROM partner_api_key WHERE revoked_at IS NOT NULL)::int AS revoked_keys,
           (SELECT count(*) FROM partner_api_key WHERE expires_at IS NOT NULL)::int AS expiring_keys,
           (SELECT string_agg(concat_ws(':', id, name, points_cost, stock, active, updated_at), ',' ORDER BY seq) FROM reward) AS rewards,
           (SELECT string_agg(id::text || ':' || status, ',' ORDER BY seq) FROM redemption) AS redemptions,
           (SELECT count(*) FROM security_audit)::int AS audit_entries,
           (SELECT string_agg(id::text || ':' || updated_at, ',' ORDER BY id) FROM earn_rule) AS earn_rules,
           (SELECT count(*) FROM punch_card)::int AS punch_cards,
           (SELECT count(*) FROM membership_plan)::int AS membership_plans,
           (SELECT string_agg(concat_ws(':', id, status, current_period_end), ',' ORDER BY id) FROM membership) AS memberships,
           (SELECT updated_at::text FROM program_settings) AS program_settings,
           (SELECT string_agg(concat_ws(':', id, pending_days, birthday_bonus_points), ',' ORDER BY seq) FROM partner) AS partner_settings,
           (SELECT string_agg(concat_ws(':', member_id, punch_card_id, punches, completed_count), ',' ORDER BY member_id, punch_card_id) FROM punch_card_progress) AS punch_card_progress,
           (SELECT string_agg(id::text || ':' || active, ',' ORDER BY seq) FROM challenge) AS challenges,
           (SELECT string_agg(concat_ws(':', member_id, challenge_id, window_start, progress, completed_at), ',' ORDER BY member_id, challenge_id, window_start)
              FROM challenge_progress) AS challenge_progress,
           (SELECT count(*) FROM badge)::int AS badges,
           (SELECT count(*) FROM member_bonus)::int AS member_bonuses,
           (SELECT count(*) FROM lot_consumption)::int AS lot_consumptions,
           (SELECT count(*) || '/' || count(reversed_by_transaction) FROM points_payment) AS payments,
           (SELECT count(*) FROM exchange_rate)::int AS rates,
           (SELECT count(*) FROM member)::int AS members,
           (SELECT string_agg(concat_ws(':', id, status, email, display_name, birth_date), ',' ORDER BY id) FROM member) AS member_profiles,
           (SELECT count(*) FROM account)::int AS accounts,
           (SELECT count(*) FROM ledger_transaction)::int AS transactions,
           (SELECT count(*) FROM ledger_entry)::int AS entries,
           (SELECT count(*) FROM points_lot)::int AS lots,
           (SELECT count(*) FROM idempotency_key)::int AS idempotency_keys,
           (SELECT count(*) FROM outbox_event)::int AS events,
           (SELECT count(*) FROM member_partner_link)::int AS partner_links,
           (SELECT string_agg(concat_ws(':', member_id, partner_id, via), ',' ORDER BY member_id, partner_id) FROM member_partner_consent) AS consents,
           (SELECT string_agg(concat_ws(':', id, array_to_string(roles, '+'), active), ',' ORDER BY id) FROM staff_user) AS staff_users,
           (SELECT string_agg(id::text || ':' || active, ',' ORDER BY created_at, id) FROM webhook_endpoint) AS webhook_endpoints,
           (SELECT string_agg(id::text || ':' || status || ':' || round_attempts, ',' ORDER BY id) FROM webhook_delivery WHERE status <> 'PENDING') AS webhook_deliveries_done,
           (SELECT count(*) FROM webhook_delivery)::int AS webhook_deliveries,
           (SELECT count(*) || '/' || count(used_at) FROM partner_link_code) AS link_codes,
           (SELECT coalesce(sum(balance), 0)::text || '/' || coalesce(sum(pending), 0)::text FROM account WHERE kind = 'MEMBER') AS balances,
           (SELECT coalesce(sum(remaining), 0)::text || '/' || coalesce(sum(pending), 0)::text FROM points_lot) AS lots_left,
           (SELECT count(*) FROM survey)::int AS surveys,
           (SELECT count(*) FROM survey_response)::int AS survey_responses,
           (SELECT string_agg(concat_ws(':', id, name, rank, qualifying_points, earn_multiplier), ',' ORDER BY rank) FROM tier) AS tiers`);
  return row!;
}

beforeAll(async () => {
  // The bad-token cells fail authentication hundreds of times from one address: not what this file tests.
  gw = await startTestGateway({ RATE_LIMIT_AUTH_FAILURES: '0' });
  const [a, b, suspended, victim] = await Promise.all([newPartner(gw), newPartner(gw), newPartner(gw), newPartner(gw)]);
  const [member, other, shopper, spender] = await Promise.all([newMember(gw, a), newMember(gw, b), newMember(gw, a), newMember(gw, a)]);
  // The member links B the way a member does: a code from its own token, redeemed by B.
  await linkPartner(gw, member, b);
  // Before the earn at A, so that the earn makes a delivery for it (port 9 refuses: it is retried, slowly).
  const endpointA = (await gw.ok(CreateWebhookEndpointDocument, { input: { url: 'http://127.0.0.1:9/hooks', events: ['POINTS_EARNED'] } }, a.apiKey))
    .createWebhookEndpoint.endpoint.id;
  const txAtA = (await earn(gw, a, member, '10.00')).id;
  const [deliveryA] = await gw.sql<{ id: string }>(`SELECT id::text AS id FROM webhook_delivery WHERE endpoint_id = $1 ORDER BY id LIMIT 1`, [endpointA]);
  const txAtB = (await earn(gw, b, member, '20.00')).id;
  // A tier change for `member` without moving its points (the other cells rely on them): the
  // outbox row an upgrade would have written, for tierChanged to replay.
  await gw.sql(
    `INSERT INTO outbox_event (topic, member_id, payload)
     SELECT 'TIER_CHANGED', $1, jsonb_build_object('fromTierId', b.id, 'toTierId', s.id) FROM tier b, tier s WHERE b.name = 'Bronze' AND s.name = 'Silver'`,
    [member.id],
  );

  // A completed challenge for `member`, likewise only as the outbox row challengeCompleted replays
  // (the challenge itself inactive, so no other cell's earn counts towards it).
  const { createChallenge: done } = await gw.ok(
    CreateChallengeDocument,
    { input: { name: 'done', kind: 'EARN_COUNT', target: '1', windowDays: 7, bonusPoints: 0, badgeName: 'Done' } },
    gw.adminToken,
  );
  await gw.sql(`UPDATE challenge SET active = false WHERE id = $1`, [done.id]);
  await gw.sql(
    `INSERT INTO outbox_event (topic, member_id, payload) VALUES ('CHALLENGE_COMPLETED', $1,
       jsonb_build_object('challengeId', $2::uuid, 'transactionId', null, 'badgeName', 'Done', 'bonusPoints', 0, 'windowStart', now(), 'completedAt', now()))`,
    [member.id, done.id],
  );
  // And one completed for real: A's own challenge, whose bonus is a transaction made at A, which
  // another partner must not see through challengeCompleted. Deactivated at once, so no other
  // cell's earn at A counts towards it.
  // Its earn also counts towards a coalition challenge far out of reach, so it has progress in
  // both kinds; then a coalition completion (the outbox row, as for `member`) follows A's.
  const achiever = await newMember(gw, a);
  const { createChallenge: own } = await gw.ok(
    CreateChallengeDocument,
    { input: { name: 'own', kind: 'EARN_COUNT', target: '1', windowDays: 7, bonusPoints: 5, badgeName: 'Regular' } },
    a.apiKey,
  );
  const { createChallenge: far } = await gw.ok(
    CreateChallengeDocument,
    { input: { name: 'far', kind: 'EARN_COUNT', target: '1000000', windowDays: 7, bonusPoints: 0, badgeName: 'Far' } },
    gw.adminToken,
  );
  await earn(gw, a, achiever, '10.00');
  await gw.sql(`UPDATE challenge SET active = false WHERE id = ANY($1::uuid[])`, [[own.id, far.id]]);
  await gw.sql(
    `INSERT INTO outbox_event (topic, member_id, payload) VALUES ('CHALLENGE_COMPLETED', $1,
       jsonb_build_object('challengeId', $2::uuid, 'transactionId', null, 'badgeName', 'Done', 'bonusPoints', 0, 'windowStart', now(), 'completedAt', now()))`,
    [achiever.id, done.id],
  );

  await earn(gw, a, spender, '1000.00');
  const [rewardA, rewardB] = [(await newReward(gw, a, { pointsCost: 10 })).id, (await newReward(gw, b, { pointsCost: 10 })).id];
  const hidden = await gw.ok(UpsertRewardDocument, { input: { name: uniq('hidden'), pointsCost: 10, active: false } }, a.apiKey);
  const redeem = async (rewardId: string) =>
    (await gw.ok(RedeemRewardDocument, { input: { memberId: spender.id, rewardId, idempotencyKey: uniq('redeem') } }, spender.token)).redeemReward.id;
  const redemptionAtA = await redeem(rewardA);
  const redemptionAtB = await redeem(rewardB);
  const inactiveRule = await gw.ok(CreateEarnRuleDocument, { input: { name: 'hidden rule', kind: 'MULTIPLIER', multiplier: '2', active: false } }, a.apiKey);
  const plan = await gw.ok(
    CreateMembershipPlanDocument,
    { input: { name: uniq('plan'), price: '9.90', currencyCode: 'MYR', periodMonths: 1, earnMultiplier: '1.1' } },
    gw.adminToken,
  );

  // A membership A took the payment for: its reference is A's record.
  const subscriber = await newMember(gw, a);
  await gw.ok(StartMembershipDocument, { memberId: subscriber.id, planId: plan.createMembershipPlan.id, ref: 'pay-at-A', key: uniq('key') }, a.apiKey);

  await gw.ok(SetPartnerStatusDocument, { partnerId: suspended.id, status: 'SUSPENDED' }, gw.adminToken);

  // A second key of partner A, proven to work, then revoked by its prefix (lgk_<8 hex>_…).
  const { createPartnerApiKey: revokedKey } = await gw.ok(CreatePartnerApiKeyDocument, { partnerId: a.id }, gw.adminToken);
  expect((await gw.ok(ViewerDocument, {}, revokedKey)).viewer).toBe(`partner:${a.slug}`);
  const prefix = /^lgk_([0-9a-f]{8})_/.exec(revokedKey)![1]!;
  expect((await gw.ok(RevokePartnerApiKeyDocument, { prefix }, gw.adminToken)).revokePartnerApiKey).toBe(true);

  // One staff user per role, and two whose tokens prove nothing: one deactivated, one whose
  // session has expired (its row backdated: the token itself stays well-formed).
  const staffUsers = await Promise.all(STAFF_CALLERS.map((c) => newStaff(gw, [STAFF_ROLE_OF[c as keyof typeof STAFF_ROLE_OF]])));
  const staff = Object.fromEntries(STAFF_CALLERS.map((c, i) => [c, staffUsers[i]!])) as World['staff'];
  const [deactivated, expired, reroled] = await Promise.all([newStaff(gw, ['SUPPORT']), newStaff(gw, ['OWNER']), newStaff(gw, ['SUPPORT'])]);
  await gw.ok(DeactivateStaffUserDocument, { id: deactivated.id }, gw.adminToken);
  await gw.sql(`UPDATE staff_session SET expires_at = now() - interval '1 second' WHERE token_hash = $1`, [
    createHash('sha256').update(expired.token).digest(),
  ]);
  const { enrollMember: enrolled } = await gw.ok(
    EnrollMemberDocument,
    { input: { email: `${uniq('consenter')}@example.com`, displayName: 'Consenting Member', birthDate: '1990-05-17' } },
    a.apiKey,
  );
  const { issueMemberToken: consenterToken } = await gw.ok(IssueMemberTokenDocument, { memberId: enrolled.id }, a.apiKey);
  const consenter = { id: enrolled.id, email: enrolled.email, token: consenterToken };
  const { enrollMember: enrolledPrivate } = await gw.ok(
    EnrollMemberDocument,
    { input: { email: `${uniq('private')}@example.com`, displayName: 'Private Member', birthDate: '1988-02-29' } },
    a.apiKey,
  );
  const { issueMemberToken: privateToken } = await gw.ok(IssueMemberTokenDocument, { memberId: enrolledPrivate.id }, a.apiKey);
  const privateMember = { id: enrolledPrivate.id, email: enrolledPrivate.email, token: privateToken };
  await linkPartner(gw, privateMember, b);
  await earn(gw, a, privateMember, '10.00');

  const secret = await memberTokenSecret();
  w = {
    a,
    b,
    suspended,
    victim,
    member,
    other,
    shopper,
    spender,
    achiever,
    ownChallengeA: own.id,
    farChallenge: far.id,
    subscriber,
    txAtA,
    txAtB,
    rewardA,
    rewardB,
    hiddenRewardA: hidden.upsertReward.id,
    redemptionAtA,
    redemptionAtB,
    inactiveRuleA: inactiveRule.createEarnRule.id,
    plan: plan.createMembershipPlan.id,
    consenter,
    privateMember,
    staff,
    reroled,
    endpointA,
    deliveryA: deliveryA!.id,
    tokens: {
      ...(Object.fromEntries(STAFF_CALLERS.map((c) => [c, staff[c as keyof World['staff']].token])) as Record<(typeof STAFF_CALLERS)[number], string>),
      deactivatedStaff: deactivated.token,
      expiredStaffSession: expired.token,
      anonymous: null,
      admin: gw.adminToken,
      partnerA: a.apiKey,
      partnerB: b.apiKey,
      suspended: suspended.apiKey,
      member: member.token,
      otherMember: other.token,
      revokedKey,
      expiredMemberToken: signMemberToken(secret, member.id, nowSeconds() - 60, a.id),
      forgedMemberToken: signMemberToken('not-the-secret-'.repeat(4), member.id, nowSeconds() + 3600, a.id),
      garbage: 'garbage-token',
    },
  };
});
afterAll(() => gw?.stop());

// ---------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------

const OK = 'ok';
const U = 'UNAUTHENTICATED';
const F = 'FORBIDDEN';
const BAD = 'BAD_USER_INPUT';
const SUSP = 'PARTNER_SUSPENDED';
const NF = 'NOT_FOUND';
type Outcome = typeof OK | typeof U | typeof F | typeof BAD | typeof SUSP | typeof NF;

/** Outcomes in CALLERS order: anonymous, admin, partnerA, partnerB, suspended, member, otherMember, then the staff roles owner, programManager, finance, support, auditor. */
function row(
  ...outcomes: [Outcome, Outcome, Outcome, Outcome, Outcome, Outcome, Outcome, Outcome, Outcome, Outcome, Outcome, Outcome]
): Record<CallerName, Outcome> {
  return Object.fromEntries(CALLERS.map((c, i) => [c, outcomes[i]])) as Record<CallerName, Outcome>;
}

interface Cell {
  name: string;
  /** The root field: null in data and the error's path when refused. */
  field: string;
  expect: Record<CallerName, Outcome>;
  /** Data this cell needs fresh for each call, made before the "nothing written" snapshot. */
  prepare?(): Promise<void>;
  send(token: string | null, caller: CallerName | BadToken): Promise<GqlResult<any>>;
  /** For an allowed call: what it must have returned or done. */
  /** caller: as asChecked maps it (a staff caller the row allows checks as admin); actual: who called. */
  check?(data: any, caller: CallerName, actual: CallerName): void | Promise<void>;
}

const earnAt = (partnerId?: string) => () => ({
  input: { ...earnInput(w.shopper, '5.00'), ...(partnerId ? { partnerId } : {}) },
});

/** "aisyah@example.com" → "a•••@e•••.com", as README "Privacy" says (written out here, not imported). */
function maskedEmail(email: string): string {
  const [local, domain] = email.split('@') as [string, string];
  return `${local[0]}•••@${domain[0]}•••${domain.slice(domain.lastIndexOf('.'))}`;
}

/** What the privateMember cells expect: A enrolled it, B has its consent; the suspended partner and staff without READ_PERSONAL_DATA see masks. */
function expectPrivateMember(m: any, caller: CallerName, actual: CallerName): void {
  const masked = caller === 'suspended' || (caller === 'admin' && !seesPersonalData(actual));
  expect(m).toMatchObject(
    masked
      ? { id: w.privateMember.id, email: maskedEmail(w.privateMember.email), displayName: 'P', birthDate: null }
      : { id: w.privateMember.id, email: w.privateMember.email, displayName: 'Private Member', birthDate: '1988-02-29' },
  );
  expect(m.cardNumber).toMatch(/^\d{16}$/);
}

let toDeactivate = '';

function staffAndPrivacyCells(): Cell[] {
  const OWNER_ONLY = row(U, OK, F, F, F, F, F, /* staff */ OK, F, F, F, F);
  const consentRow = row(U, OK, F, F, F, OK, F, /* staff */ OK, F, F, OK, F);
  const consenterOr = (t: string | null, c: CallerName | BadToken) => (c === 'member' ? w.consenter.token : t);
  const consentOf = (m: any) => m.consents.map((x: any) => x.partner.id);
  return [
    // ---- identification and personal data ----------------------------------- anon admin A   B   susp member other / owner pm fin sup aud
    {
      name: 'query memberByCard',
      field: 'memberByCard',
      expect: row(U, OK, OK, OK, OK, OK, F, /* staff */ OK, OK, OK, OK, OK),
      send: async (t, c) => {
        const [{ card }] = (await gw.sql(`SELECT card_number AS card FROM member WHERE id = $1`, [w.privateMember.id])) as [{ card: string }];
        return gw.gql(
          MemberByCardDocument,
          { cardNumber: `${card.slice(0, 4)} ${card.slice(4, 8)} ${card.slice(8, 12)} ${card.slice(12)}` },
          c === 'member' ? w.privateMember.token : t,
        );
      },
      check: (d, c, actual) => expectPrivateMember(d.memberByCard, c, actual),
    },
    {
      name: 'Member personal fields (A enrolled the member, B has its consent, the suspended partner neither)',
      field: 'member',
      expect: row(U, OK, OK, OK, OK, OK, F, /* staff */ OK, OK, OK, OK, OK),
      send: (t, c) => gw.gql(MemberPersonalDocument, { id: w.privateMember.id }, c === 'member' ? w.privateMember.token : t),
      check: (d, c, actual) => expectPrivateMember(d.member, c, actual),
    },
    {
      name: 'Member.consents (a partner sees only its own)',
      field: 'member',
      expect: row(U, OK, OK, OK, OK, OK, F, /* staff */ OK, OK, OK, OK, OK),
      send: (t, c) => gw.gql(MemberConsentsDocument, { id: w.privateMember.id }, c === 'member' ? w.privateMember.token : t),
      check: (d, c) => expect(consentOf(d.member)).toEqual(c === 'partnerA' || c === 'suspended' ? [] : [w.b.id]),
    },
    {
      name: 'mutation grantPartnerConsent (the consenter, to B)',
      field: 'grantPartnerConsent',
      expect: consentRow,
      prepare: async () => {
        await gw.ok(RevokePartnerConsentDocument, { memberId: w.consenter.id, partnerId: w.b.id }, gw.adminToken);
      },
      send: (t, c) => gw.gql(GrantPartnerConsentDocument, { memberId: w.consenter.id, partnerId: w.b.id }, consenterOr(t, c)),
      check: (d) => expect(consentOf(d.grantPartnerConsent)).toEqual([w.b.id]),
    },
    {
      name: 'mutation revokePartnerConsent (the consenter, from B)',
      field: 'revokePartnerConsent',
      expect: consentRow,
      prepare: async () => {
        await gw.ok(GrantPartnerConsentDocument, { memberId: w.consenter.id, partnerId: w.b.id }, gw.adminToken);
      },
      send: (t, c) => gw.gql(RevokePartnerConsentDocument, { memberId: w.consenter.id, partnerId: w.b.id }, consenterOr(t, c)),
      check: (d) => expect(consentOf(d.revokePartnerConsent)).toEqual([]),
    },

    // ---- staff accounts: owners manage them, auditors read them -------------- anon admin A   B   susp member other / owner pm fin sup aud
    {
      name: 'query staffUsers',
      field: 'staffUsers',
      expect: row(U, OK, F, F, F, F, F, /* staff */ OK, F, F, F, OK),
      send: (t) => gw.gql(StaffUsersDocument, {}, t),
      check: (d) => {
        const roles = Object.fromEntries(d.staffUsers.map((u: any) => [u.id, u.roles]));
        for (const c of STAFF_CALLERS) expect(roles[w.staff[c as keyof World['staff']].id]).toEqual([STAFF_ROLE_OF[c as keyof typeof STAFF_ROLE_OF]]);
      },
    },
    {
      name: 'mutation createStaffUser',
      field: 'createStaffUser',
      expect: OWNER_ONLY,
      send: (t) =>
        gw.gql(
          CreateStaffUserDocument,
          { input: { email: `${uniq('new')}@operator.example`, displayName: 'New', roles: ['FINANCE'], password: 'a long enough password' } },
          t,
        ),
      check: (d) => expect(d.createStaffUser).toMatchObject({ roles: ['FINANCE'], active: true, lastLoginAt: null }),
    },
    {
      name: 'mutation setStaffUserRoles',
      field: 'setStaffUserRoles',
      expect: OWNER_ONLY,
      // Always a change (SUPPORT ⇄ FINANCE), so a wrongly allowed call shows in the snapshot.
      send: async (t) => {
        const [{ roles }] = (await gw.sql(`SELECT roles FROM staff_user WHERE id = $1`, [w.reroled.id])) as [{ roles: string[] }];
        return gw.gql(SetStaffUserRolesDocument, { id: w.reroled.id, roles: [roles[0] === 'SUPPORT' ? 'FINANCE' : 'SUPPORT'] }, t);
      },
      check: (d) => expect(d.setStaffUserRoles.id).toBe(w.reroled.id),
    },
    {
      name: 'mutation deactivateStaffUser',
      field: 'deactivateStaffUser',
      expect: OWNER_ONLY,
      prepare: async () => {
        toDeactivate = (await newStaff(gw, ['AUDITOR'])).id;
      },
      send: (t) => gw.gql(DeactivateStaffUserDocument, { id: toDeactivate }, t),
      check: (d) => expect(d.deactivateStaffUser).toEqual({ id: toDeactivate, active: false }),
    },
    {
      // Signing in needs no token: whoever sends the right email and password gets a staff token.
      name: 'mutation staffLogin',
      field: 'staffLogin',
      expect: row(OK, OK, OK, OK, OK, OK, OK, /* staff */ OK, OK, OK, OK, OK),
      send: (t) => gw.gql(StaffLoginDocument, { email: w.reroled.email, password: w.reroled.password }, t),
      check: (d) => expect(d.staffLogin).toMatch(/^lgs_/),
    },
  ];
}

const CELLS: Cell[] = [
  // ---- public reads ----------------------------------------------------------- anon admin A   B   susp member other / owner pm fin sup aud
  {
    name: 'query viewer',
    field: 'viewer',
    expect: row(OK, OK, OK, OK, OK, OK, OK, /* staff */ OK, OK, OK, OK, OK),
    send: (t) => gw.gql(ViewerDocument, {}, t),
    check: (d, _c, c) => {
      const label: Record<CallerName, string> = {
        ...(Object.fromEntries(STAFF_CALLERS.map((s) => [s, `staff:${w.staff[s as keyof World['staff']].id}`])) as Record<
          (typeof STAFF_CALLERS)[number],
          string
        >),
        anonymous: 'anonymous',
        admin: 'admin',
        partnerA: `partner:${w.a.slug}`,
        partnerB: `partner:${w.b.slug}`,
        suspended: `partner:${w.suspended.slug}`,
        member: `member:${w.member.id}`,
        otherMember: `member:${w.other.id}`,
      };
      expect(d.viewer).toBe(label[c]);
    },
  },
  {
    name: 'query tiers',
    field: 'tiers',
    expect: row(OK, OK, OK, OK, OK, OK, OK, /* staff */ OK, OK, OK, OK, OK),
    send: (t) => gw.gql(TiersDocument, {}, t),
    check: (d) => expect(d.tiers.map((x: { name: string }) => x.name)).toEqual(['Bronze', 'Silver', 'Gold']),
  },
  {
    name: 'query partners',
    field: 'partners',
    expect: row(OK, OK, OK, OK, OK, OK, OK, /* staff */ OK, OK, OK, OK, OK),
    send: (t) => gw.gql(PartnersDocument, { first: 100 }, t),
    check: (d) => expect(d.partners.edges.map((e: any) => e.node.id)).toEqual(expect.arrayContaining([w.a.id, w.b.id])),
  },
  {
    name: 'query partner(id)',
    field: 'partner',
    expect: row(OK, OK, OK, OK, OK, OK, OK, /* staff */ OK, OK, OK, OK, OK),
    send: (t) => gw.gql(PartnerRatesDocument, { id: w.b.id }, t),
    check: (d) => expect(d.partner).toMatchObject({ id: w.b.id, slug: w.b.slug, exchangeRate: { version: 1 } }),
  },

  // ---- member reads: partners and admins see any member, a member only itself -- anon admin A   B   susp member other / owner pm fin sup aud
  {
    name: 'query member(id)',
    field: 'member',
    expect: row(U, OK, OK, OK, OK, OK, F, /* staff */ OK, OK, OK, OK, OK),
    send: (t) => gw.gql(MemberBalanceDocument, { id: w.member.id }, t),
    check: (d, c, actual) =>
      expect(d.member).toMatchObject({
        id: w.member.id,
        // The member linked B with a code (consent) and enrolled at A; the suspended partner has neither.
        email: c === 'suspended' || (c === 'admin' && !seesPersonalData(actual)) ? maskedEmail(w.member.email) : w.member.email,
        balance: { available: 30 },
      }),
  },
  {
    name: 'query memberByEmail',
    field: 'memberByEmail',
    expect: row(U, OK, OK, OK, OK, OK, F, /* staff */ OK, F, F, OK, OK),
    send: (t) => gw.gql(MemberByEmailDocument, { email: w.member.email }, t),
    // The suspended partner has no consent: null, exactly as for an email no member has.
    check: (d, c) => expect(d.memberByEmail).toEqual(c === 'suspended' ? null : { id: w.member.id, email: w.member.email }),
  },
  {
    name: 'Member.transactions (a partner sees only those made at itself)',
    field: 'member',
    expect: row(U, OK, OK, OK, OK, OK, F, /* staff */ OK, OK, OK, OK, OK),
    send: (t) => gw.gql(MemberTransactionsDocument, { id: w.member.id }, t),
    check: (d, c) => {
      const visible: Partial<Record<CallerName, string[]>> = {
        admin: [w.txAtB, w.txAtA],
        member: [w.txAtB, w.txAtA],
        partnerA: [w.txAtA],
        partnerB: [w.txAtB],
        suspended: [],
      };
      const conn = d.member.transactions;
      expect(conn.edges.map((e: any) => e.node.id)).toEqual(visible[c]);
      expect(conn.totalCount).toBe(visible[c]!.length);
    },
  },

  // ---- admin-only writes ------------------------------------------------------ anon admin A   B   susp member other / owner pm fin sup aud
  {
    name: 'mutation createPartner',
    field: 'createPartner',
    expect: row(U, OK, F, F, F, F, F, /* staff */ OK, OK, F, F, F),
    send: (t) => gw.gql(CreatePartnerDocument, { input: { slug: uniq('p'), name: 'New partner', currencyCode: 'SGD' } }, t),
    check: async (d) => {
      const rows = await gw.sql(`SELECT id FROM partner WHERE id = $1`, [d.createPartner.id]);
      expect(rows).toHaveLength(1);
    },
  },
  {
    name: 'mutation setPartnerStatus',
    field: 'setPartnerStatus',
    expect: row(U, OK, F, F, F, F, F, /* staff */ OK, OK, F, F, F),
    // Always asks for a change (the opposite of the current status), so a wrongly allowed call shows.
    send: async (t) => {
      const [{ status }] = (await gw.sql(`SELECT status FROM partner WHERE id = $1`, [w.victim.id])) as [{ status: string }];
      return gw.gql(SetPartnerStatusDocument, { partnerId: w.victim.id, status: status === 'ACTIVE' ? 'SUSPENDED' : 'ACTIVE' }, t);
    },
    check: async (d) => {
      const [{ status }] = (await gw.sql(`SELECT status FROM partner WHERE id = $1`, [w.victim.id])) as [{ status: string }];
      expect(status).toBe(d.setPartnerStatus.status);
      // Leave the victim active for the other cells.
      await gw.ok(SetPartnerStatusDocument, { partnerId: w.victim.id, status: 'ACTIVE' }, gw.adminToken);
    },
  },
  {
    name: 'mutation createPartnerApiKey',
    field: 'createPartnerApiKey',
    expect: row(U, OK, F, F, F, F, F, /* staff */ OK, OK, F, F, F),
    send: (t) => gw.gql(CreatePartnerApiKeyDocument, { partnerId: w.victim.id }, t),
    check: async (d) => expect((await gw.ok(ViewerDocument, {}, d.createPartnerApiKey)).viewer).toBe(`partner:${w.victim.slug}`),
  },
  {
    name: 'mutation revokePartnerApiKey',
    field: 'revokePartnerApiKey',
    expect: row(U, OK, F, F, F, F, F, /* staff */ OK, OK, F, F, F),
    // A fresh, active key each time: a wrongly allowed revocation would show in revoked_keys.
    prepare: async () => {
      lastVictimKey = (await gw.ok(CreatePartnerApiKeyDocument, { partnerId: w.victim.id }, gw.adminToken)).createPartnerApiKey;
    },
    send: (t) => gw.gql(RevokePartnerApiKeyDocument, { prefix: lastVictimKey.slice(4, 12) }, t),
    check: async (d) => {
      expect(d.revokePartnerApiKey).toBe(true);
      const r = await gw.gql(ViewerDocument, {}, lastVictimKey);
      expect(r.status).toBe(401);
      expect(r.errors?.[0]?.extensions?.code).toBe(U);
    },
  },
  {
    name: 'mutation setExchangeRate',
    field: 'setExchangeRate',
    expect: row(U, OK, F, F, F, F, F, /* staff */ OK, OK, F, F, F),
    send: (t) => gw.gql(SetExchangeRateDocument, { input: { partnerId: w.victim.id, earnRate: '2', burnRate: '0.01' } }, t),
    check: (d) => expect(d.setExchangeRate.partner.id).toBe(w.victim.id),
  },

  // ---- partner (or admin) writes ---------------------------------------------- anon admin A   B   susp member other / owner pm fin sup aud
  {
    // A suspended partner writes nothing, enrolments included.
    name: 'mutation enrollMember',
    field: 'enrollMember',
    expect: row(U, OK, OK, OK, SUSP, F, F, /* staff */ OK, F, F, OK, F),
    send: (t) => gw.gql(EnrollMemberDocument, { input: { email: `${uniq('enrol')}@example.com`, displayName: 'Enrolled' } }, t),
    check: (d) => expect(d.enrollMember).toMatchObject({ tier: { name: 'Bronze' }, balance: { available: 0 } }),
  },
  {
    // Object level: the shopper is linked to A only (it enrolled there), so B may not act for it.
    name: 'mutation issueMemberToken (a member enrolled at A)',
    field: 'issueMemberToken',
    expect: row(U, OK, OK, F, SUSP, F, F, /* staff */ OK, F, F, OK, F),
    send: (t) => gw.gql(IssueMemberTokenDocument, { memberId: w.shopper.id }, t),
    check: async (d) => expect((await gw.ok(ViewerDocument, {}, d.issueMemberToken)).viewer).toBe(`member:${w.shopper.id}`),
  },
  {
    // The member linked B with a code: now B may too (A by enrolment).
    name: 'mutation issueMemberToken (a member enrolled at A, linked to B)',
    field: 'issueMemberToken',
    expect: row(U, OK, OK, OK, SUSP, F, F, /* staff */ OK, F, F, OK, F),
    send: (t) => gw.gql(IssueMemberTokenDocument, { memberId: w.member.id }, t),
    check: async (d) => expect((await gw.ok(ViewerDocument, {}, d.issueMemberToken)).viewer).toBe(`member:${w.member.id}`),
  },

  // ---- webhooks: a partner's own endpoints, any for staff --------------------- anon admin A   B   susp member other / owner pm fin sup aud
  {
    // A partner lists its own; an admin every endpoint. Reading: a suspended partner still may.
    name: 'query webhookEndpoints',
    field: 'webhookEndpoints',
    expect: row(U, OK, OK, OK, OK, F, F, /* staff */ OK, OK, OK, OK, OK),
    send: (t) => gw.gql(WebhookEndpointsDocument, {}, t),
    check: (d, c) => {
      const ids = d.webhookEndpoints.map((e: { id: string }) => e.id);
      if (c === 'admin') expect(ids).toContain(w.endpointA);
      else if (c === 'partnerA') expect(d.webhookEndpoints.every((e: { partner: { id: string } }) => e.partner.id === w.a.id)).toBe(true);
      else expect(ids).not.toContain(w.endpointA);
    },
  },
  {
    name: "query webhookEndpoints (naming A's partnerId)",
    field: 'webhookEndpoints',
    expect: row(U, OK, OK, F, F, F, F, /* staff */ OK, OK, OK, OK, OK),
    send: (t) => gw.gql(WebhookEndpointsDocument, { partnerId: w.a.id }, t),
    check: (d) => expect(d.webhookEndpoints.map((e: { id: string }) => e.id)).toContain(w.endpointA),
  },
  {
    name: "query webhookDeliveries (A's endpoint)",
    field: 'webhookDeliveries',
    expect: row(U, OK, OK, F, F, F, F, /* staff */ OK, OK, OK, OK, OK),
    send: (t) => gw.gql(WebhookDeliveriesDocument, { endpointId: w.endpointA }, t),
    check: (d) => expect(d.webhookDeliveries.edges.map((e: { node: { id: string } }) => e.node.id)).toContain(w.deliveryA),
  },
  {
    // A partner for itself, an admin (no partnerId) for the coalition. Its events are ones nothing here publishes.
    name: 'mutation createWebhookEndpoint',
    field: 'createWebhookEndpoint',
    expect: row(U, OK, OK, OK, SUSP, F, F, /* staff */ OK, OK, F, F, F),
    send: (t) => gw.gql(CreateWebhookEndpointDocument, { input: { url: 'http://127.0.0.1:9/created', events: ['REDEMPTION_FULFILLED'] } }, t),
    check: (d, c) => {
      expect(d.createWebhookEndpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      const partner = { admin: null, partnerA: w.a.id, partnerB: w.b.id }[c as 'admin' | 'partnerA' | 'partnerB'];
      expect(d.createWebhookEndpoint.endpoint.partner?.id ?? null).toBe(partner);
    },
  },
  {
    name: 'mutation createWebhookEndpoint (naming partner A)',
    field: 'createWebhookEndpoint',
    expect: row(U, OK, OK, F, SUSP, F, F, /* staff */ OK, OK, F, F, F),
    send: (t) => gw.gql(CreateWebhookEndpointDocument, { input: { url: 'http://127.0.0.1:9/for-a', events: ['REDEMPTION_FULFILLED'], partnerId: w.a.id } }, t),
    check: (d) => expect(d.createWebhookEndpoint.endpoint.partner.id).toBe(w.a.id),
  },
  {
    name: "mutation setWebhookEndpointActive (A's endpoint)",
    field: 'setWebhookEndpointActive',
    expect: row(U, OK, OK, F, SUSP, F, F, /* staff */ OK, OK, F, F, F),
    send: (t) => gw.gql(SetWebhookEndpointActiveDocument, { id: w.endpointA, active: true }, t),
    check: (d) => expect(d.setWebhookEndpointActive).toMatchObject({ id: w.endpointA, active: true }),
  },
  {
    name: "mutation redeliverWebhook (a delivery of A's endpoint)",
    field: 'redeliverWebhook',
    expect: row(U, OK, OK, F, SUSP, F, F, /* staff */ OK, OK, F, F, F),
    send: (t) => gw.gql(RedeliverWebhookDocument, { deliveryId: w.deliveryA }, t),
    check: (d) => expect(d.redeliverWebhook).toMatchObject({ id: w.deliveryA, status: 'PENDING' }),
  },

  // ---- partner links: the member makes a code, a partner redeems it ----------- anon admin A   B   susp member other / owner pm fin sup aud
  {
    // Only the member itself: the code is its proof, so no partner (nor an admin) can make one for it.
    name: 'mutation createPartnerLinkCode',
    field: 'createPartnerLinkCode',
    expect: row(U, F, F, F, F, OK, F, /* staff */ F, F, F, F, F),
    send: (t) => gw.gql(CreatePartnerLinkCodeDocument, { memberId: w.member.id }, t),
    check: async (d) => {
      expect(d.createPartnerLinkCode.code).toMatch(/^[2-9A-HJKMNP-Z]{8}$/);
      const ttl = new Date(d.createPartnerLinkCode.expiresAt).getTime() - Date.now();
      expect(ttl).toBeGreaterThan(590_000);
      expect(ttl).toBeLessThanOrEqual(600_000);
    },
  },
  {
    // A fresh member (enrolled at A) and code for each call. An admin has no partner to link.
    name: 'mutation linkMember',
    field: 'linkMember',
    expect: row(U, F, OK, OK, SUSP, F, F, /* staff */ F, F, F, F, F),
    prepare: async () => {
      linkee = await newMember(gw, w.a);
      linkCode = (await gw.ok(CreatePartnerLinkCodeDocument, { memberId: linkee.id }, linkee.token)).createPartnerLinkCode.code;
    },
    send: (t) => gw.gql(LinkMemberDocument, { code: linkCode }, t),
    check: async (d, c) => {
      expect(d.linkMember).toEqual({ id: linkee.id, email: linkee.email });
      // Linked: the partner may now issue the member a token (A could already: it enrolled it).
      const partner = c === 'partnerA' ? w.a : w.b;
      expect((await gw.ok(IssueMemberTokenDocument, { memberId: linkee.id }, partner.apiKey)).issueMemberToken).toBeTruthy();
      const linked = (await gw.ok(LinkedPartnersDocument, { memberId: linkee.id }, gw.adminToken)).linkedPartners.map((p) => p.id);
      expect(linked).toEqual(c === 'partnerA' ? [w.a.id] : [w.a.id, w.b.id]);
    },
  },
  {
    // The member and admins see every linked partner; a partner only itself, and only if linked.
    name: 'query linkedPartners',
    field: 'linkedPartners',
    expect: row(U, OK, OK, OK, OK, OK, F, /* staff */ OK, OK, OK, OK, OK),
    send: (t) => gw.gql(LinkedPartnersDocument, { memberId: w.member.id }, t),
    check: (d, c) => {
      const visible: Partial<Record<CallerName, string[]>> = {
        admin: [w.a.id, w.b.id],
        member: [w.a.id, w.b.id],
        partnerA: [w.a.id],
        partnerB: [w.b.id],
        suspended: [],
      };
      expect(d.linkedPartners.map((p: any) => p.id)).toEqual(visible[c]);
    },
  },
  {
    // Partners earn at themselves; an admin must say where the purchase was made.
    name: 'mutation earnPoints without partnerId',
    field: 'earnPoints',
    expect: row(U, BAD, OK, OK, SUSP, F, F, /* staff */ BAD, F, F, BAD, F),
    send: (t) => gw.gql(EarnPointsDocument, earnAt()(), t),
    check: (d, c) => expect(d.earnPoints.partner.id).toBe(c === 'partnerA' ? w.a.id : w.b.id),
  },
  {
    // Identity comes from the token: naming another partner than the caller is refused.
    name: 'mutation earnPoints naming partner A',
    field: 'earnPoints',
    expect: row(U, OK, OK, F, F, F, F, /* staff */ OK, F, F, OK, F),
    send: (t) => gw.gql(EarnPointsDocument, earnAt(w.a.id)(), t),
    check: (d) => expect(d.earnPoints).toMatchObject({ type: 'EARN', points: 5, partner: { id: w.a.id } }),
  },
  {
    name: 'mutation earnPoints naming the suspended partner',
    field: 'earnPoints',
    expect: row(U, SUSP, F, F, SUSP, F, F, /* staff */ SUSP, F, F, SUSP, F),
    send: (t) => gw.gql(EarnPointsDocument, earnAt(w.suspended.id)(), t),
  },

  // ---- catalog: public, except what names a member ---------------------------- anon admin A   B   susp member other / owner pm fin sup aud
  {
    name: 'query catalog',
    field: 'catalog',
    expect: row(OK, OK, OK, OK, OK, OK, OK, /* staff */ OK, OK, OK, OK, OK),
    send: (t) => gw.gql(CatalogDocument, { first: 100 }, t),
    check: (d) => {
      const ids = d.catalog.edges.map((e: any) => e.node.id);
      expect(ids).toEqual(expect.arrayContaining([w.rewardA, w.rewardB]));
      expect(ids).not.toContain(w.hiddenRewardA);
    },
  },
  {
    // affordableFor names a member: the object-level rule of member(id) applies to it.
    name: 'query catalog(filter: {affordableFor})',
    field: 'catalog',
    expect: row(U, OK, OK, OK, OK, OK, F, /* staff */ OK, OK, OK, OK, OK),
    send: (t) => gw.gql(AuthzCatalogAffordableDocument, { memberId: w.member.id }, t),
    check: (d) => {
      const nodes = d.catalog.edges.map((e: any) => e.node);
      expect(nodes.map((n: any) => n.id)).toContain(w.rewardA);
      expect(nodes.every((n: any) => n.pointsCost <= 30)).toBe(true);
    },
  },
  {
    name: 'Partner.rewards (inactive ones only for the partner itself and admins)',
    field: 'partner',
    expect: row(OK, OK, OK, OK, OK, OK, OK, /* staff */ OK, OK, OK, OK, OK),
    send: (t) => gw.gql(PartnerRewardsDocument, { id: w.a.id, first: 100 }, t),
    check: (d, c) => {
      const ids = d.partner.rewards.edges.map((e: any) => e.node.id);
      expect(ids).toContain(w.rewardA);
      if (c === 'admin' || c === 'partnerA') expect(ids).toContain(w.hiddenRewardA);
      else expect(ids).not.toContain(w.hiddenRewardA);
    },
  },
  {
    name: 'mutation upsertReward (new)',
    field: 'upsertReward',
    expect: row(U, BAD, OK, OK, SUSP, F, F, /* staff */ BAD, BAD, F, F, F),
    send: (t) => gw.gql(UpsertRewardDocument, { input: { name: uniq('reward'), pointsCost: 10 } }, t),
    check: (d, c) => expect(d.upsertReward.partner.id).toBe(c === 'partnerA' ? w.a.id : w.b.id),
  },
  {
    // Object level: B passes A's reward id.
    name: "mutation upsertReward (A's reward)",
    field: 'upsertReward',
    expect: row(U, OK, OK, F, SUSP, F, F, /* staff */ OK, OK, F, F, F),
    send: (t) => gw.gql(UpsertRewardDocument, { input: { id: w.rewardA, name: uniq('renamed'), pointsCost: 10 } }, t),
    check: (d) => expect(d.upsertReward).toMatchObject({ id: w.rewardA, partner: { id: w.a.id }, pointsCost: 10 }),
  },

  // ---- redemptions: the member itself, the reward's partner, admins ------------ anon admin A   B   susp member other / owner pm fin sup aud
  {
    // "member" is the spender here (with its own token): the member redeems for itself.
    name: 'Member.redemptions (a partner sees only those made at itself)',
    field: 'member',
    expect: row(U, OK, OK, OK, OK, OK, F, /* staff */ OK, OK, OK, OK, OK),
    send: (t, c) => gw.gql(MemberRedemptionsDocument, { id: w.spender.id }, c === 'member' ? w.spender.token : t),
    check: (d, c) => {
      const visible: Partial<Record<CallerName, string[]>> = {
        admin: [w.redemptionAtB, w.redemptionAtA],
        member: [w.redemptionAtB, w.redemptionAtA],
        partnerA: [w.redemptionAtA],
        partnerB: [w.redemptionAtB],
        suspended: [],
      };
      expect(d.member.redemptions.edges.map((e: any) => e.node.id)).toEqual(visible[c]);
      expect(d.member.redemptions.totalCount).toBe(visible[c]!.length);
    },
  },
  {
    // Object level: B redeems A's reward; another member redeems for the spender.
    name: "mutation redeemReward (the spender, A's reward)",
    field: 'redeemReward',
    expect: row(U, OK, OK, F, SUSP, OK, F, /* staff */ OK, F, F, OK, F),
    send: (t, c) =>
      gw.gql(
        RedeemRewardDocument,
        { input: { memberId: w.spender.id, rewardId: w.rewardA, idempotencyKey: uniq('redeem') } },
        c === 'member' ? w.spender.token : t,
      ),
    check: (d) => expect(d.redeemReward).toMatchObject({ pointsSpent: 10, reward: { id: w.rewardA }, member: { id: w.spender.id } }),
  },
  {
    // Object level: B's own reward, but the spender never linked B (A's key: not its reward).
    name: "mutation redeemReward (the spender, B's reward, not linked to B)",
    field: 'redeemReward',
    expect: row(U, OK, F, F, SUSP, OK, F, /* staff */ OK, F, F, OK, F),
    send: (t, c) =>
      gw.gql(
        RedeemRewardDocument,
        { input: { memberId: w.spender.id, rewardId: w.rewardB, idempotencyKey: uniq('redeem') } },
        c === 'member' ? w.spender.token : t,
      ),
    check: (d) => expect(d.redeemReward).toMatchObject({ pointsSpent: 10, reward: { id: w.rewardB }, member: { id: w.spender.id } }),
  },
  {
    // Object level: B passes the id of a transaction made at A. A fresh earn at A for each call.
    name: 'mutation reverseTransaction (an earn at A)',
    field: 'reverseTransaction',
    expect: row(U, OK, OK, F, SUSP, F, F, /* staff */ OK, F, F, OK, F),
    prepare: async () => {
      lastEarnAtA = (await earn(gw, w.a, w.shopper, '5.00')).id;
    },
    send: (t) => gw.gql(ReverseTransactionDocument, { input: { transactionId: lastEarnAtA, idempotencyKey: uniq('refund') } }, t),
    check: (d) => expect(d.reverseTransaction).toMatchObject({ type: 'REVERSAL', points: -5, reverses: { id: lastEarnAtA } }),
  },
  {
    // Object level: B cancels a redemption of A's reward (its REDEEM was made at A). A fresh one for each call.
    name: "mutation reverseTransaction (a redemption of A's reward)",
    field: 'reverseTransaction',
    expect: row(U, OK, OK, F, SUSP, F, F, /* staff */ OK, F, F, OK, F),
    prepare: async () => {
      const { redeemReward } = await gw.ok(
        RedeemRewardDocument,
        { input: { memberId: w.spender.id, rewardId: w.rewardA, idempotencyKey: uniq('redeem') } },
        w.spender.token,
      );
      lastRedeemAtA = redeemReward.transaction.id;
    },
    send: (t) => gw.gql(ReverseTransactionDocument, { input: { transactionId: lastRedeemAtA, idempotencyKey: uniq('cancel') } }, t),
    check: (d) => expect(d.reverseTransaction).toMatchObject({ type: 'REVERSAL', points: 10, reverses: { id: lastRedeemAtA, type: 'REDEEM' } }),
  },

  // ---- the till: codes of A's rewards, payments with points at A ---------------- anon admin A   B   susp member other / owner pm fin sup aud
  {
    // Only A (whose reward it is) and admins find the code; anyone else gets null, as for no code at all.
    name: "query redemptionByCode (a code of A's reward)",
    field: 'redemptionByCode',
    expect: row(U, OK, OK, OK, OK, OK, OK, /* staff */ OK, OK, OK, OK, OK),
    send: async (t) => gw.gql(RedemptionByCodeDocument, { code: (await codeOf(w.redemptionAtA)).toLowerCase() }, t),
    check: (d, c) => expect(d.redemptionByCode?.id ?? null).toBe(c === 'admin' || c === 'partnerA' ? w.redemptionAtA : null),
  },
  {
    // Object level: B uses a code of A's reward (NOT_FOUND: no way to probe codes). A fresh code for each call.
    name: "mutation fulfillRedemption (a code of A's reward)",
    field: 'fulfillRedemption',
    expect: row(U, OK, OK, NF, SUSP, F, F, /* staff */ OK, F, F, OK, F),
    prepare: async () => {
      const { redeemReward } = await gw.ok(
        RedeemRewardDocument,
        { input: { memberId: w.spender.id, rewardId: w.rewardA, idempotencyKey: uniq('redeem') } },
        w.spender.token,
      );
      lastCodeAtA = redeemReward.code;
    },
    send: (t) => gw.gql(FulfillRedemptionDocument, { code: lastCodeAtA, key: uniq('fulfil') }, t),
    check: (d) => expect(d.fulfillRedemption).toMatchObject({ code: lastCodeAtA, status: 'FULFILLED', reward: { id: w.rewardA } }),
  },
  {
    // At the till of the caller: the spender is linked to A (it enrolled there), not to B. An admin must name the partner.
    name: 'mutation payWithPoints (the spender, at the caller)',
    field: 'payWithPoints',
    expect: row(U, BAD, OK, F, SUSP, F, F, /* staff */ BAD, F, F, BAD, F),
    send: (t) => gw.gql(PayWithPointsDocument, { input: tillPayment() }, t),
    check: (d) =>
      expect(d.payWithPoints).toMatchObject({ points: 10, discount: { amount: '0.10' }, partner: { id: w.a.id }, transaction: { type: 'PAYMENT' } }),
  },
  {
    name: 'mutation payWithPoints (the spender, naming A)',
    field: 'payWithPoints',
    expect: row(U, OK, OK, F, F, F, F, /* staff */ OK, F, F, OK, F),
    send: (t) => gw.gql(PayWithPointsDocument, { input: { ...tillPayment(), partnerId: w.a.id } }, t),
    check: (d) => expect(d.payWithPoints).toMatchObject({ points: 10, partner: { id: w.a.id }, member: { id: w.spender.id } }),
  },
  {
    // Object level: B refunds a payment made at A's till. A fresh payment for each call.
    name: 'mutation reverseTransaction (a payment at A)',
    field: 'reverseTransaction',
    expect: row(U, OK, OK, F, SUSP, F, F, /* staff */ OK, F, F, OK, F),
    prepare: async () => {
      lastPaymentAtA = (await gw.ok(PayWithPointsDocument, { input: tillPayment() }, w.a.apiKey)).payWithPoints.transaction.id;
    },
    send: (t) => gw.gql(ReverseTransactionDocument, { input: { transactionId: lastPaymentAtA, idempotencyKey: uniq('refund') } }, t),
    check: (d) => expect(d.reverseTransaction).toMatchObject({ type: 'REVERSAL', points: 10, reverses: { id: lastPaymentAtA, type: 'PAYMENT' } }),
  },

  // ---- settlement: admins all, a partner its own line, row and column -------- anon admin A   B   susp member other / owner pm fin sup aud
  {
    name: 'query settlement',
    field: 'settlement',
    expect: row(U, OK, OK, OK, OK, F, F, /* staff */ OK, F, OK, F, OK),
    send: (t) => gw.gql(SettlementDocument, period(), t),
    check: (d, c) => {
      const partners = d.settlement.map((l: any) => l.partner.id);
      if (c === 'admin') expect(partners).toEqual(expect.arrayContaining([w.a.id, w.b.id, w.suspended.id]));
      else expect(partners).toEqual([{ partnerA: w.a.id, partnerB: w.b.id, suspended: w.suspended.id }[c as string]]);
    },
  },
  {
    name: 'query settlementMatrix',
    field: 'settlementMatrix',
    expect: row(U, OK, OK, OK, OK, F, F, /* staff */ OK, F, OK, F, OK),
    send: (t) => gw.gql(SettlementMatrixDocument, period(), t),
    check: (d, c) => {
      const flows: { issuer: string; redeemer: string }[] = d.settlementMatrix.map((f: any) => ({ issuer: f.issuer?.id, redeemer: f.redeemer.id }));
      if (c === 'suspended') return expect(flows).toEqual([]);
      // The spender's points were issued at A and honoured at B: both ends see that flow.
      expect(flows).toContainEqual({ issuer: w.a.id, redeemer: w.b.id });
      const self = { partnerA: w.a.id, partnerB: w.b.id }[c as string];
      if (self) for (const f of flows) expect([f.issuer, f.redeemer]).toContain(self);
    },
  },

  // ---- keys and the audit trail: admins only ----------------------------------- anon admin A   B   susp member other / owner pm fin sup aud
  {
    name: 'query partnerApiKeys',
    field: 'partnerApiKeys',
    expect: row(U, OK, F, F, F, F, F, /* staff */ OK, OK, OK, OK, OK),
    send: (t) => gw.gql(PartnerApiKeysDocument, { partnerId: w.a.id }, t),
    check: (d) => {
      const prefixes = d.partnerApiKeys.map((k: any) => k.prefix);
      expect(prefixes).toContain(w.a.apiKey.slice(4, 12));
      expect(JSON.stringify(d)).not.toContain(w.a.apiKey.slice(13));
    },
  },
  {
    name: 'mutation rotatePartnerApiKey',
    field: 'rotatePartnerApiKey',
    expect: row(U, OK, F, F, F, F, F, /* staff */ OK, OK, F, F, F),
    prepare: async () => {
      lastVictimKey = (await gw.ok(CreatePartnerApiKeyDocument, { partnerId: w.victim.id }, gw.adminToken)).createPartnerApiKey;
    },
    send: (t) => gw.gql(RotatePartnerApiKeyDocument, { prefix: lastVictimKey.slice(4, 12) }, t),
    check: async (d) => {
      expect((await gw.gql(ViewerDocument, {}, lastVictimKey)).status).toBe(401);
      expect((await gw.ok(ViewerDocument, {}, d.rotatePartnerApiKey.key)).viewer).toBe(`partner:${w.victim.slug}`);
    },
  },
  {
    name: 'query auditLog',
    field: 'auditLog',
    expect: row(U, OK, F, F, F, F, F, /* staff */ OK, F, F, F, OK),
    send: (t) => gw.gql(AuditLogDocument, { first: 5 }, t),
    check: (d) => expect(d.auditLog.edges.length).toBeGreaterThan(0),
  },

  // ---- earning rules, punch cards, memberships, program settings --------------- anon admin A   B   susp member other / owner pm fin sup aud
  // Written so they change no earn the other cells check: rules inactive, cards out of reach.
  {
    name: 'query earnRules (inactive ones only for their owner and admins)',
    field: 'earnRules',
    expect: row(OK, OK, OK, OK, OK, OK, OK, /* staff */ OK, OK, OK, OK, OK),
    send: (t) => gw.gql(EarnRulesDocument, { partnerId: w.a.id }, t),
    check: (d, c) => {
      const ids = d.earnRules.map((r: any) => r.id);
      if (c === 'admin' || c === 'partnerA') expect(ids).toContain(w.inactiveRuleA);
      else expect(ids).not.toContain(w.inactiveRuleA);
    },
  },
  {
    name: 'query previewEarn',
    field: 'previewEarn',
    expect: row(U, BAD, OK, OK, SUSP, F, F, /* staff */ BAD, BAD, BAD, BAD, BAD),
    send: (t) => gw.gql(PreviewEarnDocument, { input: { memberId: w.shopper.id, amount: '10.00', currencyCode: 'MYR' } }, t),
    check: (d) => expect(d.previewEarn.points).toBe(10),
  },
  {
    name: 'mutation createEarnRule',
    field: 'createEarnRule',
    expect: row(U, OK, OK, OK, SUSP, F, F, /* staff */ OK, OK, F, F, F),
    send: (t) => gw.gql(CreateEarnRuleDocument, { input: { name: uniq('rule'), kind: 'MULTIPLIER', multiplier: '2', active: false } }, t),
    check: (d, c) => expect(d.createEarnRule.partner?.id ?? null).toBe({ admin: null, partnerA: w.a.id, partnerB: w.b.id }[c as string]),
  },
  {
    // Object level: B passes A's rule id.
    name: "mutation updateEarnRule (A's rule)",
    field: 'updateEarnRule',
    expect: row(U, OK, OK, F, SUSP, F, F, /* staff */ OK, OK, F, F, F),
    send: (t) =>
      gw.gql(UpdateEarnRuleDocument, { id: w.inactiveRuleA, input: { name: uniq('renamed'), kind: 'MULTIPLIER', multiplier: '2', active: false } }, t),
    check: (d) => expect(d.updateEarnRule).toMatchObject({ id: w.inactiveRuleA, active: false }),
  },
  {
    // Object level: B names A's reward (refused as bad input: a card's reward must be the partner's own).
    name: "mutation createPunchCard (A's reward)",
    field: 'createPunchCard',
    expect: row(U, BAD, OK, BAD, SUSP, F, F, /* staff */ BAD, BAD, F, F, F),
    send: (t) => gw.gql(CreatePunchCardDocument, { input: { name: uniq('card'), punchesRequired: 100, minSpend: '1000000', rewardId: w.rewardA } }, t),
    check: (d) => expect(d.createPunchCard.reward.id).toBe(w.rewardA),
  },
  {
    name: 'mutation createMembershipPlan',
    field: 'createMembershipPlan',
    expect: row(U, OK, F, F, F, F, F, /* staff */ OK, OK, F, F, F),
    send: (t) =>
      gw.gql(CreateMembershipPlanDocument, { input: { name: uniq('plan'), price: '5.00', currencyCode: 'MYR', periodMonths: 1, earnMultiplier: '1.1' } }, t),
    check: (d) => expect(d.createMembershipPlan.periodMonths).toBe(1),
  },
  {
    // A partner that took the payment (any partner) or an admin; not the member itself.
    name: 'mutation startMembership (the spender)',
    field: 'startMembership',
    expect: row(U, OK, OK, OK, SUSP, F, F, /* staff */ OK, F, F, OK, F),
    send: (t) => gw.gql(StartMembershipDocument, { memberId: w.spender.id, planId: w.plan, ref: uniq('pay'), key: uniq('key') }, t),
    check: (d) => expect(d.startMembership).toMatchObject({ status: 'ACTIVE', plan: { id: w.plan } }),
  },
  {
    // Ending it acts for the member: A (it enrolled the spender), not B (never linked).
    name: 'mutation cancelMembership (the spender)',
    field: 'cancelMembership',
    expect: row(U, OK, OK, F, SUSP, OK, F, /* staff */ OK, F, F, OK, F),
    prepare: async () => {
      await gw.ok(StartMembershipDocument, { memberId: w.spender.id, planId: w.plan, ref: uniq('pay'), key: uniq('key') }, gw.adminToken);
    },
    send: (t, c) => gw.gql(CancelMembershipDocument, { memberId: w.spender.id }, c === 'member' ? w.spender.token : t),
    check: (d) => expect(d.cancelMembership.status).toBe('CANCELLED'),
  },
  {
    name: 'Member.punchCards and Member.membership',
    field: 'member',
    expect: row(U, OK, OK, OK, OK, OK, F, /* staff */ OK, OK, OK, OK, OK),
    send: (t, c) => gw.gql(MemberPerksDocument, { id: w.spender.id }, c === 'member' ? w.spender.token : t),
    check: (d) => expect(d.member.id).toBe(w.spender.id),
  },
  {
    // Object level: A recorded the payment; no other partner sees its reference, nor the member token.
    name: 'Member.membership.externalPaymentRef (only the partner that recorded it, and admins)',
    field: 'member',
    expect: row(U, OK, OK, OK, OK, OK, F, /* staff */ OK, OK, OK, OK, OK),
    send: (t, c) => gw.gql(MemberPaymentRefDocument, { id: w.subscriber.id }, c === 'member' ? w.subscriber.token : t),
    check: (d, c) => {
      expect(d.member.membership.status).toBe('ACTIVE');
      expect(d.member.membership.externalPaymentRef).toBe(c === 'admin' || c === 'partnerA' ? 'pay-at-A' : null);
    },
  },
  {
    // Object level: A's own challenge (its spend, its badge) is A's; the coalition's is everyone's.
    name: "Member.challenges and Member.badges (A's challenge only for A)",
    field: 'member',
    expect: row(U, OK, OK, OK, OK, OK, F, /* staff */ OK, OK, OK, OK, OK),
    send: (t, c) => gw.gql(MemberChallengesDocument, { id: w.achiever.id }, c === 'member' ? w.achiever.token : t),
    check: (d, c) => {
      const seesA = c === 'admin' || c === 'partnerA' || c === 'member';
      const progress = d.member.challenges.map((p: any) => p.challenge.id).sort();
      expect(progress).toEqual((seesA ? [w.ownChallengeA, w.farChallenge] : [w.farChallenge]).sort());
      expect(d.member.badges.map((b: any) => b.name)).toEqual(seesA ? ['Regular'] : []);
    },
  },
  {
    name: 'Member.expiringPoints',
    field: 'member',
    expect: row(U, OK, OK, OK, OK, OK, F, /* staff */ OK, OK, OK, OK, OK),
    send: (t) => gw.gql(MemberLifecycleDocument, { id: w.member.id, withinDays: 30 }, t),
    check: (d) => expect(d.member).toMatchObject({ id: w.member.id, balance: { available: 30 } }),
  },
  {
    name: 'query membershipPlans',
    field: 'membershipPlans',
    expect: row(OK, OK, OK, OK, OK, OK, OK, /* staff */ OK, OK, OK, OK, OK),
    send: (t) => gw.gql(AuthzMembershipPlansDocument, {}, t),
    check: (d) => expect(d.membershipPlans.map((p: any) => p.id)).toContain(w.plan),
  },
  {
    name: 'query programSettings',
    field: 'programSettings',
    expect: row(U, OK, OK, OK, OK, OK, OK, /* staff */ OK, OK, OK, OK, OK),
    send: (t) => gw.gql(ProgramSettingsDocument, {}, t),
    check: (d) => expect(d.programSettings).toHaveProperty('pointsExpireAfterMonths'),
  },
  {
    // Object level: B names A. pendingDays 0 keeps A's earns as the other cells expect them.
    name: "mutation setPartnerSettings (A's)",
    field: 'setPartnerSettings',
    expect: row(U, OK, OK, F, F, F, F, /* staff */ OK, OK, F, F, F),
    send: (t) => gw.gql(SetPartnerSettingsDocument, { partnerId: w.a.id, pendingDays: 0 }, t),
    check: (d) => expect(d.setPartnerSettings).toEqual({ id: w.a.id, pendingDays: 0 }),
  },
  {
    // Each partner its own (an admin B's): a suspended partner writes nothing, its own settings included.
    name: 'mutation setPartnerSettings (its own)',
    field: 'setPartnerSettings',
    expect: row(U, OK, OK, OK, SUSP, F, F, /* staff */ OK, OK, F, F, F),
    send: (t, c) =>
      gw.gql(SetPartnerSettingsDocument, { partnerId: { partnerA: w.a.id, suspended: w.suspended.id }[c as string] ?? w.b.id, pendingDays: 0 }, t),
    check: (d, c) => expect(d.setPartnerSettings).toEqual({ id: c === 'partnerA' ? w.a.id : w.b.id, pendingDays: 0 }),
  },
  {
    // Empty input: an allowed call changes nothing the other cells depend on.
    name: 'mutation setProgramSettings',
    field: 'setProgramSettings',
    expect: row(U, OK, F, F, F, F, F, /* staff */ OK, OK, F, F, F),
    send: (t) => gw.gql(SetProgramSettingsDocument, { input: {} }, t),
    check: (d) => expect(d.setProgramSettings).toHaveProperty('birthdayBonusPoints'),
  },
  {
    name: 'query challenges (public)',
    field: 'challenges',
    expect: row(OK, OK, OK, OK, OK, OK, OK, /* staff */ OK, OK, OK, OK, OK),
    send: (t) => gw.gql(ChallengesDocument, {}, t),
    check: (d) => expect(Array.isArray(d.challenges)).toBe(true),
  },
  {
    // Out of reach (a million purchases) and without a bonus: changes no earn the other cells check.
    name: 'mutation createChallenge',
    field: 'createChallenge',
    expect: row(U, OK, OK, OK, SUSP, F, F, /* staff */ OK, OK, F, F, F),
    send: (t) =>
      gw.gql(
        CreateChallengeDocument,
        { input: { name: uniq('challenge'), kind: 'EARN_COUNT', target: '1000000', windowDays: 1, bonusPoints: 0, badgeName: 'Never' } },
        t,
      ),
    check: (d, c) => expect(d.createChallenge.partner?.id ?? null).toBe({ admin: null, partnerA: w.a.id, partnerB: w.b.id }[c as string]),
  },
  ...staffAndPrivacyCells(),
  // ---- program insight (issue 18): surveys and metrics
  {
    name: 'query surveys (public)',
    field: 'surveys',
    expect: row(OK, OK, OK, OK, OK, OK, OK, /* staff */ OK, OK, OK, OK, OK),
    send: (t) => gw.gql(SurveysDocument, {}, t),
    check: (d) => expect(Array.isArray(d.surveys)).toBe(true),
  },
  {
    name: 'mutation createSurvey',
    field: 'createSurvey',
    expect: row(U, OK, OK, OK, SUSP, F, F, /* staff */ OK, OK, F, F, F),
    send: (t) => gw.gql(CreateSurveyDocument, { input: { kind: 'NPS', question: uniq('recommend?'), bonusPoints: 0 } }, t),
    check: (d, c) => expect(d.createSurvey.partner?.id ?? null).toBe({ admin: null, partnerA: w.a.id, partnerB: w.b.id }[c as string]),
  },
  {
    // A fresh survey (no bonus) for every call: a member answers each survey once.
    name: 'mutation submitSurveyResponse',
    field: 'submitSurveyResponse',
    expect: row(U, OK, F, F, F, OK, F, /* staff */ OK, F, F, OK, F),
    prepare: async () => {
      lastSurvey = (await gw.ok(CreateSurveyDocument, { input: { kind: 'CSAT', question: uniq('happy?'), bonusPoints: 0 } }, gw.adminToken)).createSurvey.id;
    },
    send: (t) => gw.gql(SubmitSurveyResponseDocument, { input: { surveyId: lastSurvey, memberId: w.member.id, score: 5, idempotencyKey: uniq('answer') } }, t),
    check: (d) => expect(d.submitSurveyResponse).toMatchObject({ score: 5, member: { id: w.member.id }, transaction: null }),
  },
  {
    name: 'query programMetrics (coalition-wide for staff; a partner gets its own)',
    field: 'programMetrics',
    expect: row(U, OK, OK, OK, OK, F, F, /* staff */ OK, OK, OK, F, OK),
    send: (t) => {
      const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
      return gw.gql(ProgramMetricsDocument, { from: new Date(today).toISOString(), to: new Date(today + 86_400_000).toISOString() }, t);
    },
    check: (d, c) =>
      expect(d.programMetrics.partner?.id ?? null).toBe({ admin: null, partnerA: w.a.id, partnerB: w.b.id, suspended: w.suspended.id }[c as string]),
  },
  {
    // Each allowed call adds a tier far above anything the other cells earn (rank and threshold rise with each).
    name: 'mutation upsertTier',
    field: 'upsertTier',
    expect: row(U, OK, F, F, F, F, F, /* staff */ OK, OK, F, F, F),
    send: (t) => {
      tiersAdded++;
      return gw.gql(
        UpsertTierDocument,
        { input: { name: uniq('tier'), rank: 10 + tiersAdded, qualifyingPoints: 1_000_000_000 + tiersAdded, earnMultiplier: '1' } },
        t,
      );
    },
    check: (d) => expect(d.upsertTier.rank).toBe(10 + tiersAdded),
  },
  // ---- member servicing: SUPPORT staff and OWNER, the member itself where the issue says (exportMemberData: AUDITOR reads too)
  // Each call acts on fresh members (prepare), so the shared world is untouched; "member" calls with the fresh member's own token.
  {
    name: 'mutation adjustPoints',
    field: 'adjustPoints',
    expect: row(U, OK, F, F, F, F, F, /* staff */ OK, F, F, OK, F),
    prepare: freshMembers,
    send: (t, c) =>
      gw.gql(AdjustPointsDocument, { input: { memberId: fresh.id, points: 5, reason: 'goodwill', idempotencyKey: uniq('adjust') } }, asFresh(t, c)),
    check: (d) => expect(d.adjustPoints).toMatchObject({ type: 'ADJUSTMENT', points: 5, balanceAfter: 15 }),
  },
  {
    name: 'mutation transferPoints (the sending member)',
    field: 'transferPoints',
    expect: row(U, OK, F, F, F, OK, F, /* staff */ OK, F, F, OK, F),
    prepare: freshMembers,
    send: (t, c) =>
      gw.gql(
        TransferPointsDocument,
        { input: { fromMemberId: fresh.id, toMemberId: freshOther.id, points: 4, idempotencyKey: uniq('transfer') } },
        asFresh(t, c),
      ),
    check: (d) => expect(d.transferPoints).toMatchObject({ type: 'TRANSFER', points: -4, balanceAfter: 6 }),
  },
  {
    name: 'mutation mergeMembers',
    field: 'mergeMembers',
    expect: row(U, OK, F, F, F, F, F, /* staff */ OK, F, F, OK, F),
    prepare: freshMembers,
    send: (t, c) => gw.gql(MergeMembersDocument, { source: fresh.id, target: freshOther.id, key: uniq('merge') }, asFresh(t, c)),
    check: (d) => expect(d.mergeMembers).toMatchObject({ id: freshOther.id, balance: { available: 20 } }),
  },
  {
    name: 'mutation updateMember (itself)',
    field: 'updateMember',
    expect: row(U, OK, F, F, F, OK, F, /* staff */ OK, F, F, OK, F),
    prepare: freshMembers,
    send: (t, c) => gw.gql(UpdateMemberDocument, { input: { memberId: fresh.id, displayName: 'Renamed Member' } }, asFresh(t, c)),
    check: (d) => expect(d.updateMember).toMatchObject({ id: fresh.id, displayName: 'Renamed Member' }),
  },
  {
    name: 'mutation blockMember',
    field: 'blockMember',
    expect: row(U, OK, F, F, F, F, F, /* staff */ OK, F, F, OK, F),
    prepare: freshMembers,
    send: (t, c) => gw.gql(BlockMemberDocument, { memberId: fresh.id, reason: 'fraud check' }, asFresh(t, c)),
    check: (d) => expect(d.blockMember).toMatchObject({ id: fresh.id, status: 'BLOCKED' }),
  },
  {
    name: 'mutation unblockMember',
    field: 'unblockMember',
    expect: row(U, OK, F, F, F, F, F, /* staff */ OK, F, F, OK, F),
    prepare: async () => {
      await freshMembers();
      await gw.ok(BlockMemberDocument, { memberId: fresh.id, reason: 'fraud check' }, gw.adminToken);
    },
    send: (t, c) => gw.gql(UnblockMemberDocument, { memberId: fresh.id }, asFresh(t, c)),
    check: (d) => expect(d.unblockMember).toMatchObject({ id: fresh.id, status: 'ACTIVE' }),
  },
  {
    name: 'mutation eraseMember (itself)',
    field: 'eraseMember',
    expect: row(U, OK, F, F, F, OK, F, /* staff */ OK, F, F, OK, F),
    prepare: freshMembers,
    send: (t, c) => gw.gql(EraseMemberDocument, { memberId: fresh.id, key: uniq('erase') }, asFresh(t, c)),
    check: (d) => expect(d.eraseMember).toMatchObject({ id: fresh.id, status: 'ERASED', balance: { available: 0 } }),
  },
  {
    name: 'query exportMemberData (itself)',
    field: 'exportMemberData',
    expect: row(U, OK, F, F, F, OK, F, /* staff */ OK, F, F, OK, OK),
    prepare: freshMembers,
    send: (t, c) => gw.gql(ExportMemberDataDocument, { memberId: fresh.id }, asFresh(t, c)),
    check: (d) => expect(JSON.parse(d.exportMemberData).profile).toMatchObject({ id: fresh.id, email: fresh.email }),
  },
];
let fresh: TestMember;
let freshOther: TestMember;
/** Two members enrolled at A with 10 points each: the subjects of the servicing cells. */
async function freshMembers(): Promise<void> {
  [fresh, freshOther] = await Promise.all([newMember(gw, w.a), newMember(gw, w.a)]);
  await Promise.all([earn(gw, w.a, fresh, '10.00'), earn(gw, w.a, freshOther, '10.00')]);
}
/** "member" is the subject itself (its own token); everyone else calls as themselves. */
const asFresh = (token: string | null, caller: CallerName | BadToken) => (caller === 'member' ? fresh.token : token);
let lastVictimKey = '';
let linkee: TestMember;
let linkCode = '';
let lastEarnAtA = '';
let lastRedeemAtA = '';
let lastCodeAtA = '';
let lastPaymentAtA = '';
let lastSurvey = '';
let tiersAdded = 0;
const tillPayment = () => ({
  memberId: w.spender.id,
  points: 10,
  billAmount: '10.00',
  currencyCode: 'MYR',
  externalRef: uniq('till'),
  idempotencyKey: uniq('pay'),
});
const codeOf = async (redemptionId: string) => (await gw.sql<{ code: string }>(`SELECT code FROM redemption WHERE id = $1`, [redemptionId]))[0]!.code;
const period = () => ({ from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date(Date.now() + 3_600_000).toISOString() });

/** Reads write nothing whoever calls them: the snapshot is for mutations (and costs a query each way). */
const writes = (cell: Cell) => cell.name.startsWith('mutation ');

describe.each(CELLS.map((cell) => [cell.name, cell] as const))('%s', (_name, cell) => {
  it.each(CALLERS.map((caller) => [caller, cell.expect[caller]] as const))('%s → %s', async (caller, outcome) => {
    await cell.prepare?.();
    const before = outcome !== OK && writes(cell) ? await snapshot() : null;
    const r = await cell.send(w.tokens[caller], caller);
    if (outcome === OK) {
      expect(r.errors).toBeUndefined();
      expect(r.status).toBe(200);
      await cell.check?.(r.data, asChecked(caller), caller);
      return;
    }
    expect(r.errors).toHaveLength(1);
    expect(r.errors![0]!.extensions?.code).toBe(outcome);
    expect((r.errors![0] as { path?: string[] }).path).toEqual([cell.field]);
    // Refused means nothing of it in data, and nothing written anywhere.
    expect(r.data?.[cell.field] ?? null).toBeNull();
    if (before) expect(await snapshot()).toEqual(before);
  });

  it.each([...BAD_TOKENS])('%s → HTTP 401 UNAUTHENTICATED, nothing served, nothing written', async (bad) => {
    await cell.prepare?.();
    const before = writes(cell) ? await snapshot() : null;
    const r = await cell.send(w.tokens[bad], bad);
    expect(r.status).toBe(401);
    expect(r.errors?.map((e) => e.extensions?.code)).toEqual([U]);
    expect(r.data ?? null).toBeNull();
    if (before) expect(await snapshot()).toEqual(before);
  });
});

// ---------------------------------------------------------------------------------------------
// Subscriptions over graphql-ws: the same callers; a token that proves nothing closes the socket
// ---------------------------------------------------------------------------------------------

interface SubCell {
  name: string;
  field: string;
  expect: Record<CallerName, Outcome>;
  open(token: string | null, caller: CallerName | BadToken): LiveSubscription<any>;
  /** Events an allowed caller receives: replayed (after: "0") or, with trigger, live. */
  events: number | ((caller: CallerName) => number);
  trigger?(): Promise<void>;
  check(events: any[], caller: CallerName, actual: CallerName): void;
}

const SUB_CELLS: SubCell[] = [
  {
    name: 'subscription balanceChanged (personal fields in the payload follow consent)',
    field: 'balanceChanged',
    expect: row(U, OK, OK, OK, OK, OK, F, /* staff */ OK, OK, OK, OK, OK),
    open: (t, c) =>
      subscribe(liveClient(gw.wsUrl, c === 'member' ? w.privateMember.token : t), BalanceChangedPersonalDocument, { memberId: w.privateMember.id, after: '0' }),
    events: 1,
    check: (events, c, actual) => expectPrivateMember(events[0].balanceChanged.member, c, actual),
  },
  {
    name: 'subscription balanceChanged',
    field: 'balanceChanged',
    expect: row(U, OK, OK, OK, OK, OK, F, /* staff */ OK, OK, OK, OK, OK),
    open: (t) => subscribe(liveClient(gw.wsUrl, t), BalanceChangedDocument, { memberId: w.member.id, after: '0' }),
    events: 2,
    check: (events, c) => {
      expect(events.map((e) => e.balanceChanged.balance.available)).toEqual([10, 30]);
      // Nested object level: a partner sees every balance change but only its own transactions.
      const own: Partial<Record<CallerName, (string | null)[]>> = {
        admin: [w.txAtA, w.txAtB],
        member: [w.txAtA, w.txAtB],
        partnerA: [w.txAtA, null],
        partnerB: [null, w.txAtB],
        suspended: [null, null],
      };
      expect(events.map((e) => e.balanceChanged.transaction?.id ?? null)).toEqual(own[c]);
    },
  },
  {
    name: 'subscription tierChanged',
    field: 'tierChanged',
    expect: row(U, OK, OK, OK, OK, OK, F, /* staff */ OK, OK, OK, OK, OK),
    open: (t) => subscribe(liveClient(gw.wsUrl, t), TierChangedDocument, { memberId: w.member.id, after: '0' }),
    events: 1,
    check: (events) => expect(events[0].tierChanged).toMatchObject({ member: { id: w.member.id }, from: { name: 'Bronze' }, to: { name: 'Silver' } }),
  },
  {
    name: 'subscription challengeCompleted',
    field: 'challengeCompleted',
    expect: row(U, OK, OK, OK, OK, OK, F, /* staff */ OK, OK, OK, OK, OK),
    open: (t) => subscribe(liveClient(gw.wsUrl, t), ChallengeCompletedDocument, { memberId: w.member.id, after: '0' }),
    events: 1,
    check: (events) => expect(events[0].challengeCompleted).toMatchObject({ member: { id: w.member.id }, badgeName: 'Done', transaction: null }),
  },
  {
    // Object level: the achiever completed A's own challenge (its bonus a transaction at A), then
    // a coalition one. A partner follows the coalition's challenges and its own: B and the
    // suspended partner get only the coalition's. "member" is the achiever.
    name: "subscription challengeCompleted (A's challenge, then a coalition one)",
    field: 'challengeCompleted',
    expect: row(U, OK, OK, OK, OK, OK, F, /* staff */ OK, OK, OK, OK, OK),
    open: (t, c) => subscribe(liveClient(gw.wsUrl, c === 'member' ? w.achiever.token : t), ChallengeCompletedDocument, { memberId: w.achiever.id, after: '0' }),
    events: (c) => (c === 'partnerB' || c === 'suspended' ? 1 : 2),
    check: (events, c) => {
      const badges = events.map((e) => e.challengeCompleted.badgeName);
      if (c === 'partnerB' || c === 'suspended') return expect(badges).toEqual(['Done']);
      expect(badges).toEqual(['Regular', 'Done']);
      const completion = events[0].challengeCompleted;
      expect(completion).toMatchObject({ member: { id: w.achiever.id }, challenge: { id: w.ownChallengeA }, bonusPoints: 5 });
      expect(completion.transaction).toEqual({ type: 'BONUS', points: 5, breakdown: [{ source: 'CHALLENGE', points: 5, funder: 'PARTNER' }] });
    },
  },
  {
    name: 'subscription exchangeRateChanged (public)',
    field: 'exchangeRateChanged',
    expect: row(OK, OK, OK, OK, OK, OK, OK, /* staff */ OK, OK, OK, OK, OK),
    open: (t) => subscribe(liveClient(gw.wsUrl, t), ExchangeRateChangedDocument, { partnerId: w.victim.id }),
    events: 1,
    trigger: async () => {
      await gw.ok(SetExchangeRateDocument, { input: { partnerId: w.victim.id, earnRate: '3', burnRate: '0.01' } }, gw.adminToken);
    },
    check: (events) => expect(events[0].exchangeRateChanged).toMatchObject({ earnRate: '3', partner: { id: w.victim.id } }),
  },
];

async function until(done: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe.each(SUB_CELLS.map((cell) => [cell.name, cell] as const))('%s over graphql-ws', (_name, cell) => {
  it.each(CALLERS.map((caller) => [caller, cell.expect[caller]] as const))('%s → %s', async (caller, outcome) => {
    const sub = cell.open(w.tokens[caller], caller);
    try {
      if (outcome === OK) {
        if (cell.trigger) {
          await settle();
          await cell.trigger();
        }
        cell.check(await sub.waitFor(typeof cell.events === 'number' ? cell.events : cell.events(asChecked(caller))), asChecked(caller), caller);
        expect(sub.errors).toEqual([]);
        return;
      }
      const [error] = await sub.waitForError();
      expect(error!.extensions?.code).toBe(outcome);
      expect(sub.events).toEqual([]);
    } finally {
      await sub.stop();
    }
  });

  it.each([...BAD_TOKENS])('%s → socket closed 4403, nothing delivered', async (bad) => {
    const sub = cell.open(w.tokens[bad], bad);
    try {
      await until(() => sub.closed !== null);
      expect(sub.closed!.code).toBe(4403);
      expect(sub.events).toEqual([]);
    } finally {
      await sub.stop();
    }
  });
});

describe('the table', () => {
  it('has a cell for every Query, Mutation and Subscription field of the schema', async () => {
    const schema = await gatewaySchema();
    const roots = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].flatMap((t) => Object.keys(t?.getFields() ?? {}));
    const covered = new Set([...CELLS.map((c) => c.field), ...SUB_CELLS.map((c) => c.field)]);
    // A new operation needs its row here: who may call it, and what a refused call must not write.
    expect(
      roots.filter((f) => !covered.has(f)),
      'root fields with no cell in test/authorization.test.ts',
    ).toEqual([]);
  });

  it('checks "nothing written" for every mutation cell (they are the ones named "mutation …")', async () => {
    const mutations = new Set(Object.keys((await gatewaySchema()).getMutationType()!.getFields()));
    expect(CELLS.filter((c) => mutations.has(c.field) !== writes(c)).map((c) => c.name)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Object-level and token cases the table cannot express in one cell
// ---------------------------------------------------------------------------------------------

describe('partners write only their own objects, alias by alias', () => {
  it("in one mutation, B's own reversal goes through; the one of A's transaction is FORBIDDEN and writes nothing", async () => {
    const atA = (await earn(gw, w.a, w.shopper, '4.00')).id;
    const atB = (await earn(gw, w.b, w.shopper, '6.00')).id;
    const r = await gw.gql(
      AuthzTwoReversalsDocument,
      { own: { transactionId: atB, idempotencyKey: uniq('own') }, other: { transactionId: atA, idempotencyKey: uniq('other') } },
      w.b.apiKey,
    );
    // Both root fields are non-null, so the refusal of b nulls the whole data; a ran first and stands.
    expect(r.data).toBeNull();
    expect(r.errors?.map((e) => [e.extensions?.code, (e as { path?: string[] }).path])).toEqual([[F, ['b']]]);
    expect(await gw.sql(`SELECT points FROM ledger_transaction WHERE reverses_id = $1`, [atB])).toEqual([{ points: -6 }]);
    expect(await gw.sql(`SELECT id FROM ledger_transaction WHERE reverses_id = $1`, [atA])).toEqual([]);
  });
});

describe('a member token sees only its own member', () => {
  it('through aliases: a (itself) resolves, b (another member) is FORBIDDEN', async () => {
    const r = await gw.gql(AuthzTwoMembersDocument, { own: w.member.id, other: w.other.id }, w.member.token);
    expect(r.status).toBe(200);
    expect(r.data).toEqual({ a: { id: w.member.id }, b: null });
    expect(r.errors?.map((e) => [e.extensions?.code, (e as { path?: string[] }).path])).toEqual([[F, ['b']]]);
  });

  it('with nested selections: nothing below the refused alias leaks', async () => {
    const res = await fetchRaw(AuthzTwoMembersNestedDocument, { own: w.member.id, other: w.other.id }, w.member.token);
    const body = res.body as any;
    expect(body.data.b).toBeNull();
    expect(body.data.a.id).toBe(w.member.id);
    expect(body.data.a.balance.available).toBe(30);
    expect(body.data.a.transactions.edges.map((e: any) => e.node.member.id)).toEqual([w.member.id, w.member.id]);
    expect(body.errors.map((e: any) => [e.extensions.code, e.path])).toEqual([[F, ['b']]]);
    expect(res.text).not.toContain(w.other.email);
  });

  it('the same request from a partner resolves both', async () => {
    const r = await gw.ok(AuthzTwoMembersDocument, { own: w.member.id, other: w.other.id }, w.b.apiKey);
    expect(r).toEqual({ a: { id: w.member.id }, b: { id: w.other.id } });
  });

  it('one refused field does not fail the public fields beside it', async () => {
    const anon = await gw.gql(AuthzPublicAndMemberDocument, { id: w.member.id }, null);
    // The upsertTier cell may have added tiers above these.
    expect(anon.data).toMatchObject({
      viewer: 'anonymous',
      tiers: expect.arrayContaining([{ name: 'Bronze' }, { name: 'Silver' }, { name: 'Gold' }]),
      member: null,
    });
    expect(anon.errors?.map((e) => [e.extensions?.code, (e as { path?: string[] }).path])).toEqual([[U, ['member']]]);

    const other = await gw.gql(AuthzPublicAndMemberDocument, { id: w.member.id }, w.other.token);
    expect(other.data).toMatchObject({ viewer: `member:${w.other.id}`, member: null });
    expect(other.errors?.map((e) => [e.extensions?.code, (e as { path?: string[] }).path])).toEqual([[F, ['member']]]);
  });

  it('an id that exists nowhere is FORBIDDEN too (no oracle for which ids exist); a partner just gets null', async () => {
    const id = randomUUID();
    const r = await gw.gql(MemberBalanceDocument, { id }, w.member.token);
    expect(r.errors?.[0]?.extensions?.code).toBe(F);
    expect(await gw.ok(MemberBalanceDocument, { id }, w.a.apiKey)).toEqual({ member: null });
  });

  it('memberByEmail: its own email in any case resolves; another member’s or an unknown one is FORBIDDEN', async () => {
    const own = await gw.ok(MemberByEmailDocument, { email: ` ${w.member.email.toUpperCase()} ` }, w.member.token);
    expect(own.memberByEmail?.id).toBe(w.member.id);
    for (const email of [w.other.email, `${uniq('nobody')}@example.com`]) {
      const r = await gw.gql(MemberByEmailDocument, { email }, w.member.token);
      expect(r.errors?.[0]?.extensions?.code).toBe(F);
      expect(r.data?.memberByEmail ?? null).toBeNull();
    }
  });

  it('a member cannot earn points for itself: FORBIDDEN, balance unchanged', async () => {
    const before = await snapshot();
    const r = await gw.gql(EarnPointsDocument, { input: earnInput(w.member, '100.00', { partnerId: w.a.id }) }, w.member.token);
    expect(r.errors?.[0]?.extensions?.code).toBe(F);
    expect(await snapshot()).toEqual(before);
    expect(await balanceOf(gw, w.member.id)).toBe(30);
  });
});

describe('partners act only as themselves', () => {
  it('naming another partner in input.partnerId is FORBIDDEN and names the field', async () => {
    const r = await gw.gql(EarnPointsDocument, { input: earnInput(w.shopper, '5.00', { partnerId: w.a.id }) }, w.b.apiKey);
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: F, field: 'input.partnerId' });
  });

  it('naming itself is the same as omitting it', async () => {
    const r = await gw.ok(EarnPointsDocument, { input: earnInput(w.shopper, '5.00', { partnerId: w.b.id }) }, w.b.apiKey);
    expect(r.earnPoints.partner?.id).toBe(w.b.id);
  });

  it('an admin without partnerId gets BAD_USER_INPUT naming input.partnerId', async () => {
    const r = await gw.gql(EarnPointsDocument, { input: earnInput(w.shopper, '5.00') }, gw.adminToken);
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: BAD, field: 'input.partnerId' });
  });

  it('suspension is checked on every request: a reactivated partner earns again with the same key', async () => {
    const p = await newPartner(gw);
    const m = await newMember(gw, p);
    await gw.ok(SetPartnerStatusDocument, { partnerId: p.id, status: 'SUSPENDED' }, gw.adminToken);
    const refused = await gw.gql(EarnPointsDocument, { input: earnInput(m, '7.00') }, p.apiKey);
    expect(refused.errors?.[0]?.extensions?.code).toBe(SUSP);
    expect(await balanceOf(gw, m.id)).toBe(0);
    await gw.ok(SetPartnerStatusDocument, { partnerId: p.id, status: 'ACTIVE' }, gw.adminToken);
    expect((await earn(gw, p, m, '7.00')).points).toBe(7);
  });
});

describe('tokens', () => {
  it('revoking one key leaves the partner’s other keys working; revoking it again is false', async () => {
    expect((await gw.ok(ViewerDocument, {}, w.a.apiKey)).viewer).toBe(`partner:${w.a.slug}`);
    const prefix = w.tokens.revokedKey!.slice(4, 12);
    expect((await gw.ok(RevokePartnerApiKeyDocument, { prefix }, gw.adminToken)).revokePartnerApiKey).toBe(false);
  });

  it('the expired token is refused for its expiry alone: the same claims unexpired are accepted', async () => {
    const fresh = signMemberToken(await memberTokenSecret(), w.member.id, nowSeconds() + 600, w.a.id);
    expect((await gw.ok(ViewerDocument, {}, fresh)).viewer).toBe(`member:${w.member.id}`);
    const expired = await gw.gql(ViewerDocument, {}, w.tokens.expiredMemberToken);
    expect(expired.status).toBe(401);
    expect(expired.errors?.[0]?.extensions?.code).toBe(U);
  });

  it('a member token with another audience is refused', async () => {
    const token = jwt.sign({}, await memberTokenSecret(), {
      algorithm: 'HS256',
      subject: w.member.id,
      issuer: 'loyalty-gateway',
      audience: 'partner',
      expiresIn: 600,
    });
    const r = await gw.gql(ViewerDocument, {}, token);
    expect(r.status).toBe(401);
    expect(r.errors?.[0]?.extensions?.code).toBe(U);
  });

  it('an Authorization header that is not "Bearer <token>" is 401, not anonymous', async () => {
    for (const authorization of ['Basic dXNlcjpwYXNz', 'Bearer', `Token ${gw.adminToken}`]) {
      const res = await fetch(gw.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization },
        body: JSON.stringify({ query: '{ viewer }' }),
      });
      expect(res.status).toBe(401);
      const body = (await res.json()) as { data?: unknown; errors: { extensions: { code: string } }[] };
      expect(body.errors[0]!.extensions.code).toBe(U);
      expect(body.data ?? null).toBeNull();
    }
  });
});

/** The raw response text too, to prove what is not in it. */
async function fetchRaw(doc: DocumentNode, variables: unknown, token: string | null) {
  const res = await fetch(gw.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query: print(doc), variables }),
  });
  const text = await res.text();
  return { status: res.status, text, body: JSON.parse(text) as unknown };
}
