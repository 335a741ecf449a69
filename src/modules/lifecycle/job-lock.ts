// Scheduled lifecycle jobs run on one instance at a time: a session-level PostgreSQL advisory
// lock held on a dedicated connection for the run. An instance that cannot take it skips the run.
import type { Pool } from '../../db/sql';
import { isConnectionError } from '../../db/connection-errors';

export async function withJobLock<T>(db: Pool, key: number, skipped: T, run: () => Promise<T>): Promise<T> {
  const client = await db.connect();
  let lost: Error | undefined;
  try {
    const { rows } = await client.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock($1) AS locked`, [key]);
    if (!rows[0]!.locked) return skipped;
    try {
      return await run();
    } finally {
      await client.query(`SELECT pg_advisory_unlock($1)`, [key]).catch((err: unknown) => {
        // The lock's connection was lost (terminated, a failover): the lock ended with its session,
        // nothing is left to unlock, and the run's own outcome is the one to report.
        if (!isConnectionError(err)) throw err;
        lost = err as Error;
      });
    }
  } catch (err) {
    if (isConnectionError(err)) lost = err as Error;
    throw err;
  } finally {
    client.release(lost ?? false);
  }
}
