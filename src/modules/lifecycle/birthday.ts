// The birthday bonus: members with a birthDate get program_settings.birthday_bonus_points,
// coalition-funded, on their birthday (UTC date of `now`; a 29 February birthday is celebrated on
// 28 February in other years), once per member and year — member_bonus (member, BIRTHDAY, year),
// checked under the wallet lock, so a second run (or instance) writes nothing. The job runs with
// the others (jobs.ts) every POINTS_LIFECYCLE_INTERVAL_SECONDS, so any run on the day gives it.
import { DataSource } from 'typeorm';
import { query } from '../../db/sql';
import { withTransaction } from '../../db/transaction';
import { PointsSource } from '../earning/earning.types';
import { lockWallet } from '../ledger/wallet';
import type { CoalitionIssuer } from '../partner/coalition';
import { bonusGiven, creditBonus, recordBonus } from './bonus';
import { JobResult } from './expiry';
import { withJobLock } from './job-lock';
import { ProgramSettingsService } from './program-settings.service';

// Arbitrary, fixed: the advisory lock key of this job ("bday" in ASCII).
const BIRTHDAY_LOCK = 0x62646179;

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export async function grantBirthdayBonuses(
  db: DataSource,
  coalition: CoalitionIssuer,
  now: Date = new Date(),
  afterCommit: () => void = () => undefined,
): Promise<JobResult> {
  return withJobLock<JobResult>(db, BIRTHDAY_LOCK, { ran: false, members: 0, points: 0 }, async () => {
    const { birthdayBonusPoints: points } = await ProgramSettingsService.read(db);
    if (points <= 0) return { ran: true, members: 0, points: 0 };
    const year = now.getUTCFullYear();
    const monthDay = now.toISOString().slice(5, 10);
    const days = monthDay === '02-28' && !isLeap(year) ? ['02-28', '02-29'] : [monthDay];
    const members = await query<{ id: string }>(
      db,
      `SELECT m.id FROM member m
        WHERE m.birth_date IS NOT NULL AND to_char(m.birth_date, 'MM-DD') = ANY($1::text[])
          AND NOT EXISTS (SELECT 1 FROM member_bonus b WHERE b.member_id = m.id AND b.kind = 'BIRTHDAY' AND b.period = $2)`,
      [days, String(year)],
    );
    let done = 0;
    for (const { id } of members) {
      const given = await withTransaction(db, async (m) => {
        const wallet = await lockWallet(m, id, 'memberId');
        if (await bonusGiven(m, id, 'BIRTHDAY', String(year))) return false;
        const tx = await creditBonus(m, coalition, id, wallet, { source: PointsSource.BIRTHDAY, points, reason: `birthday ${year}` });
        await recordBonus(m, id, 'BIRTHDAY', String(year), tx);
        return true;
      });
      if (given) done++;
    }
    if (done > 0) afterCommit();
    return { ran: true, members: done, points: done * points };
  });
}
