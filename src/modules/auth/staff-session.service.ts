// Staff sessions: the bearer token staffLogin hands out. Opaque (lgs_ + 256 random bits), kept as
// a SHA-256 hash with its expiry, and checked against the staff user on every request, so a
// deactivation or a change of roles applies to the very next request, on every instance.
import type { Db, Pool } from '../../db/sql';
import { createHash, randomBytes } from 'node:crypto';
import { query, queryOne } from '../../db/sql';
import { StaffRole } from './staff-role';

export const STAFF_TOKEN_PREFIX = 'lgs_';

export interface StaffSessionOwner {
  staffUserId: string;
  roles: StaffRole[];
  expiresAt: Date;
}

const hashToken = (token: string) => createHash('sha256').update(token).digest();

export class StaffSessionService {
  constructor(
    private readonly db: Pool,
    readonly ttlSeconds: number,
  ) {}

  /** A new session for a staff user the caller has authenticated, in the caller's transaction. */
  async open(m: Db, staffUserId: string): Promise<{ token: string; expiresAt: Date }> {
    const token = `${STAFF_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const row = await queryOne<{ expiresAt: Date }>(
      m,
      `INSERT INTO staff_session (token_hash, staff_user_id, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))
       RETURNING expires_at AS "expiresAt"`,
      [hashToken(token), staffUserId, this.ttlSeconds],
    );
    // Expired sessions of this user are of no use to anyone: tidy them as a new one opens.
    await query(m, `DELETE FROM staff_session WHERE staff_user_id = $1 AND expires_at <= now()`, [staffUserId]);
    return { token, expiresAt: row!.expiresAt };
  }

  /** The active staff user behind an unexpired token, with its current roles; null otherwise. */
  async findOwner(token: string): Promise<StaffSessionOwner | null> {
    return (
      (await queryOne<StaffSessionOwner>(
        this.db,
        `SELECT u.id AS "staffUserId", u.roles, s.expires_at AS "expiresAt"
           FROM staff_session s JOIN staff_user u ON u.id = s.staff_user_id
          WHERE s.token_hash = $1 AND s.expires_at > now() AND u.active`,
        [hashToken(token)],
      )) ?? null
    );
  }

  /** A live socket's staff viewer as of now: its user still active, its session unexpired. */
  async current(staffUserId: string, expiresAt: Date): Promise<StaffRole[] | null> {
    if (expiresAt.getTime() <= Date.now()) return null;
    const row = await queryOne<{ roles: StaffRole[] }>(this.db, `SELECT roles FROM staff_user WHERE id = $1 AND active`, [staffUserId]);
    return row?.roles ?? null;
  }

  /** Ends every session of the user (deactivation), in the caller's transaction. */
  async endAll(m: Db, staffUserId: string): Promise<void> {
    await query(m, `DELETE FROM staff_session WHERE staff_user_id = $1`, [staffUserId]);
  }
}
