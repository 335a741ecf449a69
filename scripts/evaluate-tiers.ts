// npm run tiers:evaluate — run the tier downgrade evaluation once, then exit. Uses DATABASE_URL,
// or the embedded PostgreSQL in DATA_DIR when no server is running on it.
import 'reflect-metadata';
import { loadConfig } from '../src/config';
import { openDatabase } from '../src/db/database';
import { evaluateTiers } from '../src/modules/tier/tier-evaluation';
import { TierService } from '../src/modules/tier/tier.service';

async function main() {
  const config = loadConfig();
  const database = await openDatabase(config);
  try {
    const result = await evaluateTiers(database.db, new TierService(database.db));
    console.log(result.ran ? `tier evaluation done: ${result.downgraded} member(s) downgraded` : 'another instance is evaluating tiers right now; nothing done');
  } finally {
    await database.close();
  }
}

main().catch((err) => {
  console.error('tier evaluation failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
