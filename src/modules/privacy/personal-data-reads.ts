// Staff reads of members' personal data are audited (MEMBER_DATA_READ): one entry per member per
// request, however many of its fields the request selects.
import type { Pool } from '../../db/sql';
import { withTransaction } from '../../db/transaction';
import { AuditAction, AuditActor, AuditTargetType, recordAudit } from '../audit/audit-trail';

export async function recordPersonalDataReads(db: Pool, actor: AuditActor, memberIds: readonly string[]): Promise<void> {
  await withTransaction(db, async (m) => {
    for (const memberId of memberIds) {
      await recordAudit(m, {
        actor,
        action: AuditAction.MEMBER_DATA_READ,
        targetType: AuditTargetType.MEMBER,
        targetId: memberId,
        partnerId: null,
        previous: null,
        current: null,
      });
    }
  });
}
