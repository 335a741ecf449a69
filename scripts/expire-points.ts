// npm run points:expire — run the points-lifecycle jobs once (pending release, expiry, birthday
// bonuses: src/modules/lifecycle/jobs.ts), then exit. Uses DATABASE_URL, else the embedded
// PostgreSQL in DATA_DIR: the one a running gateway has up (left running), or its own for the run.
import 'reflect-metadata';
import { loadConfig } from '../src/config';
import { openDatabase } from '../src/db/database';
import { createLogger } from '../src/logger';
import { runLifecycleJobs } from '../src/modules/lifecycle/jobs';
import { ensureCoalitionIssuer } from '../src/modules/partner/coalition';
import { Shutdown } from '../src/shutdown';

async function main(shutdown: Shutdown) {
  const config = loadConfig();
  const database = await shutdown.track(
    'database',
    () => openDatabase(config, { signal: shutdown.signal, shareRunning: true }),
    (d) => d.close(),
  );
  const coalition = await ensureCoalitionIssuer(database.db, config.coalitionCurrency, config.coalitionPointValue);
  const result = await runLifecycleJobs(database.db, coalition);
  for (const [job, r] of Object.entries(result)) {
    console.log(r.ran ? `${job}: ${r.points} point(s) for ${r.members} member(s)` : `${job}: another instance is running it right now; nothing done`);
  }
  if (result.birthdays.skippedPartnerIds.length > 0) {
    console.warn(`birthdays: skipped partner(s) with no exchange rate in force: ${result.birthdays.skippedPartnerIds.join(', ')}`);
  }
}

const shutdown = new Shutdown(createLogger('warn'));
main(shutdown).then(
  () => shutdown.exit(0, 'done'),
  (err) => {
    if (shutdown.stopping) return;
    console.error('points lifecycle jobs failed:', err instanceof Error ? err.message : err);
    void shutdown.exit(1, 'failure');
  },
);
