// Staff accounts: created, re-roled and deactivated by owners (audited, naming who did it), and
// signed in with email and password. A failed sign-in is one failed authentication for the
// client's address (the same limit as bad tokens), and an unknown email fails exactly like a
// wrong password: same error, same scrypt cost.
import type { Pool } from '../../db/sql';
import { query, queryOne } from '../../db/sql';
import { pgConstraint, pgErrorCode, withTransaction } from '../../db/transaction';
import { badInput, notFound, unauthenticated } from '../../errors/domain-error';
import { requireId } from '../../errors/ids';
import { requireText } from '../../errors/text';
import { AuditAction, AuditActor, AuditTargetType, recordAudit } from '../audit/audit-trail';
import { STAFF_ROLES, StaffRole } from '../auth/staff-role';
import type { StaffSessionService } from '../auth/staff-session.service';
import type { RateLimitService } from '../rate-limit/rate-limit.service';
import { decoyHash, hashPassword, verifyPassword } from './password';
import { STAFF_USER_COLUMNS, StaffUser } from './staff.types';

const EMAIL = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]{2,}$/;
const MIN_PASSWORD = 12;
const MAX_PASSWORD = 256;
const WRONG_CREDENTIALS = 'The email or the password is wrong';

export interface NewStaffUser {
  email: string;
  displayName: string;
  roles: StaffRole[];
  password: string;
}

function validRoles(roles: readonly StaffRole[], field: string): StaffRole[] {
  if (roles.length === 0) throw badInput(field, 'give at least one role');
  for (const r of roles) if (!STAFF_ROLES.includes(r)) throw badInput(field, `"${r}" is not a staff role`);
  return [...new Set(roles)];
}

export class StaffService {
  constructor(
    private readonly db: Pool,
    private readonly sessions: StaffSessionService,
    private readonly rateLimits: RateLimitService,
  ) {}

  async list(): Promise<StaffUser[]> {
    return query<StaffUser>(this.db, `SELECT ${STAFF_USER_COLUMNS} FROM staff_user ORDER BY created_at, id`);
  }

  async create(input: NewStaffUser, actor: AuditActor): Promise<StaffUser> {
    const email = requireText(input.email.trim(), 'input.email');
    if (email.length > 254 || !EMAIL.test(email)) throw badInput('input.email', `"${email.slice(0, 64)}" is not a valid email address`);
    const displayName = requireText(input.displayName.trim(), 'input.displayName');
    if (displayName.length < 1 || displayName.length > 255) throw badInput('input.displayName', 'must be 1 to 255 characters');
    const roles = validRoles(input.roles, 'input.roles');
    const password = requireText(input.password, 'input.password');
    if (password.length < MIN_PASSWORD || password.length > MAX_PASSWORD) {
      throw badInput('input.password', `must be ${MIN_PASSWORD} to ${MAX_PASSWORD} characters`);
    }
    const passwordHash = await hashPassword(password);
    try {
      return await withTransaction(this.db, async (m) => {
        const user = (await queryOne<StaffUser>(
          m,
          `INSERT INTO staff_user (email, display_name, roles, password_hash) VALUES ($1, $2, $3, $4) RETURNING ${STAFF_USER_COLUMNS}`,
          [email, displayName, roles, passwordHash],
        ))!;
        await recordAudit(m, {
          actor,
          action: AuditAction.STAFF_USER_CREATED,
          targetType: AuditTargetType.STAFF_USER,
          targetId: user.id,
          partnerId: null,
          previous: null,
          // Never the password or its hash; the email names the account, as on any staff list.
          current: { email: user.email, displayName: user.displayName, roles: user.roles },
        });
        return user;
      });
    } catch (err) {
      if (pgErrorCode(err) === '23505' && pgConstraint(err) === 'staff_user_email') throw badInput('input.email', 'a staff user with this email exists');
      throw err;
    }
  }

  async setRoles(idInput: string, rolesInput: readonly StaffRole[], actor: AuditActor): Promise<StaffUser> {
    const id = requireId(idInput, 'id');
    const roles = validRoles(rolesInput, 'roles');
    return withTransaction(this.db, async (m) => {
      const before = await queryOne<{ roles: StaffRole[] }>(m, `SELECT roles FROM staff_user WHERE id = $1 FOR UPDATE`, [id]);
      if (!before) throw notFound('id', 'staff user');
      const user = (await queryOne<StaffUser>(m, `UPDATE staff_user SET roles = $2 WHERE id = $1 RETURNING ${STAFF_USER_COLUMNS}`, [id, roles]))!;
      await recordAudit(m, {
        actor,
        action: AuditAction.STAFF_ROLES_CHANGED,
        targetType: AuditTargetType.STAFF_USER,
        targetId: id,
        partnerId: null,
        previous: { roles: before.roles },
        current: { roles },
      });
      return user;
    });
  }

  /** Deactivates the user and ends its sessions now; deactivating again changes nothing. */
  async deactivate(idInput: string, actor: AuditActor): Promise<StaffUser> {
    const id = requireId(idInput, 'id');
    return withTransaction(this.db, async (m) => {
      const before = await queryOne<{ active: boolean }>(m, `SELECT active FROM staff_user WHERE id = $1 FOR UPDATE`, [id]);
      if (!before) throw notFound('id', 'staff user');
      const user = (await queryOne<StaffUser>(
        m,
        `UPDATE staff_user SET active = false, deactivated_at = coalesce(deactivated_at, now()) WHERE id = $1 RETURNING ${STAFF_USER_COLUMNS}`,
        [id],
      ))!;
      await this.sessions.endAll(m, id);
      if (before.active) {
        await recordAudit(m, {
          actor,
          action: AuditAction.STAFF_USER_DEACTIVATED,
          targetType: AuditTargetType.STAFF_USER,
          targetId: id,
          partnerId: null,
          previous: { active: true },
          current: { active: false },
        });
      }
      return user;
    });
  }

  /** A staff bearer token for the right email and password; the client's address pays for each failure. */
  async login(emailInput: string, password: string, clientIp: string | null): Promise<string> {
    if (clientIp) this.rateLimits.refuseBlockedIp(clientIp);
    const email = requireText(emailInput.trim(), 'email');
    requireText(password, 'password');
    const user = await queryOne<{ id: string; passwordHash: string }>(
      this.db,
      `SELECT id, password_hash AS "passwordHash" FROM staff_user WHERE lower(email) = lower($1) AND active`,
      [email],
    );
    const ok = password.length <= MAX_PASSWORD && (await verifyPassword(password.slice(0, MAX_PASSWORD), user?.passwordHash ?? (await decoyHash())));
    if (!user || !ok) {
      const limited = clientIp ? await this.rateLimits.authenticationFailed(clientIp) : null;
      throw limited ?? unauthenticated(WRONG_CREDENTIALS);
    }
    return withTransaction(this.db, async (m) => {
      await query(m, `UPDATE staff_user SET last_login_at = now() WHERE id = $1`, [user.id]);
      return (await this.sessions.open(m, user.id)).token;
    });
  }
}
