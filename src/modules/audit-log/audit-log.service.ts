// Reading the audit trail: newest first, keyset-paged, filtered. Writing is recordAudit(), inside
// the transaction of each change (audit/audit-trail.ts, below every feature that configures).
import type { Pool } from '../../db/sql';
import { query, queryOne } from '../../db/sql';
import { badInput } from '../../errors/domain-error';
import { requireId } from '../../errors/ids';
import { Page, decodeCursor, lazyCount, pageSize, toPage } from '../../db/pagination';
import type { AuditAction } from '../audit/audit-trail';
import type { AuditEntry } from './audit-log.types';

export interface AuditFilter {
  action?: AuditAction | null;
  partnerId?: string | null;
  from?: Date | null;
  to?: Date | null;
}

const COLUMNS = `id::text AS id, id AS seq, at, actor_kind AS "actorKind", actor_partner_id AS "actorPartnerId",
  actor_key_prefix AS "actorKeyPrefix", actor_staff_user_id AS "actorStaffUserId", actor_member_id AS "actorMemberId", action, target_type AS "targetType", target_id AS "targetId", partner_id AS "partnerId",
  previous_value AS "previousValue", new_value AS "newValue"`;

const WHERE = `($1::text IS NULL OR action = $1) AND ($2::uuid IS NULL OR partner_id = $2)
  AND ($3::timestamptz IS NULL OR at >= $3) AND ($4::timestamptz IS NULL OR at < $4)`;

export class AuditService {
  constructor(private readonly db: Pool) {}

  async list(filter: AuditFilter | null | undefined, first?: number, after?: string): Promise<Page<AuditEntry>> {
    const f = filter ?? {};
    const partnerId = f.partnerId == null ? null : requireId(f.partnerId, 'filter.partnerId');
    if (f.from && f.to && f.from.getTime() > f.to.getTime()) throw badInput('filter.to', 'must not be before filter.from');
    const params = [f.action ?? null, partnerId, f.from ?? null, f.to ?? null];
    const size = pageSize(first);
    const before = decodeCursor('audit', after);
    const rows = await query<AuditEntry>(this.db, `SELECT ${COLUMNS} FROM security_audit WHERE ${WHERE} AND id < $5 ORDER BY security_audit.id DESC LIMIT $6`, [
      ...params,
      before ?? '9223372036854775807',
      size + 1,
    ]);
    // The filtered log's size only when asked for: a page walks the id index (or the action's), never the whole log.
    const total = lazyCount(
      async () => (await queryOne<{ count: number }>(this.db, `SELECT count(*) AS count FROM security_audit WHERE ${WHERE}`, params))!.count,
    );
    return toPage('audit', rows, size, total);
  }
}
