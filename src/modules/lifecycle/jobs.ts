// The scheduled points-lifecycle jobs, in the order they must run: expiry first (a lot that
// lapsed before a release is not made spendable by it). Each job takes its own advisory lock, so
// every instance may schedule them and one runs each at a time.
import { DataSource } from 'typeorm';
import { JobResult, expirePoints } from './expiry';

export interface LifecycleResult {
  expired: JobResult;
}

export async function runLifecycleJobs(db: DataSource, now: Date = new Date(), afterCommit: () => void = () => undefined): Promise<LifecycleResult> {
  const expired = await expirePoints(db, now, afterCommit);
  return { expired };
}
