// A members file: each row a customer the joining partner brings. An existing coalition member
// (same email) is linked, not duplicated; a new one is enrolled exactly as enrollMember does.
// Opening points are a MIGRATION posting issued by the partner (it owes the coalition for them in
// settlement, at its burn rate in force), in lots with the row's expiry. The partner's own
// customer id (externalId) is recorded once: a row seen before is ALREADY_RECORDED, credits nothing.
// A batch is applied set-based (applyMany): enrolling, linking and crediting a statement each.
import type { Tx } from '../../db/sql';
import { query, queryOne } from '../../db/sql';
import { DomainError, ErrorCode, badInput } from '../../errors/domain-error';
import { postMany } from '../ledger/journal';
import { TransactionType } from '../ledger/points-transaction.entity';
import { lockWallets } from '../ledger/wallet';
import type { MemberService } from '../member/member.service';
import { validBirthDate, validDisplayName, validEmail } from '../member/member-fields';
import type { RawRow } from './import-file';
import type { StagedRow } from './import-jobs';
import { ImportRowFailure, RowError, optionalText, rowError, text } from './import-rows';
import { recordLinks } from '../linking/partner-link.service';

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
  const birthDate = optionalText(raw, 'birthDate');
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
    email: validEmail(text(raw, 'email', 254), 'email'),
    displayName: validDisplayName(text(raw, 'displayName', 255), 'displayName'),
    birthDate: birthDate === null ? null : validBirthDate(birthDate, 'birthDate'),
    externalId,
    openingPoints,
    pointsExpireAt,
  };
}

interface Known {
  refs: string[];
  members: { email: string; id: string }[];
  rateId: string | null;
  issuanceId: string;
}

export class MembersImport {
  constructor(private readonly members: MemberService) {}

  /**
   * A batch of rows in its transaction, set-based: a statement for what the database already
   * knows, one per kind of write for the whole batch. Rows are taken in file order, as if applied
   * one by one: a customer id seen earlier (before or in this batch) is ALREADY_RECORDED, an
   * address enrolled by an earlier row is linked. Answers the refused rows; nothing of them is written.
   */
  async applyMany(m: Tx, partnerId: string, rows: readonly StagedRow[], now: Date): Promise<RowError[]> {
    const errors: RowError[] = [];
    const refuse = (rowNo: number, err: unknown) => {
      const e = rowError(rowNo, err);
      if (!e) throw err;
      errors.push(e);
    };
    const valid: { rowNo: number; row: MemberRow }[] = [];
    for (const r of rows) {
      try {
        valid.push({ rowNo: r.rowNo, row: validRow(r.data, now) });
      } catch (err) {
        refuse(r.rowNo, err);
      }
    }
    if (valid.length === 0) return errors;
    const emails = [...new Set(valid.map((v) => v.row.email.toLowerCase()))];
    const known = (await queryOne<Known>(
      m,
      `SELECT (SELECT coalesce(array_agg(external_id), '{}') FROM partner_member_ref WHERE partner_id = $1 AND external_id = ANY($2::text[])) AS refs,
              (SELECT coalesce(json_agg(json_build_object('email', lower(email), 'id', id)), '[]') FROM member WHERE lower(email) = ANY($3::text[])) AS members,
              (SELECT id FROM exchange_rate WHERE partner_id = $1 AND effective_from <= now() ORDER BY effective_from DESC, version DESC LIMIT 1) AS "rateId",
              (SELECT id FROM account WHERE kind = 'PARTNER_ISSUANCE' AND partner_id = $1) AS "issuanceId"`,
      [partnerId, valid.map((v) => v.row.externalId), emails],
    ))!;
    const erased = await this.members.erasedAmong(m, emails);
    const refs = new Set(known.refs);
    const memberOf = new Map<string, string | null>(known.members.map((x) => [x.email, x.id]));

    // In file order: what each row does. A new address is enrolled once (its id known after the insert).
    const taken: { row: MemberRow; email: string; link: boolean }[] = [];
    const enrol: { email: string; displayName: string; birthDate: string | null }[] = [];
    for (const { rowNo, row } of valid) {
      try {
        if (refs.has(row.externalId))
          throw new ImportRowFailure('ALREADY_RECORDED', 'externalId', 'this customer was imported before; nothing new was written');
        if (row.openingPoints > 0 && !known.rateId) {
          throw new DomainError(ErrorCode.RATE_NOT_SET, 'openingPoints: the partner has no exchange rate in force to value them at', 'openingPoints');
        }
        const email = row.email.toLowerCase();
        const link = memberOf.has(email);
        if (!link) {
          if (erased.has(email)) throw badInput('email', 'this address belonged to a member who was erased at their request; it is not enrolled again');
          enrol.push({ email: row.email, displayName: row.displayName, birthDate: row.birthDate });
          memberOf.set(email, null);
        }
        refs.add(row.externalId);
        taken.push({ row, email, link });
      } catch (err) {
        refuse(rowNo, err);
      }
    }
    const enrolled = await this.members.enrollMany(m, partnerId, enrol);
    enrol.forEach((p, i) => memberOf.set(p.email.toLowerCase(), enrolled[i]!));
    const idOf = (t: (typeof taken)[number]) => memberOf.get(t.email)!;

    const linked = taken.filter((t) => t.link).map(idOf);
    await recordLinks(m, linked, partnerId, 'IMPORT');
    await query(m, `INSERT INTO partner_member_ref (partner_id, external_id, member_id) SELECT $1, x, id FROM unnest($2::text[], $3::uuid[]) AS r(x, id)`, [
      partnerId,
      taken.map((t) => t.row.externalId),
      taken.map(idOf),
    ]);

    // Opening points: a MIGRATION posting each, one postMany per round (a member twice in a batch
    // is credited in a second round, its wallet locked again with the first credit in it).
    let credits = taken.filter((t) => t.row.openingPoints > 0);
    while (credits.length > 0) {
      const round = new Map<string, (typeof taken)[number]>();
      const later: typeof credits = [];
      for (const c of credits) {
        if (round.has(idOf(c))) later.push(c);
        else round.set(idOf(c), c);
      }
      const wallets = await lockWallets(m, [...round.keys()]);
      await postMany(
        m,
        wallets.map((wallet) => {
          const { row } = round.get(wallet.memberId)!;
          return {
            type: TransactionType.MIGRATION,
            wallet,
            partnerId,
            points: row.openingPoints,
            counter: [{ accountId: known.issuanceId, amount: -row.openingPoints }],
            lifetimeDelta: row.openingPoints,
            issue: { lots: [{ partnerId, points: row.openingPoints }], expireAfterMonths: null, pendingDays: 0, expiresAt: row.pointsExpireAt },
            exchangeRateId: known.rateId,
            reason: `opening balance (${row.externalId})`,
          };
        }),
      );
      credits = later;
    }
    return errors;
  }
}
