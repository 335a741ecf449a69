// Which members' personal data a partner may see: those that enrolled there, and those that
// consented to it (grantPartnerConsent, or a link made with the member's code). Webhook delivery
// asks the same question: personalDataForPartner below, then presentPersonalData.
import type { Db } from '../../db/sql';
import { query } from '../../db/sql';
import { PersonalData, presentPersonalData } from './personal-data';

export async function membersVisibleToPartner(db: Db, partnerId: string, memberIds: readonly string[]): Promise<Set<string>> {
  if (memberIds.length === 0) return new Set();
  const rows = await query<{ id: string }>(
    db,
    `SELECT id FROM member WHERE id = ANY($2::uuid[]) AND enrolled_by_partner = $1
     UNION
     SELECT member_id FROM member_partner_consent WHERE partner_id = $1 AND member_id = ANY($2::uuid[])`,
    [partnerId, memberIds],
  );
  return new Set(rows.map((r) => r.id));
}

/** A member (with its id) as the partner may see it: for payloads sent to a partner (webhooks). */
export async function personalDataForPartner<T extends PersonalData & { id: string }>(db: Db, partnerId: string, member: T): Promise<T> {
  const visible = await membersVisibleToPartner(db, partnerId, [member.id]);
  return presentPersonalData(member, visible.has(member.id));
}
