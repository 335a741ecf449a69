// A member's account itself, serviced by staff or the member: its profile (updateMember), its
// status (blockMember / unblockMember), a copy of everything held about it (exportMemberData) and
// its erasure (eraseMember). Status changes take the member's wallet lock, the lock every points
// movement takes first and whose status it checks (member/member-status.ts): a movement either
// finishes before the block or sees it.
import type { Pool, Tx } from '../../db/sql';
import { DomainError, ErrorCode, badInput } from '../../errors/domain-error';
import { requireId } from '../../errors/ids';
import { requireText } from '../../errors/text';
import { query, queryOne } from '../../db/sql';
import { pgConstraint, pgErrorCode, withTransaction } from '../../db/transaction';
import { AuditAction, AuditActor, AuditTargetType, recordAudit } from '../audit/audit-trail';
import { Caller, callerScope } from '../auth/viewer';
import { claimKey, recordResult, requestHash, validKey } from '../ledger/idempotency';
import { post } from '../ledger/journal';
import { TRANSACTION_COLUMNS, TransactionType } from '../ledger/points-transaction.entity';
import { Wallet, coalitionAccountId, lockWallet } from '../ledger/wallet';
import { assertMemberMayMovePoints } from '../member/member-status';
import { ErasedEmails } from '../member/erased-email';
import { validBirthDate, validDisplayName, validEmail } from '../member/member-fields';
import { MEMBER_COLUMNS, Member, MemberStatus } from '../member/member.entity';

export interface UpdateMember {
  memberId: string;
  email?: string | null;
  displayName?: string | null;
  birthDate?: string | null;
}

const MAX_REASON = 500;
const ERASED_NAME = 'Erased member';
const SCRUBBED = '[erased]';

async function memberRow(m: Tx, id: string): Promise<Member> {
  return (await queryOne<Member>(m, `SELECT ${MEMBER_COLUMNS} FROM member WHERE id = $1`, [id]))!;
}

/** Merged and erased accounts are closed: nothing about them changes any more. */
function assertOpen(wallet: Wallet, field: string): void {
  if (wallet.memberStatus !== MemberStatus.BLOCKED) assertMemberMayMovePoints(wallet, field);
}

export class MemberAccountService {
  constructor(
    private readonly db: Pool,
    private readonly erased: ErasedEmails,
  ) {}

  /** Omitted fields keep their value; birthDate "" clears it. The audit names the fields changed, not their values. */
  async update(input: UpdateMember, actor: AuditActor): Promise<Member> {
    const memberId = requireId(input.memberId, 'input.memberId');
    const email = input.email === undefined || input.email === null ? null : validEmail(input.email);
    const displayName = input.displayName === undefined || input.displayName === null ? null : validDisplayName(input.displayName);
    const clearBirthDate = input.birthDate === '';
    const birthDate = input.birthDate ? validBirthDate(input.birthDate) : null;
    try {
      return await withTransaction(this.db, async (m) => {
        const wallet = await lockWallet(m, memberId, 'input.memberId');
        assertOpen(wallet, 'input.memberId');
        const before = await memberRow(m, memberId);
        if (email !== null && email.toLowerCase() !== before.email.toLowerCase() && (await this.erased.wasErased(m, email))) {
          throw badInput('input.email', 'this address belonged to a member who was erased at their request');
        }
        const after = (await queryOne<Member>(
          m,
          `UPDATE member SET email = coalesce($2, email), display_name = coalesce($3, display_name),
                  birth_date = CASE WHEN $4 THEN NULL ELSE coalesce($5::date, birth_date) END
            WHERE id = $1 RETURNING ${MEMBER_COLUMNS}`,
          [memberId, email, displayName, clearBirthDate, birthDate],
        ))!;
        const changed = (['email', 'displayName', 'birthDate'] as const).filter((f) => before[f] !== after[f]);
        if (changed.length > 0) {
          await recordAudit(m, {
            actor,
            action: AuditAction.MEMBER_UPDATED,
            targetType: AuditTargetType.MEMBER,
            targetId: memberId,
            partnerId: null,
            previous: null,
            current: { fields: changed },
          });
        }
        return after;
      });
    } catch (err) {
      if (pgErrorCode(err) === '23505' && pgConstraint(err) === 'member_email') throw badInput('input.email', 'another member is enrolled with this email');
      throw err;
    }
  }

  /** Blocking a blocked member again updates its reason; unblocking an active one changes nothing. */
  async setBlocked(memberIdInput: string, blocked: boolean, reasonInput: string | null, actor: AuditActor): Promise<Member> {
    const memberId = requireId(memberIdInput, 'memberId');
    let reason: string | null = null;
    if (blocked) {
      reason = requireText((reasonInput ?? '').trim(), 'reason');
      if (reason.length === 0) throw badInput('reason', 'say why the member is blocked (staff read it; it is kept in the audit log)');
      if (reason.length > MAX_REASON) throw badInput('reason', `at most ${MAX_REASON} characters`);
    }
    return withTransaction(this.db, async (m) => {
      const wallet = await lockWallet(m, memberId, 'memberId');
      assertOpen(wallet, 'memberId');
      const status = blocked ? MemberStatus.BLOCKED : MemberStatus.ACTIVE;
      if (wallet.memberStatus === status && !blocked) return memberRow(m, memberId);
      await query(m, `UPDATE member SET status = $2, status_reason = $3, status_changed_at = now() WHERE id = $1`, [memberId, status, reason]);
      await recordAudit(m, {
        actor,
        action: blocked ? AuditAction.MEMBER_BLOCKED : AuditAction.MEMBER_UNBLOCKED,
        targetType: AuditTargetType.MEMBER,
        targetId: memberId,
        partnerId: null,
        previous: { status: wallet.memberStatus },
        current: { status, ...(reason ? { reason } : {}) },
      });
      return memberRow(m, memberId);
    });
  }

  /**
   * Erasure: the personal fields are overwritten for good (the row stays, so the ledger's
   * references do: amounts, lots and settlement history remain, anonymous), the address is kept
   * only as a keyed hash (erased-email.ts), stored event and webhook payloads lose every copy of
   * the email and name, membership payment references are dropped, and what the member had left is
   * forfeited to breakage in an ERASURE posting, so the books balance. Refused while points are
   * inside a return window. A second erasure returns the erased member.
   */
  async erase(caller: Caller, memberIdInput: string, keyInput: string, actor: AuditActor): Promise<Member> {
    const memberId = requireId(memberIdInput, 'memberId');
    const key = validKey(keyInput, 'idempotencyKey');
    const scope = callerScope(caller);
    return withTransaction(this.db, async (m) => {
      const claim = await claimKey(m, scope, key, 'eraseMember', requestHash('eraseMember', { memberId }));
      if (claim.replay) return memberRow(m, claim.resultId);
      const wallet = await lockWallet(m, memberId, 'memberId');
      const before = await memberRow(m, memberId);
      if (before.status === MemberStatus.ERASED) {
        await recordResult(m, scope, key, memberId);
        return before;
      }
      if (wallet.pending > 0) {
        throw badInput('memberId', `${wallet.pending} points are still inside a return window; erase once they are released`, { pending: wallet.pending });
      }
      if (wallet.balance !== 0) {
        await post(m, {
          type: TransactionType.ERASURE,
          wallet,
          partnerId: null,
          points: -wallet.balance,
          counter: [{ accountId: await coalitionAccountId(m, 'COALITION_BREAKAGE'), amount: wallet.balance }],
          ...(wallet.balance > 0 ? { use: { kind: 'consume' as const } } : {}),
          reason: 'member erased: remaining points forfeited',
        });
      }
      await this.erased.remember(m, before.email);
      await scrubPayloads(m, memberId, before);
      await query(m, `UPDATE membership SET external_payment_ref = $2 WHERE member_id = $1`, [memberId, SCRUBBED]);
      await query(m, `DELETE FROM partner_link_code WHERE member_id = $1`, [memberId]);
      await query(
        m,
        `UPDATE member SET email = 'erased+' || id || '@erased.invalid', display_name = $2, birth_date = NULL,
                status = 'ERASED', status_reason = NULL, status_changed_at = now() WHERE id = $1`,
        [memberId, ERASED_NAME],
      );
      await recordAudit(m, {
        actor,
        action: AuditAction.MEMBER_ERASED,
        targetType: AuditTargetType.MEMBER,
        targetId: memberId,
        partnerId: null,
        previous: { status: before.status },
        current: { status: MemberStatus.ERASED, forfeitedPoints: wallet.balance },
      });
      await recordResult(m, scope, key, memberId);
      return memberRow(m, memberId);
    });
  }

  /** Everything held about the member, as one JSON document (README: Member servicing). */
  async export(memberIdInput: string): Promise<string> {
    const memberId = requireId(memberIdInput, 'memberId');
    const list = async (sql: string) => (await query<{ doc: unknown }>(this.db, sql, [memberId])).map((r) => r.doc);
    const [profile] = await list(
      `SELECT jsonb_build_object('id', m.id, 'email', m.email, 'displayName', m.display_name, 'birthDate', m.birth_date,
              'status', m.status, 'statusReason', m.status_reason, 'mergedInto', m.merged_into, 'enrolledAt', m.enrolled_at,
              'enrolledByPartnerId', m.enrolled_by_partner, 'referralCode', m.referral_code, 'referredBy', m.referred_by,
              'tier', t.name, 'balance', a.balance, 'pending', a.pending, 'lifetimeEarned', a.lifetime_earned) AS doc
         FROM member m JOIN tier t ON t.id = m.tier_id JOIN account a ON a.member_id = m.id WHERE m.id = $1`,
    );
    if (!profile) throw new DomainError(ErrorCode.NOT_FOUND, 'memberId: no member with this id', 'memberId');
    const document = {
      exportedAt: new Date().toISOString(),
      profile,
      // Partners the member enrolled at or linked (per-partner consents join these where consent lands).
      partnerLinks: await list(
        `SELECT jsonb_build_object('partnerId', partner_id, 'via', via, 'linkedAt', linked_at) AS doc FROM member_partner_link WHERE member_id = $1 ORDER BY linked_at`,
      ),
      transactions: await list(`SELECT to_jsonb(t) AS doc FROM (SELECT ${TRANSACTION_COLUMNS} FROM ledger_transaction WHERE member_id = $1 ORDER BY seq) t`),
      lots: await list(
        `SELECT jsonb_build_object('id', id, 'issuerPartnerId', partner_id, 'earnTransactionId', earn_transaction_id, 'points', points,
                'remaining', remaining, 'pending', pending, 'earnedAt', earned_at, 'expiresAt', expires_at, 'movedFromLot', moved_from_lot) AS doc
           FROM points_lot WHERE member_id = $1 ORDER BY earned_at, id`,
      ),
      redemptions: await list(`SELECT to_jsonb(r) - 'member_id' AS doc FROM redemption r WHERE member_id = $1 ORDER BY seq`),
      payments: await list(`SELECT to_jsonb(p) - 'member_id' AS doc FROM points_payment p WHERE member_id = $1 ORDER BY seq`),
      memberships: await list(`SELECT to_jsonb(x) - 'member_id' AS doc FROM membership x WHERE member_id = $1 ORDER BY started_at`),
      challenges: await list(`SELECT to_jsonb(c) - 'member_id' AS doc FROM challenge_progress c WHERE member_id = $1 ORDER BY window_start`),
      badges: await list(`SELECT to_jsonb(b) - 'member_id' AS doc FROM badge b WHERE member_id = $1 ORDER BY awarded_at`),
      punchCards: await list(`SELECT to_jsonb(p) - 'member_id' AS doc FROM punch_card_progress p WHERE member_id = $1`),
      bonuses: await list(`SELECT to_jsonb(b) - 'member_id' AS doc FROM member_bonus b WHERE member_id = $1`),
      auditEntries: await list(`SELECT to_jsonb(s) AS doc FROM security_audit s WHERE target_type = 'MEMBER' AND target_id = $1::text ORDER BY s.id`),
    };
    return JSON.stringify(document);
  }
}

/**
 * Stored payloads keep no copy of the erased member's personal data: in the outbox and webhook
 * deliveries (their bodies once sent), the member's own rows lose every email, displayName and
 * birthDate value (also ones it has since changed, which no longer match the member row), and
 * every row loses the current email and, in the member's rows, the current name wherever quoted.
 * Rewritten as JSON text, so escaped forms match too. The email is unique, so every row is searched
 * for it; a name is not, so only the member's own rows lose it.
 */
async function scrubPayloads(m: Tx, memberId: string, member: Member): Promise<void> {
  const quoted = (text: string) => JSON.stringify(text).slice(1, -1);
  for (const table of ['outbox_event', 'webhook_delivery']) {
    await query(
      m,
      `UPDATE ${table} SET payload = regexp_replace(payload::text, '"(email|displayName|birthDate)": "(?:[^"\\\\]|\\\\.)*"', '"\\1": "${SCRUBBED}"', 'g')::jsonb
        WHERE member_id = $1 AND payload::text ~ '"(email|displayName|birthDate)": "'`,
      [memberId],
    );
    for (const n of [
      { text: quoted(member.email), anyRow: true },
      { text: quoted(member.displayName), anyRow: false },
    ]) {
      await query(
        m,
        `UPDATE ${table} SET payload = replace(payload::text, $1, $2)::jsonb
          WHERE ($3 OR member_id = $4) AND strpos(payload::text, $1) > 0`,
        [n.text, SCRUBBED, n.anyRow, memberId],
      );
    }
  }
}
