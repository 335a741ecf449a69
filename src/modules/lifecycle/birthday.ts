// The birthday bonus: members with a birthDate get program_settings.birthday_bonus_points,
// coalition-funded, on their birthday (UTC date of `now`; a 29 February birthday is celebrated on
// 28 February in other years), once per member and year — member_bonus (member, BIRTHDAY, year),
// checked under the wallet lock, so a second run (or instance) writes nothing. A partner that
// configures its own birthday reward (partner.birthday_bonus_points) gives it too, partner-funded,
// to its customers — members it enrolled or who earned there in the last 12 months — once per
// year as well (period "<year>:<partner id>"). The job runs with the others (jobs.ts) every
// POINTS_LIFECYCLE_INTERVAL_SECONDS, so any run on the day gives it.
import type { Pool } from '../../db/sql';
import { query } from '../../db/sql';
import { withTransaction } from '../../db/transaction';
import { Funder, PointsSource } from '../earning/earning.types';
import { lockWallets } from '../ledger/wallet';
import type { CoalitionIssuer } from '../partner/coalition';
import { bonusesGiven, creditBonuses, recordBonuses } from './bonus';
import { JobResult } from './expiry';
import { withJobLock } from './job-lock';
import { ProgramSettingsService } from './program-settings.service';

// Arbitrary, fixed: the advisory lock key of this job ("bday" in ASCII).
const BIRTHDAY_LOCK = 0x62646179;

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Members per transaction. */
const BATCH = 100;

export interface BirthdayResult extends JobResult {
  /** Issuers whose gifts were due but left for a later run: no exchange rate in force to record. */
  skippedPartnerIds: string[];
}

export async function grantBirthdayBonuses(db: Pool, coalition: CoalitionIssuer, now: Date = new Date()): Promise<BirthdayResult> {
  return withJobLock<BirthdayResult>(db, BIRTHDAY_LOCK, { ran: false, members: 0, points: 0, skippedPartnerIds: [] }, async () => {
    const { birthdayBonusPoints } = await ProgramSettingsService.read(db);
    const year = now.getUTCFullYear();
    const monthDay = now.toISOString().slice(5, 10);
    const days = monthDay === '02-28' && !isLeap(year) ? ['02-28', '02-29'] : [monthDay];
    // Every gift due today and not given yet: the coalition's (issuer NULL) and each partner's.
    // A bonus records its issuer's rate in force (creditBonus, at the database's now()); a partner
    // that has none yet is skipped, so one misconfigured partner never stops everyone's birthday.
    const due = await query<{ memberId: string; partnerId: string | null; accountId: string | null; points: number; hasRate: boolean }>(
      db,
      `WITH due AS (
         SELECT m.id, m.enrolled_by_partner FROM member m
          -- Only members whose points may move: not blocked, merged or erased (member/member-status.ts).
          -- month × 100 + day: the expression of the index member_birthday (to_char cannot be indexed).
          WHERE m.birth_date IS NOT NULL AND (extract(month FROM m.birth_date) * 100 + extract(day FROM m.birth_date)) = ANY($1::numeric[])
            AND m.status = 'ACTIVE'),
       gifts AS (
         SELECT due.id AS member_id, NULL::uuid AS partner_id, NULL::uuid AS account_id, $3::bigint AS points FROM due WHERE $3::bigint > 0
         UNION ALL
         SELECT due.id, p.id, a.id, p.birthday_bonus_points FROM due
           JOIN partner p ON p.birthday_bonus_points > 0 AND p.status = 'ACTIVE' AND NOT p.is_coalition
           JOIN account a ON a.partner_id = p.id AND a.kind = 'PARTNER_ISSUANCE'
          WHERE due.enrolled_by_partner = p.id
             OR EXISTS (SELECT 1 FROM ledger_transaction t WHERE t.member_id = due.id AND t.partner_id = p.id AND t.type = 'EARN'
                          AND t.created_at > $4::timestamptz - interval '12 months'))
       SELECT g.member_id AS "memberId", g.partner_id AS "partnerId", g.account_id AS "accountId", g.points,
              EXISTS (SELECT 1 FROM exchange_rate r WHERE r.partner_id = coalesce(g.partner_id, $5) AND r.effective_from <= now()) AS "hasRate"
         FROM gifts g
        WHERE NOT EXISTS (SELECT 1 FROM member_bonus b WHERE b.member_id = g.member_id AND b.kind = 'BIRTHDAY'
                            AND b.period = $2 || coalesce(':' || g.partner_id::text, ''))
        ORDER BY g.member_id, g.partner_id NULLS FIRST`,
      [days.map((d) => Number(d.replace('-', ''))), String(year), birthdayBonusPoints, now, coalition.partnerId],
    );
    const gifts = due.filter((g) => g.hasRate);
    const skippedPartnerIds = [...new Set(due.filter((g) => !g.hasRate).map((g) => g.partnerId ?? coalition.partnerId))];
    const members = new Set<string>();
    let points = 0;
    // A batch of members per transaction: their wallets locked in one statement, what was given
    // meanwhile read in one, every gift posted in one and recorded in one.
    const memberIds = [...new Set(gifts.map((g) => g.memberId))];
    for (let i = 0; i < memberIds.length; i += BATCH) {
      const batch = new Set(memberIds.slice(i, i + BATCH));
      const mine = gifts.filter((g) => batch.has(g.memberId)).map((g) => ({ ...g, period: g.partnerId ? `${year}:${g.partnerId}` : String(year) }));
      const given = await withTransaction(db, async (m) => {
        const wallets = new Map((await lockWallets(m, [...batch])).map((w) => [w.memberId, w]));
        const already = await bonusesGiven(m, 'BIRTHDAY', mine);
        const fresh = mine.filter((g) => !already.has(`${g.memberId} ${g.period}`) && wallets.has(g.memberId));
        const txs = await creditBonuses(
          m,
          fresh.map((g) => ({
            issuer: g.partnerId ? { partnerId: g.partnerId, issuanceAccountId: g.accountId! } : coalition,
            wallet: wallets.get(g.memberId)!,
            bonus: { source: PointsSource.BIRTHDAY, points: g.points, reason: `birthday ${year}`, funder: g.partnerId ? Funder.PARTNER : Funder.COALITION },
          })),
        );
        await recordBonuses(
          m,
          'BIRTHDAY',
          fresh.map((g, k) => ({ memberId: g.memberId, period: g.period, transactionId: txs[k]! })),
        );
        return fresh;
      });
      for (const gift of given) {
        members.add(gift.memberId);
        points += gift.points;
      }
    }
    return { ran: true, members: members.size, points, skippedPartnerIds };
  });
}
