// Partner links: which partners a member has let act for it (see migrations/…-PartnerLinks).
// The partner a member enrols at is linked then; any other partner only when the member, signed
// in (a member token, from any partner's app), asks for a one-time code and gives it to that
// partner, which redeems it with linkMember. The code is the member's proof: a partner cannot
// make one for a member it has never served.
import type { Pool, Tx } from '../../db/sql';
import { createHash, randomInt } from 'node:crypto';
import { badInput, notFound, rateLimited } from '../../errors/domain-error';
import { requireText } from '../../errors/text';
import { Db, query, queryOne } from '../../db/sql';
import { withTransaction } from '../../db/transaction';
import { recordConsent } from './consent.service';

/** No 0/O, 1/I/L: a code read aloud or copied from a screen is typed right. */
export const LINK_CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
export const LINK_CODE_LENGTH = 8; // 31^8 ≈ 8.5 · 10^11 codes
export const LINK_CODE_TTL_SECONDS = 600;
/** Unused, unexpired codes one member may hold at a time. */
export const MAX_OPEN_LINK_CODES = 5;

export type LinkVia = 'ENROLMENT' | 'CODE' | 'SEED' | 'IMPORT';

export interface PartnerLinkCode {
  code: string;
  expiresAt: Date;
}

/** However it was typed: case, spaces and dashes do not matter. null when it cannot be a code. */
export function normalizeLinkCode(input: string): string | null {
  const code = input.replace(/[\s-]/g, '').toUpperCase();
  if (code.length !== LINK_CODE_LENGTH) return null;
  for (const c of code) if (!LINK_CODE_ALPHABET.includes(c)) return null;
  return code;
}

// A fast hash is enough: the code lives ten minutes, is used once, and guessing one online is
// bounded by the write rate limit; the hash only keeps live codes out of a database dump.
const hashCode = (code: string) => createHash('sha256').update(code).digest();

function newCode(): string {
  let code = '';
  for (let i = 0; i < LINK_CODE_LENGTH; i++) code += LINK_CODE_ALPHABET[randomInt(LINK_CODE_ALPHABET.length)];
  return code;
}

export async function isLinked(db: Db, memberId: string, partnerId: string): Promise<boolean> {
  return !!(await queryOne(db, `SELECT 1 FROM member_partner_link WHERE member_id = $1 AND partner_id = $2`, [memberId, partnerId]));
}

/**
 * Records a link (no-op when it exists), in the caller's transaction. A link the member made with
 * its code (or the demo's) is consent to share its personal data too. The enrolling partner needs
 * none (it sees what the member gave it), and a joining partner's members file linking an existing
 * coalition member (IMPORT) is no consent: the member never agreed to anything at the coalition.
 */
export async function recordLink(m: Db, memberId: string, partnerId: string, via: LinkVia): Promise<void> {
  await recordLinks(m, [memberId], partnerId, via);
}

/** recordLink for many members of one partner in one statement (a members import's batch). */
export async function recordLinks(m: Db, memberIds: readonly string[], partnerId: string, via: LinkVia): Promise<void> {
  await query(m, `INSERT INTO member_partner_link (member_id, partner_id, via) SELECT id, $2, $3 FROM unnest($1::uuid[]) AS id ON CONFLICT DO NOTHING`, [
    memberIds,
    partnerId,
    via,
  ]);
  if (via === 'CODE' || via === 'SEED') for (const memberId of memberIds) await recordConsent(m, memberId, partnerId, via);
}

export class PartnerLinkService {
  constructor(private readonly db: Pool) {}

  /** For policy.requireLinkedPartner. */
  readonly isLinked = (memberId: string, partnerId: string): Promise<boolean> => isLinked(this.db, memberId, partnerId);

  /** The member's linked partners, first linked first; `onlyPartnerId` narrows it to that one (if linked). */
  async linkedPartnerIds(memberId: string, onlyPartnerId: string | null = null): Promise<string[]> {
    const rows = await query<{ partnerId: string }>(
      this.db,
      `SELECT partner_id AS "partnerId" FROM member_partner_link
        WHERE member_id = $1 AND ($2::uuid IS NULL OR partner_id = $2) ORDER BY linked_at, partner_id`,
      [memberId, onlyPartnerId],
    );
    return rows.map((r) => r.partnerId);
  }

  /** A fresh one-time code for the member (the caller has checked that it is the member). */
  async createCode(memberId: string): Promise<PartnerLinkCode> {
    return withTransaction(this.db, async (m) => {
      // Serialises one member's requests, so the cap below holds; an earn's foreign-key check
      // (FOR KEY SHARE) does not wait on this lock.
      if (!(await queryOne(m, `SELECT 1 FROM member WHERE id = $1 FOR NO KEY UPDATE`, [memberId]))) throw notFound('memberId', 'member');
      await query(m, `DELETE FROM partner_link_code WHERE member_id = $1 AND (used_at IS NOT NULL OR expires_at <= now())`, [memberId]);
      const open = await queryOne<{ n: number; retryAfterMs: number | null }>(
        m,
        `SELECT count(*)::int AS n, ceil(extract(epoch FROM min(expires_at) - now()) * 1000)::bigint AS "retryAfterMs"
           FROM partner_link_code WHERE member_id = $1`,
        [memberId],
      );
      if (open!.n >= MAX_OPEN_LINK_CODES) {
        throw rateLimited(
          `At most ${MAX_OPEN_LINK_CODES} unused link codes at a time: use one, or wait until the oldest expires`,
          Math.max(1, Math.ceil((open!.retryAfterMs ?? 1000) / 1000)),
        );
      }
      for (;;) {
        const code = newCode();
        const row = await this.insertCode(m, memberId, code);
        if (row) return { code, expiresAt: row.expiresAt };
        // The same hash is stored for another member (about one chance in 10^11): draw again.
      }
    });
  }

  private insertCode(m: Tx, memberId: string, code: string): Promise<{ expiresAt: Date } | undefined> {
    return queryOne<{ expiresAt: Date }>(
      m,
      `INSERT INTO partner_link_code (code_hash, member_id, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))
       ON CONFLICT (code_hash) DO NOTHING RETURNING expires_at AS "expiresAt"`,
      [hashCode(code), memberId, LINK_CODE_TTL_SECONDS],
    );
  }

  /**
   * Redeems a code for the partner: links it to the code's member and returns the member's id.
   * Unknown, expired and used codes are refused alike (naming `code`), except that the partner
   * that redeemed a code may send it again (a retried request) and gets the same member.
   */
  async redeem(partnerId: string, codeInput: string): Promise<string> {
    const code = normalizeLinkCode(requireText(codeInput, 'code'));
    if (code === null) throw badInput('code', `a link code is ${LINK_CODE_LENGTH} letters and digits, as the member's app shows it`);
    return withTransaction(this.db, async (m) => {
      const hash = hashCode(code);
      const used = await queryOne<{ memberId: string }>(
        m,
        `UPDATE partner_link_code SET used_at = now(), used_by_partner = $2
          WHERE code_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING member_id AS "memberId"`,
        [hash, partnerId],
      );
      if (used) {
        await recordLink(m, used.memberId, partnerId, 'CODE');
        return used.memberId;
      }
      const retried = await queryOne<{ memberId: string }>(
        m,
        `SELECT member_id AS "memberId" FROM partner_link_code WHERE code_hash = $1 AND used_by_partner = $2`,
        [hash, partnerId],
      );
      if (retried) return retried.memberId;
      throw badInput('code', 'this link code is unknown, expired or already used: ask the member for a new one');
    });
  }
}
