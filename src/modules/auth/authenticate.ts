// Authorization header → Viewer. A missing header is anonymous; a header that does not prove
// an identity is refused outright (UNAUTHENTICATED) rather than silently downgraded.
import { createHash, timingSafeEqual } from 'node:crypto';
import { unauthenticated } from '../../errors/domain-error';
import { API_KEY_PREFIX, ApiKeyService } from './api-key.service';
import { MemberTokenService } from './member-token.service';
import type { Viewer } from './viewer';

function sameSecret(a: string, b: string): boolean {
  // Hash first so the comparison is constant-time whatever the lengths.
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

export class Authenticator {
  constructor(
    private readonly adminToken: string,
    private readonly apiKeys: ApiKeyService,
    private readonly memberTokens: MemberTokenService,
  ) {}

  async authenticate(authorization: string | undefined | null): Promise<Viewer> {
    if (authorization === undefined || authorization === null || authorization.trim() === '') return { kind: 'anonymous' };
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match) throw unauthenticated('Authorization must be "Bearer <token>"');
    const token = match[1]!;
    if (sameSecret(token, this.adminToken)) return { kind: 'admin' };
    if (token.startsWith(API_KEY_PREFIX)) {
      const owner = await this.apiKeys.findOwner(token);
      if (!owner) throw unauthenticated('This API key is unknown or revoked');
      this.apiKeys.noteUse(owner.apiKeyId);
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
    const claims = this.memberTokens.verify(token);
    if (!claims) throw unauthenticated('This token is invalid or expired');
    return { kind: 'member', memberId: claims.memberId, issuedByPartnerId: claims.issuedByPartnerId, expiresAt: claims.expiresAt };
  }
}
