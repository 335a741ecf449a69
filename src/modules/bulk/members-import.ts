// A members file: each row a customer the joining partner brings. An existing coalition member
// (same email) is linked, not duplicated; a new one is enrolled exactly as enrollMember does.
// Opening points are a MIGRATION posting issued by the partner (it owes the coalition for them in
// settlement, at its burn rate in force), in lots with the row's expiry. The partner's own
// customer id (externalId) is recorded once: a row seen before is ALREADY_RECORDED, credits nothing.
import type { Tx } from '../../db/sql';
import { query, queryOne } from '../../db/sql';
import { DomainError, ErrorCode, badInput } from '../../errors/domain-error';
import { post } from '../ledger/journal';
import { TransactionType } from '../ledger/points-transaction.entity';
import { lockWallet } from '../ledger/wallet';
import { recordLink } from '../linking/partner-link.service';
import type { MemberService } from '../member/member.service';
import type { RawRow } from './import-file';
import { ImportRowFailure, text, optionalText } from './import-rows';

export const MEMBER_COLUMNS_REQUIRED = ['email', 'displayName', 'externalId'] as const;
const MAX_OPENING_POINTS = 2_147_483_647;

interface MemberRow {
  email: string;
  displayName: string;
  birthDate: string | null;
  externalId: string;
  openingPoints: number;
  pointsExpireAt: Date | null;
}

function validRow(raw: RawRow, now: Date): MemberRow {
  const points = optionalText(raw, 'openingPoints');
  if (points !== null && !/^\d{1,10}$/.test(points)) throw badInput('openingPoints', 'a whole number of points, 0 or more');
  const openingPoints = points === null ? 0 : Number(points);
  if (openingPoints > MAX_OPENING_POINTS) throw badInput('openingPoints', `at most ${MAX_OPENING_POINTS}`);
  const expires = optionalText(raw, 'pointsExpireAt');
  const pointsExpireAt = expires === null ? null : new Date(/^\d{4}-\d{2}-\d{2}$/.test(expires) ? `${expires}T00:00:00Z` : expires);
  if (pointsExpireAt && (Number.isNaN(pointsExpireAt.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(expires!))) {
    throw badInput('pointsExpireAt', 'an ISO 8601 date or date-time');
  }
  if (pointsExpireAt && pointsExpireAt.getTime() <= now.getTime()) throw badInput('pointsExpireAt', 'already past: points that have expired are not migrated');
  const externalId = text(raw, 'externalId', 255);
  return {
    email: text(raw, 'email', 254),
    displayName: text(raw, 'displayName', 255),
    birthDate: optionalText(raw, 'birthDate'),
    externalId,
    openingPoints,
    pointsExpireAt,
  };
}

export class MembersImport {
  constructor(private readonly members: MemberService) {}

  /** One row, in the batch's transaction. Throws a DomainError (row refused) before writing anything. */
  async apply(m: Tx, partnerId: string, raw: RawRow, now: Date): Promise<void> {
    const row = validRow(raw, now);
    const seen = await queryOne(m, `SELECT 1 FROM partner_member_ref WHERE partner_id = $1 AND external_id = $2`, [partnerId, row.externalId]);
    if (seen) throw new ImportRowFailure('ALREADY_RECORDED', 'externalId', 'this customer was imported before; nothing new was written');
    let rateId: string | null = null;
    if (row.openingPoints > 0) {
      rateId =
        (
          await queryOne<{ id: string }>(
            m,
            `SELECT id FROM exchange_rate WHERE partner_id = $1 AND effective_from <= now() ORDER BY effective_from DESC, version DESC LIMIT 1`,
            [partnerId],
          )
        )?.id ?? null;
      if (!rateId) throw new DomainError(ErrorCode.RATE_NOT_SET, 'openingPoints: the partner has no exchange rate in force to value them at', 'openingPoints');
    }
    const existing = await queryOne<{ id: string }>(m, `SELECT id FROM member WHERE lower(email) = lower($1)`, [row.email]);
    let memberId: string;
    if (existing) {
      memberId = existing.id;
      await recordLink(m, memberId, partnerId, 'IMPORT');
    } else {
      memberId = (await this.members.enroll({ email: row.email, displayName: row.displayName, birthDate: row.birthDate }, partnerId, 'system', m)).id;
    }
    await query(m, `INSERT INTO partner_member_ref (partner_id, external_id, member_id) VALUES ($1, $2, $3)`, [partnerId, row.externalId, memberId]);
    if (row.openingPoints === 0) return;
    const issuance = (await queryOne<{ id: string }>(m, `SELECT id FROM account WHERE kind = 'PARTNER_ISSUANCE' AND partner_id = $1`, [partnerId]))!;
    const wallet = await lockWallet(m, memberId);
    await post(m, {
      type: TransactionType.MIGRATION,
      wallet,
      partnerId,
      points: row.openingPoints,
      counter: [{ accountId: issuance.id, amount: -row.openingPoints }],
      lifetimeDelta: row.openingPoints,
      issue: { lots: [{ partnerId, points: row.openingPoints }], expireAfterMonths: null, pendingDays: 0, expiresAt: row.pointsExpireAt },
      exchangeRateId: rateId,
      reason: `opening balance (${row.externalId})`,
    });
  }
}
