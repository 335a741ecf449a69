import type { Pool, Tx } from '../../db/sql';
import { badInput, notFound } from '../../errors/domain-error';
import { requireId } from '../../errors/ids';
import { requireText } from '../../errors/text';
import { isCurrencyCode } from '../../money/decimal';
import { query, queryOne } from '../../db/sql';
import { pgConstraint, pgErrorCode, withTransaction } from '../../db/transaction';
import { Page, decodeCursor, pageSize, toPage } from '../../db/pagination';
import { PARTNER_COLUMNS, Partner, PartnerStatus } from './partner.entity';
import { AuditAction, AuditActor, AuditTargetType, SYSTEM_ACTOR, recordAudit } from '../audit/audit-trail';

export interface CreatePartner {
  slug: string;
  name: string;
  currencyCode: string;
}

export class PartnerService {
  constructor(private readonly db: Pool) {}

  async create(input: CreatePartner, actor: AuditActor = SYSTEM_ACTOR, outer?: Tx): Promise<Partner> {
    const slug = input.slug.trim().toLowerCase();
    if (!/^[a-z0-9][a-z0-9-]{1,62}$/.test(slug)) {
      throw badInput('input.slug', 'use 2–63 lowercase letters, digits and dashes, starting with a letter or digit');
    }
    const name = requireText(input.name.trim(), 'input.name');
    if (name.length < 1 || name.length > 255) throw badInput('input.name', 'must be 1 to 255 characters');
    const currencyCode = input.currencyCode.trim().toUpperCase();
    if (!isCurrencyCode(currencyCode)) throw badInput('input.currencyCode', `"${input.currencyCode}" is not an ISO 4217 currency code`);
    try {
      return await withTransaction(
        this.db,
        async (m) => {
          const partner = (await queryOne<Partner>(m, `INSERT INTO partner (slug, name, currency_code) VALUES ($1, $2, $3) RETURNING ${PARTNER_COLUMNS}`, [
            slug,
            name,
            currencyCode,
          ]))!;
          // Its issuance account: the counter-side of every point it issues (balance derived, never updated).
          await query(m, `INSERT INTO account (kind, partner_id) VALUES ('PARTNER_ISSUANCE', $1)`, [partner.id]);
          await recordAudit(m, {
            actor,
            action: AuditAction.PARTNER_CREATED,
            targetType: AuditTargetType.PARTNER,
            targetId: partner.id,
            partnerId: partner.id,
            previous: null,
            current: { slug, name, currencyCode, status: partner.status },
          });
          return partner;
        },
        outer,
      );
    } catch (err) {
      if (pgErrorCode(err) === '23505' && pgConstraint(err) === 'partner_slug_key') {
        throw badInput('input.slug', `"${slug}" is already taken`);
      }
      throw err;
    }
  }

  async setStatus(partnerIdInput: string, status: PartnerStatus, actor: AuditActor = SYSTEM_ACTOR): Promise<Partner> {
    const partnerId = requireId(partnerIdInput, 'partnerId');
    return withTransaction(this.db, async (m) => {
      const before = await queryOne<{ status: PartnerStatus }>(m, `SELECT status FROM partner WHERE id = $1 FOR UPDATE`, [partnerId]);
      if (!before) throw notFound('partnerId', 'partner');
      const partner = (await queryOne<Partner>(m, `UPDATE partner SET status = $2 WHERE id = $1 RETURNING ${PARTNER_COLUMNS}`, [partnerId, status]))!;
      await recordAudit(m, {
        actor,
        action: AuditAction.PARTNER_STATUS_CHANGED,
        targetType: AuditTargetType.PARTNER,
        targetId: partnerId,
        partnerId,
        previous: { status: before.status },
        current: { status },
      });
      return partner;
    });
  }

  async byIds(ids: readonly string[]): Promise<Partner[]> {
    return query<Partner>(this.db, `SELECT ${PARTNER_COLUMNS} FROM partner WHERE id = ANY($1::uuid[])`, [ids]);
  }

  async list(first: number | undefined, after: string | undefined): Promise<Page<Partner>> {
    const size = pageSize(first);
    const afterSeq = decodeCursor('partner', after) ?? 0;
    const [rows, total] = await Promise.all([
      query<Partner>(this.db, `SELECT ${PARTNER_COLUMNS} FROM partner WHERE seq > $1 AND NOT is_coalition ORDER BY seq LIMIT $2`, [afterSeq, size + 1]),
      queryOne<{ count: number }>(this.db, `SELECT count(*) AS count FROM partner WHERE NOT is_coalition`),
    ]);
    return toPage('partner', rows, size, total!.count);
  }
}
