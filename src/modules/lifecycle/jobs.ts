// The scheduled points-lifecycle jobs, in order: pending points are released first, so points
// whose lot lapsed while still pending expire in the same run; then unused redemption codes past
// their validity give their points back, before points expiry for the same reason; birthday
// bonuses last. Each job
// takes its own advisory lock, so every instance may schedule them and one runs each at a time.
import type { Pool } from '../../db/sql';
import type { CoalitionIssuer } from '../partner/coalition';
import { BirthdayResult, grantBirthdayBonuses } from './birthday';
import { JobResult, expirePoints } from './expiry';
import { releasePendingPoints } from './pending';
import { expireRedemptions } from './redemption-expiry';

export interface LifecycleResult {
  released: JobResult;
  redemptionsExpired: JobResult;
  expired: JobResult;
  birthdays: BirthdayResult;
}

export async function runLifecycleJobs(db: Pool, coalition: CoalitionIssuer, now: Date = new Date()): Promise<LifecycleResult> {
  const released = await releasePendingPoints(db, now);
  const redemptionsExpired = await expireRedemptions(db, now);
  const expired = await expirePoints(db, now);
  const birthdays = await grantBirthdayBonuses(db, coalition, now);
  return { released, redemptionsExpired, expired, birthdays };
}
