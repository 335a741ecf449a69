// npm run points:expire — run the points-lifecycle jobs once (pending release, expiry, birthday
// bonuses: src/modules/lifecycle/jobs.ts), then exit. Uses DATABASE_URL, or the embedded PostgreSQL in
// DATA_DIR when no server is running on it.
import 'reflect-metadata';
import { loadConfig } from '../src/config';
import { openDatabase } from '../src/db/database';
import { runLifecycleJobs } from '../src/modules/lifecycle/jobs';
import { ensureCoalitionIssuer } from '../src/modules/partner/coalition';

async function main() {
  const config = loadConfig();
  const database = await openDatabase(config);
  try {
    const coalition = await ensureCoalitionIssuer(database.db, config.coalitionCurrency, config.coalitionPointValue);
    const result = await runLifecycleJobs(database.db, coalition);
    for (const [job, r] of Object.entries(result)) {
      console.log(r.ran ? `${job}: ${r.points} point(s) for ${r.members} member(s)` : `${job}: another instance is running it right now; nothing done`);
    }
    if (result.birthdays.skippedPartnerIds.length > 0) {
      console.warn(`birthdays: skipped partner(s) with no exchange rate in force: ${result.birthdays.skippedPartnerIds.join(', ')}`);
    }
  } finally {
    await database.close();
  }
}

main().catch((err) => {
  console.error('points lifecycle jobs failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
