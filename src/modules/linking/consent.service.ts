// Consents: partners a member shares its personal data with (README "Privacy"). Granted by the
// member or support staff (grantPartnerConsent) or by linking the partner with the member's code;
// revoking ends the link as well, so the partner can no longer act for the member (issue it
// member tokens, spend its points). The partner a member enrolled at keeps seeing what the member
// gave it itself. Every change is audited, naming who made it.
import type { Db, Pool } from '../../db/sql';
import { query, queryOne } from '../../db/sql';
import { withTransaction } from '../../db/transaction';
import { notFound } from '../../errors/domain-error';
import { requireId } from '../../errors/ids';
import { AuditAction, AuditActor, AuditTargetType, recordAudit } from '../audit/audit-trail';
import type { PartnerConsent } from './consent.types';

export type ConsentVia = 'GRANT' | 'CODE' | 'SEED';

/** Records a consent (no-op when it exists), in the caller's transaction. */
export async function recordConsent(m: Db, memberId: string, partnerId: string, via: ConsentVia): Promise<boolean> {
  const rows = await query(
    m,
    `INSERT INTO member_partner_consent (member_id, partner_id, via) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING member_id`,
    [memberId, partnerId, via],
  );
  return rows.length > 0;
}

export class ConsentService {
  constructor(private readonly db: Pool) {}

  /** By member: its consents, first granted first; onlyPartnerId narrows to that partner's own. */
  async forMembers(memberIds: readonly string[], onlyPartnerId: string | null = null): Promise<PartnerConsent[]> {
    return query<PartnerConsent>(
      this.db,
      `SELECT member_id AS "memberId", partner_id AS "partnerId", granted_at AS "grantedAt" FROM member_partner_consent
        WHERE member_id = ANY($1::uuid[]) AND ($2::uuid IS NULL OR partner_id = $2) ORDER BY granted_at, partner_id`,
      [memberIds, onlyPartnerId],
    );
  }

  async grant(memberIdInput: string, partnerIdInput: string, actor: AuditActor): Promise<void> {
    const [memberId, partnerId] = [requireId(memberIdInput, 'memberId'), requireId(partnerIdInput, 'partnerId')];
    await withTransaction(this.db, async (m) => {
      await this.requireBoth(m, memberId, partnerId);
      if (await recordConsent(m, memberId, partnerId, 'GRANT')) await this.audit(m, actor, AuditAction.CONSENT_GRANTED, memberId, partnerId);
    });
  }

  /** Ends the consent and the partner's link to the member (whichever exist). */
  async revoke(memberIdInput: string, partnerIdInput: string, actor: AuditActor): Promise<void> {
    const [memberId, partnerId] = [requireId(memberIdInput, 'memberId'), requireId(partnerIdInput, 'partnerId')];
    await withTransaction(this.db, async (m) => {
      await this.requireBoth(m, memberId, partnerId);
      const consent = await query(m, `DELETE FROM member_partner_consent WHERE member_id = $1 AND partner_id = $2 RETURNING via`, [memberId, partnerId]);
      const link = await query(m, `DELETE FROM member_partner_link WHERE member_id = $1 AND partner_id = $2 RETURNING via`, [memberId, partnerId]);
      if (consent.length + link.length > 0) await this.audit(m, actor, AuditAction.CONSENT_REVOKED, memberId, partnerId, link.length > 0);
    });
  }

  private async requireBoth(m: Db, memberId: string, partnerId: string): Promise<void> {
    if (!(await queryOne(m, `SELECT 1 FROM member WHERE id = $1 FOR NO KEY UPDATE`, [memberId]))) throw notFound('memberId', 'member');
    if (!(await queryOne(m, `SELECT 1 FROM partner WHERE id = $1 AND NOT is_coalition`, [partnerId]))) throw notFound('partnerId', 'partner');
  }

  private async audit(m: Db, actor: AuditActor, action: AuditAction, memberId: string, partnerId: string, linkEnded?: boolean): Promise<void> {
    await recordAudit(m, {
      actor,
      action,
      targetType: AuditTargetType.MEMBER,
      targetId: memberId,
      partnerId,
      previous: null,
      current: linkEnded === undefined ? { partnerId } : { partnerId, linkEnded },
    });
  }
}
