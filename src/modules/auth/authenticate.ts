// Authorization header → Viewer. A missing header is anonymous; a header that does not prove
// an identity is refused outright (UNAUTHENTICATED) rather than silently downgraded.
import { createHash, timingSafeEqual } from 'node:crypto';
import { unauthenticated } from '../../errors/domain-error';
import { API_KEY_PREFIX, ApiKeyOwner, ApiKeyService } from './api-key.service';
import { MemberTokenService } from './member-token.service';
import { STAFF_TOKEN_PREFIX, StaffSessionService } from './staff-session.service';
import { BREAK_GLASS, Viewer } from './viewer';

function sameSecret(a: string, b: string): boolean {
  // Hash first so the comparison is constant-time whatever the lengths.
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/** What the authenticator reads of a token's member: its status, and whatever else the caller wants primed. */
export interface TokenMember {
  id: string;
  status: string;
}

export class Authenticator<M extends TokenMember = TokenMember> {
  constructor(
    private readonly adminToken: string,
    private readonly apiKeys: ApiKeyService,
    private readonly memberTokens: MemberTokenService,
    private readonly staffSessions: StaffSessionService,
    /** The token's member (null: no such member): a merged or erased member's tokens stop working. */
    private readonly memberOf: (memberId: string) => Promise<M | null> = async () => null,
  ) {}

  async authenticate(authorization: string | undefined | null): Promise<Viewer> {
    return (await this.identify(authorization)).viewer;
  }

  /**
   * The viewer, and for a member token the member row read to check it (one primary-key read; the
   * request's member loader is primed with it, so a member reading itself costs no more).
   */
  async identify(authorization: string | undefined | null): Promise<{ viewer: Viewer; member: M | null }> {
    const viewer = await this.viewerOf(authorization);
    if (viewer.kind !== 'member') return { viewer, member: null };
    return { viewer, member: await this.requireOpenMember(viewer.memberId) };
  }

  private async viewerOf(authorization: string | undefined | null): Promise<Viewer> {
    if (authorization === undefined || authorization === null || authorization.trim() === '') return { kind: 'anonymous' };
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match) throw unauthenticated('Authorization must be "Bearer <token>"');
    const token = match[1]!;
    if (sameSecret(token, this.adminToken)) return BREAK_GLASS;
    if (token.startsWith(STAFF_TOKEN_PREFIX)) {
      const owner = await this.staffSessions.findOwner(token);
      if (!owner) throw unauthenticated(STAFF_SESSION_ENDED);
      return { kind: 'staff', staffUserId: owner.staffUserId, roles: owner.roles, sessionExpiresAt: owner.expiresAt };
    }
    if (token.startsWith(API_KEY_PREFIX)) {
      const owner = await this.apiKeys.findOwner(token);
      if (!owner) throw unauthenticated(KEY_ENDED);
      this.apiKeys.noteUse(owner.apiKeyId);
      return partnerViewer(owner);
    }
    const claims = this.memberTokens.verify(token);
    if (!claims) throw unauthenticated(TOKEN_ENDED);
    return { kind: 'member', memberId: claims.memberId, issuedByPartnerId: claims.issuedByPartnerId, expiresAt: claims.expiresAt };
  }

  /**
   * A viewer authenticated earlier (a live socket's, at connection_init) as of this operation:
   * refused as the same credential would be over HTTP now. A partner key's state and its
   * partner's status are read again (one primary-key query, never shared with a lookup already in
   * flight), so a revocation or suspension that has returned applies to the very next operation.
   */
  async current(viewer: Viewer): Promise<Viewer> {
    if (viewer.kind === 'member' && viewer.expiresAt.getTime() <= Date.now()) throw unauthenticated(TOKEN_ENDED);
    if (viewer.kind === 'staff' && viewer.staffUserId !== null) {
      const roles = await this.staffSessions.current(viewer.staffUserId, viewer.sessionExpiresAt!);
      if (!roles) throw unauthenticated(STAFF_SESSION_ENDED);
      return { ...viewer, roles };
    }
    if (viewer.kind === 'member') await this.requireOpenMember(viewer.memberId);
    if (viewer.kind !== 'partner') return viewer;
    const owner = await this.apiKeys.activeOwner(viewer.apiKeyId);
    if (!owner) throw unauthenticated(KEY_ENDED);
    return partnerViewer(owner);
  }

  /** A token signed for a member that was merged into another or erased proves nothing any more (one primary-key read). */
  private async requireOpenMember(memberId: string): Promise<M | null> {
    const member = await this.memberOf(memberId);
    if (member && (member.status === 'MERGED' || member.status === 'ERASED')) throw unauthenticated(TOKEN_ENDED);
    return member;
  }
}

const KEY_ENDED = 'This API key is unknown or revoked';
const TOKEN_ENDED = 'This token is invalid or expired';
const STAFF_SESSION_ENDED = 'This staff session is unknown or expired, or its user was deactivated: sign in again (staffLogin)';

function partnerViewer(owner: ApiKeyOwner): Viewer {
  return {
    kind: 'partner',
    partnerId: owner.partnerId,
    slug: owner.slug,
    suspended: owner.status === 'SUSPENDED',
    apiKeyId: owner.apiKeyId,
    keyPrefix: owner.prefix,
    keyExpiresAt: owner.expiresAt,
  };
}
