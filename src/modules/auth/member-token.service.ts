// Member tokens: HS256 JWTs a partner issues for a member it has authenticated. The signing
// secret comes from TOKEN_SECRET or, when unset, is generated once and kept in the database so
// every gateway instance on that database accepts the same tokens.
import type { Pool } from '../../db/sql';
import { KeyObject, createSecretKey, randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { query } from '../../db/sql';

const ISSUER = 'loyalty-gateway';
const AUDIENCE = 'member';

export interface MemberClaims {
  memberId: string;
  issuedByPartnerId: string | null;
  expiresAt: Date;
}

export async function loadTokenSecret(db: Pool, configured: string | null): Promise<string> {
  if (configured) return configured;
  // Two instances booting at once both try the insert; the first wins and both read its value.
  await query(db, `INSERT INTO app_secret (name, value) VALUES ('member_token_secret', $1) ON CONFLICT (name) DO NOTHING`, [
    randomBytes(48).toString('base64url'),
  ]);
  const rows = await query<{ value: string }>(db, `SELECT value FROM app_secret WHERE name = 'member_token_secret'`);
  return rows[0]!.value;
}

export class MemberTokenService {
  // A KeyObject made once: given a string, jsonwebtoken first tries (and fails) to parse it as a
  // PEM key on every call, which cost more than the rest of a trivial request.
  private readonly secret: KeyObject;

  constructor(
    secret: string,
    private readonly ttlSeconds: number,
  ) {
    this.secret = createSecretKey(Buffer.from(secret, 'utf8'));
  }

  issue(memberId: string, issuedByPartnerId: string | null): { token: string; expiresAt: Date } {
    const token = jwt.sign({ ptn: issuedByPartnerId }, this.secret, {
      algorithm: 'HS256',
      subject: memberId,
      issuer: ISSUER,
      audience: AUDIENCE,
      expiresIn: this.ttlSeconds,
    });
    return { token, expiresAt: new Date(Date.now() + this.ttlSeconds * 1000) };
  }

  /** null when the token is malformed, forged or expired. */
  verify(token: string): MemberClaims | null {
    try {
      const claims = jwt.verify(token, this.secret, { algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE });
      if (typeof claims === 'string' || typeof claims.sub !== 'string' || typeof claims.exp !== 'number') return null;
      return { memberId: claims.sub, issuedByPartnerId: typeof claims.ptn === 'string' ? claims.ptn : null, expiresAt: new Date(claims.exp * 1000) };
    } catch {
      return null;
    }
  }
}
