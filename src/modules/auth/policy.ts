// Authorization rules in one place, so every resolver asks the same questions the same way.
import { DomainError, ErrorCode, badInput, forbidden, unauthenticated } from '../../errors/domain-error';
import type { Caller, Viewer } from './viewer';

export function requireCaller(viewer: Viewer): Caller {
  if (viewer.kind === 'anonymous') throw unauthenticated();
  return viewer;
}

export function requireAdmin(viewer: Viewer): void {
  if (requireCaller(viewer).kind !== 'admin') throw forbidden('Only a coalition admin may do this');
}

export function requirePartnerOrAdmin(viewer: Viewer): Extract<Caller, { kind: 'admin' | 'partner' }> {
  const caller = requireCaller(viewer);
  if (caller.kind === 'member') throw forbidden('Only a partner or an admin may do this');
  return caller;
}

/** A partner key may write only while its partner is active; admins always may. */
export function requireActivePartnerOrAdmin(viewer: Viewer): Extract<Caller, { kind: 'admin' | 'partner' }> {
  const caller = requirePartnerOrAdmin(viewer);
  if (caller.kind === 'partner' && caller.suspended) throw new DomainError(ErrorCode.PARTNER_SUSPENDED, 'This partner is suspended');
  return caller;
}

/**
 * The partner a write acts for. A partner key acts as itself (an input naming another partner
 * is refused); an admin must name the partner it acts on behalf of.
 */
export function actingPartnerId(viewer: Viewer, inputPartnerId: string | null | undefined, field = 'input.partnerId'): string {
  const caller = requirePartnerOrAdmin(viewer);
  if (caller.kind === 'partner') {
    if (inputPartnerId && inputPartnerId !== caller.partnerId) {
      throw forbidden(`${field}: a partner acts only as itself; omit it or name your own partner`, field);
    }
    if (caller.suspended) throw new DomainError(ErrorCode.PARTNER_SUSPENDED, 'This partner is suspended', field);
    return caller.partnerId;
  }
  if (!inputPartnerId) throw badInput(field, 'an admin must name the partner it acts for');
  return inputPartnerId;
}

/** linkMember: a partner links itself. An admin has no partner to link (and needs no link to act for a member). */
export function requireLinkingPartner(viewer: Viewer): Extract<Caller, { kind: 'partner' }> {
  const caller = requireActivePartnerOrAdmin(viewer);
  if (caller.kind === 'admin') throw forbidden('Only a partner links a member (with the code the member gave it); an admin needs no link');
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
 * linkedPartners: the member itself and admins see every linked partner; a partner learns only
 * whether it is linked itself (the partner it returns), never which others the member uses.
 * Returns the partner to narrow the answer to, or null for all.
 */
export function linkedPartnersScope(viewer: Viewer, memberId: string): string | null {
  requireMemberAccess(viewer, memberId);
  return viewer.kind === 'partner' ? viewer.partnerId : null;
}

/** Members see themselves; partners and admins see every member (they serve them). */
export function canSeeMember(viewer: Viewer, memberId: string): boolean {
  return viewer.kind === 'admin' || viewer.kind === 'partner' || (viewer.kind === 'member' && viewer.memberId === memberId);
}

export function requireMemberAccess(viewer: Viewer, memberId: string): void {
  const caller = requireCaller(viewer);
  if (!canSeeMember(caller, memberId)) throw forbidden('A member may only see itself');
}

/**
 * After a lookup by something other than the id (an email): a member may find only itself, and is
 * refused alike whether the other member exists or not.
 */
export function requireFoundMemberAccess(caller: Caller, foundMemberId: string | null | undefined): void {
  if (caller.kind === 'member' && foundMemberId !== caller.memberId) throw forbidden('A member may only see itself');
}

/**
 * The partner itself or an admin: who also sees a partner's inactive earn rules and unlisted
 * rewards. partnerId null (the coalition's own): admins only.
 */
export function managesPartner(viewer: Viewer, partnerId: string | null): boolean {
  return viewer.kind === 'admin' || (viewer.kind === 'partner' && viewer.partnerId === partnerId);
}

/** Transactions: a partner sees only those made at itself. null = no restriction. */
export function transactionPartnerScope(viewer: Viewer): string | null {
  return viewer.kind === 'partner' ? viewer.partnerId : null;
}

/**
 * A membership's payment reference: the partner that recorded it, and admins. Not other partners,
 * and not the member token either — partners' apps hold those.
 */
export function canSeePaymentRef(viewer: Viewer, recordedByPartnerId: string | null): boolean {
  return viewer.kind === 'admin' || (viewer.kind === 'partner' && recordedByPartnerId !== null && viewer.partnerId === recordedByPartnerId);
}

/**
 * A member's challenges (progress, badges, completions): a partner sees the coalition's and its
 * own, not other partners' (their spend and bonuses are theirs). The partner to narrow to, or
 * null for no restriction (the member itself, admins).
 */
export function challengePartnerScope(viewer: Viewer): string | null {
  return viewer.kind === 'partner' ? viewer.partnerId : null;
}

/** One transaction reached from elsewhere (a live event, a challenge bonus), by the same rule. */
export function canSeeTransaction(viewer: Viewer, tx: { partnerId: string | null }): boolean {
  return !(viewer.kind === 'partner' && tx.partnerId !== viewer.partnerId);
}

/**
 * A redemption code at the till: the partner whose reward it is, and admins. For anyone else the
 * code does not exist (redemptionByCode answers null, fulfillRedemption NOT_FOUND), so codes
 * cannot be probed.
 */
export function canHonourRedemption(viewer: Viewer, rewardPartnerId: string): boolean {
  return viewer.kind === 'admin' || (viewer.kind === 'partner' && viewer.partnerId === rewardPartnerId);
}

/** Settlement: admins see every partner; a partner only its own line and its own row and column. */
export function settlementScope(viewer: Viewer): string | null {
  const caller = requirePartnerOrAdmin(viewer);
  return caller.kind === 'partner' ? caller.partnerId : null;
}

/**
 * Who a new webhook endpoint belongs to: a partner's key, itself (an input naming another partner
 * is refused); an admin, the partner it names or, naming none, the coalition (null), whose
 * endpoints receive every event.
 */
export function webhookEndpointOwner(viewer: Viewer, inputPartnerId: string | null | undefined): string | null {
  const caller = requireActivePartnerOrAdmin(viewer);
  if (caller.kind === 'admin') return inputPartnerId ?? null;
  return actingPartnerId(caller, inputPartnerId);
}

/**
 * Listing endpoints: a partner sees its own (naming another partner is refused); an admin sees
 * the named partner's, or every endpoint when it names none. undefined: no restriction.
 */
export function webhookEndpointsScope(viewer: Viewer, partnerId: string | null | undefined): string | undefined {
  const caller = requirePartnerOrAdmin(viewer);
  if (caller.kind === 'admin') return partnerId ?? undefined;
  if (partnerId && partnerId !== caller.partnerId) throw forbidden('partnerId: a partner sees only its own webhook endpoints', 'partnerId');
  return caller.partnerId;
}

/** One endpoint, its deliveries, switching it and redelivering: its partner, or an admin (the coalition's: admins only). */
export function requireWebhookEndpointAccess(viewer: Viewer, endpoint: { partnerId: string | null }, field: string, write: boolean): void {
  const caller = write ? requireActivePartnerOrAdmin(viewer) : requirePartnerOrAdmin(viewer);
  if (caller.kind === 'partner' && endpoint.partnerId !== caller.partnerId)
    throw forbidden(`${field}: a partner manages only its own webhook endpoints`, field);
}

// ---- Member servicing (issue 17). Each permission is one named function; staff roles (SUPPORT,
// AUDITOR, …) are mapped onto them where staff accounts land. Until then: admins, and the member
// itself where the issue says so.

/** blockMember, unblockMember, mergeMembers: the operator's staff. */
export function requireMemberServicing(viewer: Viewer): void {
  if (requireCaller(viewer).kind !== 'admin') throw forbidden('Only coalition staff may service members (block, unblock, merge)');
}

/**
 * adjustPoints: the operator's staff. `capped`: the caller's adjustments are limited to the
 * program's supportAdjustmentLimit per adjustment (support staff); the admin token is not.
 */
export function requirePointsAdjustment(viewer: Viewer): { capped: boolean } {
  if (requireCaller(viewer).kind !== 'admin') throw forbidden('Only coalition staff may adjust points');
  return { capped: false };
}

/** updateMember, eraseMember, exportMemberData: the member itself (its own token) or staff. Not partners. */
export function requireMemberOrStaff(viewer: Viewer, memberId: string, field = 'memberId'): Caller {
  const caller = requireCaller(viewer);
  if (caller.kind === 'admin') return caller;
  if (caller.kind === 'member' && caller.memberId === memberId) return caller;
  throw forbidden(
    caller.kind === 'member' ? `${field}: a member may only act on itself` : `${field}: only the member itself or coalition staff may do this`,
    field,
  );
}

/** transferPoints: the sending member (its own token), or staff acting on its request. */
export function requireTransferSender(viewer: Viewer, fromMemberId: string): Caller {
  return requireMemberOrStaff(viewer, fromMemberId, 'input.fromMemberId');
}
