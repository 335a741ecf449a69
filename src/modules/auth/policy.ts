// Authorization rules in one place, so every resolver asks the same questions the same way.
import { DomainError, ErrorCode, badInput, forbidden, unauthenticated } from '../../errors/domain-error';
import { StaffRole } from './staff-role';
import type { Caller, StaffCaller, Viewer } from './viewer';

// ---------------------------------------------------------------------------------------------
// Staff: capability → roles. The one table saying which staff role may do what. OWNER (and the
// break-glass ADMIN_TOKEN) holds every capability; AUDITOR holds every read and no write, by
// construction below, so a new read is visible to auditors and a new write is not. A new
// operation adds its capability here (or reuses one) and calls requireStaff / a *OrStaff check.
// ---------------------------------------------------------------------------------------------

export enum Capability {
  /** Program configuration as operators see it: API key lists, inactive rules and rewards, staff-only previews. */
  READ_PROGRAM = 'READ_PROGRAM',
  /** Members by id or card, balances, history, live updates; personal fields masked without READ_PERSONAL_DATA. */
  READ_MEMBERS = 'READ_MEMBERS',
  /** Members' email, name and birth date, unmasked, and lookups by email (each read audited). */
  READ_PERSONAL_DATA = 'READ_PERSONAL_DATA',
  READ_SETTLEMENT = 'READ_SETTLEMENT',
  /** The program's metrics (programMetrics) coalition-wide or for any partner. */
  READ_METRICS = 'READ_METRICS',
  READ_AUDIT_LOG = 'READ_AUDIT_LOG',
  READ_STAFF = 'READ_STAFF',
  /** GET /metrics on the API port (Prometheus), from outside this machine. */
  READ_SERVER_METRICS = 'READ_SERVER_METRICS',
  /** Staff accounts: create, set roles, deactivate. */
  MANAGE_STAFF = 'MANAGE_STAFF',
  /** Partners: onboarding, status, API keys. */
  MANAGE_PARTNERS = 'MANAGE_PARTNERS',
  MANAGE_RATES = 'MANAGE_RATES',
  /** Rewards, earn rules, punch cards, membership plans, challenges, surveys, the tier ladder. */
  MANAGE_CATALOG = 'MANAGE_CATALOG',
  /** Program settings and partners' lifecycle settings. */
  MANAGE_SETTINGS = 'MANAGE_SETTINGS',
  /** Webhook endpoints: create, switch on and off, redeliver. */
  MANAGE_WEBHOOKS = 'MANAGE_WEBHOOKS',
  /** Acting for members: enrol, earn or redeem on a partner's behalf, refunds, memberships, member tokens, consents. */
  SERVE_MEMBERS = 'SERVE_MEMBERS',
  /** Closing a settlement period for good (closeSettlementPeriod): the month-end close. */
  CLOSE_SETTLEMENT = 'CLOSE_SETTLEMENT',
  /** Members and earns files uploaded on a partner's behalf (a joining partner's migration, end-of-day files). */
  IMPORT_FILES = 'IMPORT_FILES',
}

const { PROGRAM_MANAGER, FINANCE, SUPPORT } = StaffRole;

/** read: AUDITOR holds it too. roles: who else besides OWNER. */
const CAPABILITIES: Record<Capability, { read: boolean; roles: readonly StaffRole[] }> = {
  [Capability.READ_PROGRAM]: { read: true, roles: [PROGRAM_MANAGER, FINANCE, SUPPORT] },
  [Capability.READ_MEMBERS]: { read: true, roles: [PROGRAM_MANAGER, FINANCE, SUPPORT] },
  [Capability.READ_PERSONAL_DATA]: { read: true, roles: [SUPPORT] },
  [Capability.READ_SETTLEMENT]: { read: true, roles: [FINANCE] },
  [Capability.READ_METRICS]: { read: true, roles: [PROGRAM_MANAGER, FINANCE] },
  [Capability.READ_AUDIT_LOG]: { read: true, roles: [] },
  [Capability.READ_STAFF]: { read: true, roles: [] },
  [Capability.READ_SERVER_METRICS]: { read: true, roles: [] },
  [Capability.MANAGE_STAFF]: { read: false, roles: [] },
  [Capability.MANAGE_PARTNERS]: { read: false, roles: [PROGRAM_MANAGER] },
  [Capability.MANAGE_RATES]: { read: false, roles: [PROGRAM_MANAGER] },
  [Capability.MANAGE_CATALOG]: { read: false, roles: [PROGRAM_MANAGER] },
  [Capability.MANAGE_SETTINGS]: { read: false, roles: [PROGRAM_MANAGER] },
  [Capability.MANAGE_WEBHOOKS]: { read: false, roles: [PROGRAM_MANAGER] },
  [Capability.SERVE_MEMBERS]: { read: false, roles: [SUPPORT] },
  [Capability.CLOSE_SETTLEMENT]: { read: false, roles: [FINANCE] },
  [Capability.IMPORT_FILES]: { read: false, roles: [PROGRAM_MANAGER] },
};

/** The roles holding a capability (README's staff roles table is this, printed). */
export function rolesWith(capability: Capability): StaffRole[] {
  const { read, roles } = CAPABILITIES[capability];
  return [StaffRole.OWNER, ...roles, ...(read ? [StaffRole.AUDITOR] : [])];
}

export function staffCan(viewer: Viewer, capability: Capability): boolean {
  if (viewer.kind !== 'staff') return false;
  const allowed = rolesWith(capability);
  return viewer.roles.some((r) => allowed.includes(r));
}

export function requireCaller(viewer: Viewer): Caller {
  if (viewer.kind === 'anonymous') throw unauthenticated();
  return viewer;
}

/** Staff holding the capability; anyone else is refused. */
export function requireStaff(viewer: Viewer, capability: Capability): StaffCaller {
  const caller = requireCaller(viewer);
  if (caller.kind === 'staff' && staffCan(caller, capability)) return caller;
  throw forbidden(
    caller.kind === 'staff'
      ? `Your staff roles do not allow this (it needs one of ${rolesWith(capability).join(', ')})`
      : "Only the coalition's staff may do this",
  );
}

/**
 * An operation not yet given a capability: OWNER only (the break-glass token or an OWNER staff
 * user), until it is mapped in the table above.
 */
export function requireOwner(viewer: Viewer): StaffCaller {
  const caller = requireCaller(viewer);
  if (caller.kind === 'staff' && caller.roles.includes(StaffRole.OWNER)) return caller;
  throw forbidden('Only an owner of the coalition may do this');
}

/** @deprecated name kept for code written before staff roles: OWNER only. Map the operation to a capability instead. */
export const requireAdmin = requireOwner;

export type PartnerOrStaff = Extract<Caller, { kind: 'staff' | 'partner' }>;

/** A partner (for itself), or staff holding the capability. */
export function requirePartnerOrStaff(viewer: Viewer, capability: Capability): PartnerOrStaff {
  const caller = requireCaller(viewer);
  if (caller.kind === 'partner') return caller;
  if (caller.kind === 'staff') return requireStaff(caller, capability);
  throw forbidden("Only a partner or the coalition's staff may do this");
}

/** A partner key may write only while its partner is active; staff need the capability. */
export function requireActivePartnerOrStaff(viewer: Viewer, capability: Capability): PartnerOrStaff {
  const caller = requirePartnerOrStaff(viewer, capability);
  if (caller.kind === 'partner' && caller.suspended) throw new DomainError(ErrorCode.PARTNER_SUSPENDED, 'This partner is suspended');
  return caller;
}

/**
 * The partner a write acts for. A partner key acts as itself (an input naming another partner
 * is refused); staff (holding the capability) must name the partner they act on behalf of.
 */
export function actingPartnerId(viewer: Viewer, capability: Capability, inputPartnerId: string | null | undefined, field = 'input.partnerId'): string {
  const caller = requirePartnerOrStaff(viewer, capability);
  if (caller.kind === 'partner') {
    if (inputPartnerId && inputPartnerId !== caller.partnerId) {
      throw forbidden(`${field}: a partner acts only as itself; omit it or name your own partner`, field);
    }
    if (caller.suspended) throw new DomainError(ErrorCode.PARTNER_SUSPENDED, 'This partner is suspended', field);
    return caller.partnerId;
  }
  if (!inputPartnerId) throw badInput(field, 'staff must name the partner they act for');
  return inputPartnerId;
}

/** linkMember: a partner links itself. Staff have no partner to link (and need no link to act for a member). */
export function requireLinkingPartner(viewer: Viewer): Extract<Caller, { kind: 'partner' }> {
  const caller = requireCaller(viewer);
  if (caller.kind === 'partner' && caller.suspended) throw new DomainError(ErrorCode.PARTNER_SUSPENDED, 'This partner is suspended');
  if (caller.kind !== 'partner') throw forbidden('Only a partner links a member (with the code the member gave it); staff need no link');
  return caller;
}

/** Whether the member has linked the partner: answered from the stored links, never from the request. */
export type LinkCheck = (memberId: string, partnerId: string) => Promise<boolean>;

/**
 * A partner acts for a member (issues it a member token, spends its points, ends its membership)
 * only once linked to it: it enrolled the member, or the member gave it a link code. Admins
 * always may; a member acts only for itself, which the caller checks.
 */
export async function requireLinkedPartner(caller: Caller, memberId: string, isLinked: LinkCheck, field = 'memberId'): Promise<void> {
  if (caller.kind !== 'partner' || (await isLinked(memberId, caller.partnerId))) return;
  throw forbidden(
    `${field}: this member has not linked your partner; the member asks for a code (createPartnerLinkCode) and you redeem it with linkMember`,
    field,
  );
}

/** A link code is the member's own proof: only the member itself, with a member token, asks for one. */
export function requireMemberItself(viewer: Viewer, memberId: string, field = 'memberId'): void {
  const caller = requireCaller(viewer);
  if (caller.kind !== 'member') throw forbidden('Only the member itself (with a member token) may ask for a link code', field);
  if (caller.memberId !== memberId) throw forbidden('A member may only ask for its own link code', field);
}

/**
 * linkedPartners: the member itself and staff see every linked partner; a partner learns only
 * whether it is linked itself (the partner it returns), never which others the member uses.
 * Returns the partner to narrow the answer to, or null for all.
 */
export function linkedPartnersScope(viewer: Viewer, memberId: string): string | null {
  requireMemberAccess(viewer, memberId);
  return viewer.kind === 'partner' ? viewer.partnerId : null;
}

/**
 * Members see themselves; partners see every member (they serve them: id, card, tier, balance;
 * personal fields as personalDataAccess says); staff with READ_MEMBERS.
 */
export function canSeeMember(viewer: Viewer, memberId: string): boolean {
  return staffCan(viewer, Capability.READ_MEMBERS) || viewer.kind === 'partner' || (viewer.kind === 'member' && viewer.memberId === memberId);
}

export function requireMemberAccess(viewer: Viewer, memberId: string): void {
  const caller = requireCaller(viewer);
  if (!canSeeMember(caller, memberId))
    throw forbidden(caller.kind === 'member' ? 'A member may only see itself' : 'Your staff roles do not allow reading members');
}

/**
 * After a lookup by something other than the id (an email): a member may find only itself, and is
 * refused alike whether the other member exists or not.
 */
export function requireFoundMemberAccess(caller: Caller, foundMemberId: string | null | undefined): void {
  if (caller.kind === 'member' && foundMemberId !== caller.memberId) throw forbidden('A member may only see itself');
}

/**
 * The partner itself or staff (READ_PROGRAM): who also sees a partner's inactive earn rules and unlisted
 * rewards. partnerId null (the coalition's own): staff only.
 */
export function managesPartner(viewer: Viewer, partnerId: string | null): boolean {
  return staffCan(viewer, Capability.READ_PROGRAM) || (viewer.kind === 'partner' && viewer.partnerId === partnerId);
}

/** Transactions: a partner sees only those made at itself. null = no restriction. */
export function transactionPartnerScope(viewer: Viewer): string | null {
  return viewer.kind === 'partner' ? viewer.partnerId : null;
}

/**
 * A membership's payment reference: the partner that recorded it, and staff. Not other partners,
 * and not the member token either — partners' apps hold those.
 */
export function canSeePaymentRef(viewer: Viewer, recordedByPartnerId: string | null): boolean {
  return staffCan(viewer, Capability.READ_MEMBERS) || (viewer.kind === 'partner' && recordedByPartnerId !== null && viewer.partnerId === recordedByPartnerId);
}

/**
 * A member's challenges (progress, badges, completions): a partner sees the coalition's and its
 * own, not other partners' (their spend and bonuses are theirs). The partner to narrow to, or
 * null for no restriction (the member itself, staff).
 */
export function challengePartnerScope(viewer: Viewer): string | null {
  return viewer.kind === 'partner' ? viewer.partnerId : null;
}

/** One transaction reached from elsewhere (a live event, a challenge bonus), by the same rule. */
export function canSeeTransaction(viewer: Viewer, tx: { partnerId: string | null }): boolean {
  return !(viewer.kind === 'partner' && tx.partnerId !== viewer.partnerId);
}

/**
 * A redemption code at the till: the partner whose reward it is, and staff (READ_MEMBERS; using
 * one also needs SERVE_MEMBERS, checked by the caller). For anyone else the code does not exist
 * (redemptionByCode answers null, fulfillRedemption NOT_FOUND), so codes cannot be probed.
 */
export function canHonourRedemption(viewer: Viewer, rewardPartnerId: string): boolean {
  return staffCan(viewer, Capability.READ_MEMBERS) || (viewer.kind === 'partner' && viewer.partnerId === rewardPartnerId);
}

/** Settlement: staff (READ_SETTLEMENT) see every partner; a partner only its own line and its own row and column. */
export function settlementScope(viewer: Viewer): string | null {
  const caller = requirePartnerOrStaff(viewer, Capability.READ_SETTLEMENT);
  return caller.kind === 'partner' ? caller.partnerId : null;
}

/** programMetrics: staff (READ_METRICS) any partner or the coalition; a partner only itself. The partner to answer for, or null (coalition-wide). */
export function metricsScope(viewer: Viewer, partnerId: string | null | undefined): string | null {
  const caller = requirePartnerOrStaff(viewer, Capability.READ_METRICS);
  if (caller.kind === 'staff') return partnerId ?? null;
  if (partnerId && partnerId !== caller.partnerId) throw forbidden('partnerId: a partner sees only its own metrics', 'partnerId');
  return caller.partnerId;
}

/** submitSurveyResponse: the member itself (its own token), or support staff on its behalf. */
export function requireSurveyRespondent(viewer: Viewer, memberId: string): Caller {
  return requireMemberOrStaff(viewer, memberId, 'input.memberId');
}

// ---------------------------------------------------------------------------------------------
// Personal data and consent (README "Privacy")
// ---------------------------------------------------------------------------------------------

/**
 * Whose view of a member's personal fields (email, displayName, birthDate) is unmasked:
 * - OWN: the member itself;
 * - STAFF: staff with READ_PERSONAL_DATA (each read is audited);
 * - IF_CONSENTED: a partner, if the member enrolled there or consented to it (looked up by the caller);
 * - MASKED: everyone else (staff without READ_PERSONAL_DATA).
 */
export type PersonalDataRule = 'OWN' | 'STAFF' | 'IF_CONSENTED' | 'MASKED';

export function personalDataRule(viewer: Viewer, memberId: string): PersonalDataRule {
  if (viewer.kind === 'member') return viewer.memberId === memberId ? 'OWN' : 'MASKED';
  if (viewer.kind === 'partner') return 'IF_CONSENTED';
  return staffCan(viewer, Capability.READ_PERSONAL_DATA) ? 'STAFF' : 'MASKED';
}

/**
 * memberByEmail: a member finds only itself (refused alike otherwise); a partner finds only members
 * it may see (the caller answers null for the others, so it cannot probe); staff need
 * READ_PERSONAL_DATA (an email is personal data).
 */
export function requireEmailLookup(viewer: Viewer): Caller {
  const caller = requireCaller(viewer);
  if (caller.kind === 'staff') requireStaff(caller, Capability.READ_PERSONAL_DATA);
  return caller;
}

/** memberByCard (how a till identifies a member): partners, staff reading members, and a member finding itself (the caller checks). */
export function requireCardLookup(viewer: Viewer): Caller {
  const caller = requireCaller(viewer);
  if (caller.kind === 'staff') requireStaff(caller, Capability.READ_MEMBERS);
  return caller;
}

/** grantPartnerConsent / revokePartnerConsent: the member itself, or staff serving members. */
export function requireConsentChange(viewer: Viewer, memberId: string, field = 'memberId'): Caller {
  const caller = requireCaller(viewer);
  if (caller.kind === 'member' && caller.memberId === memberId) return caller;
  if (caller.kind === 'staff') return requireStaff(caller, Capability.SERVE_MEMBERS);
  throw forbidden(caller.kind === 'member' ? 'A member may only change its own consents' : 'Only the member itself or support staff change consents', field);
}

/**
 * Member.consents: the member itself and staff see every consent; a partner only its own (the
 * partner to narrow to), never which other partners the member shares data with.
 */
export function consentsScope(viewer: Viewer, memberId: string): string | null {
  requireMemberAccess(viewer, memberId);
  return viewer.kind === 'partner' ? viewer.partnerId : null;
}

// ---------------------------------------------------------------------------------------------
// Webhooks
// ---------------------------------------------------------------------------------------------

/**
 * Who a new webhook endpoint belongs to: a partner's key, itself (an input naming another partner
 * is refused); staff (MANAGE_WEBHOOKS), the partner they name or, naming none, the coalition
 * (null), whose endpoints receive every event.
 */
export function webhookEndpointOwner(viewer: Viewer, inputPartnerId: string | null | undefined): string | null {
  const caller = requireActivePartnerOrStaff(viewer, Capability.MANAGE_WEBHOOKS);
  if (caller.kind === 'staff') return inputPartnerId ?? null;
  return actingPartnerId(caller, Capability.MANAGE_WEBHOOKS, inputPartnerId);
}

/**
 * Listing endpoints: a partner sees its own (naming another partner is refused); staff
 * (READ_PROGRAM) see the named partner's, or every endpoint when they name none. undefined: no restriction.
 */
export function webhookEndpointsScope(viewer: Viewer, partnerId: string | null | undefined): string | undefined {
  const caller = requirePartnerOrStaff(viewer, Capability.READ_PROGRAM);
  if (caller.kind === 'staff') return partnerId ?? undefined;
  if (partnerId && partnerId !== caller.partnerId) throw forbidden('partnerId: a partner sees only its own webhook endpoints', 'partnerId');
  return caller.partnerId;
}

/** One endpoint, its deliveries, switching it and redelivering: its partner, or staff (the coalition's: staff only). */
export function requireWebhookEndpointAccess(viewer: Viewer, endpoint: { partnerId: string | null }, field: string, write: boolean): PartnerOrStaff {
  const caller = write ? requireActivePartnerOrStaff(viewer, Capability.MANAGE_WEBHOOKS) : requirePartnerOrStaff(viewer, Capability.READ_PROGRAM);
  if (caller.kind === 'partner' && endpoint.partnerId !== caller.partnerId)
    throw forbidden(`${field}: a partner manages only its own webhook endpoints`, field);
  return caller;
}

// ---- Member servicing (issue 17): SUPPORT staff (and OWNER), and the member itself where the
// issue says so. AUDITOR reads (exportMemberData) but changes nothing.

/** blockMember, unblockMember, mergeMembers: staff serving members. */
export function requireMemberServicing(viewer: Viewer): void {
  requireStaff(viewer, Capability.SERVE_MEMBERS);
}

/**
 * adjustPoints: staff serving members. `capped`: the caller's adjustments are limited to the
 * program's supportAdjustmentLimit per adjustment (SUPPORT staff); OWNER (and the break-glass
 * token) is not.
 */
export function requirePointsAdjustment(viewer: Viewer): { capped: boolean } {
  const staff = requireStaff(viewer, Capability.SERVE_MEMBERS);
  return { capped: !staff.roles.includes(StaffRole.OWNER) };
}

/**
 * updateMember, eraseMember (SERVE_MEMBERS), exportMemberData (READ_PERSONAL_DATA): the member
 * itself (its own token) or staff holding the capability. Not partners.
 */
export function requireMemberOrStaff(viewer: Viewer, memberId: string, field = 'memberId', capability = Capability.SERVE_MEMBERS): Caller {
  const caller = requireCaller(viewer);
  if (caller.kind === 'member' && caller.memberId === memberId) return caller;
  if (caller.kind === 'staff') return requireStaff(caller, capability);
  throw forbidden(
    caller.kind === 'member' ? `${field}: a member may only act on itself` : `${field}: only the member itself or coalition staff may do this`,
    field,
  );
}

/** transferPoints: the sending member (its own token), or staff acting on its request. */
export function requireTransferSender(viewer: Viewer, fromMemberId: string): Caller {
  return requireMemberOrStaff(viewer, fromMemberId, 'input.fromMemberId');
}

/**
 * Exports of transactions: a partner its own (naming another partner is refused); staff reading
 * settlement (finance) all, or the partner they name. Returns the partner to narrow to, or null for all.
 */
export function exportPartnerScope(viewer: Viewer, partnerId: string | null): string | null {
  const caller = requirePartnerOrStaff(viewer, Capability.READ_SETTLEMENT);
  if (caller.kind === 'staff') return partnerId;
  if (partnerId && partnerId !== caller.partnerId)
    throw forbidden('partnerId: a partner exports only its own data; omit it or name your own partner', 'partnerId');
  return caller.partnerId;
}

/** Imports write as the partner (members, opening points, earns): the same rule as any write for a partner. */
export function importPartner(viewer: Viewer, partnerId: string | null): string {
  return actingPartnerId(viewer, Capability.IMPORT_FILES, partnerId, 'partnerId');
}

/** Reading import jobs: a partner (its own), staff reading the program's configuration. */
export function requireImportReader(viewer: Viewer): PartnerOrStaff {
  return requirePartnerOrStaff(viewer, Capability.READ_PROGRAM);
}

/** An import job: its partner, and staff (READ_PROGRAM). For anyone else it does not exist. */
export function canSeeImportJob(viewer: Viewer, jobPartnerId: string): boolean {
  return staffCan(viewer, Capability.READ_PROGRAM) || (viewer.kind === 'partner' && viewer.partnerId === jobPartnerId);
}
