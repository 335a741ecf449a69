// npm run tiers:evaluate — run the tier downgrade evaluation once, then exit. Uses DATABASE_URL,
// else the embedded PostgreSQL in DATA_DIR: the one a running gateway has up (left running), or
// its own for the run.
import 'reflect-metadata';
import { loadConfig } from '../src/config';
import { openDatabase } from '../src/db/database';
import { createLogger } from '../src/logger';
import { evaluateTiers } from '../src/modules/tier/tier-evaluation';
import { TierService } from '../src/modules/tier/tier.service';
import { Shutdown } from '../src/shutdown';

async function main(shutdown: Shutdown) {
  const config = loadConfig();
  const database = await shutdown.track(
    'database',
    () => openDatabase(config, { signal: shutdown.signal, shareRunning: true }),
    (d) => d.close(),
  );
  const result = await evaluateTiers(database.db, new TierService(database.db));
  console.log(result.ran ? `tier evaluation done: ${result.downgraded} member(s) downgraded` : 'another instance is evaluating tiers right now; nothing done');
}

const shutdown = new Shutdown(createLogger('warn'));
main(shutdown).then(
  () => shutdown.exit(0, 'done'),
  (err) => {
    if (shutdown.stopping) return;
    console.error('tier evaluation failed:', err instanceof Error ? err.message : err);
    void shutdown.exit(1, 'failure');
  },
);
