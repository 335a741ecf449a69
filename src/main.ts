// config → database → migrations → (demo seed) → HTTP server. Ctrl-C stops it all cleanly.
import 'reflect-metadata';
import { ConfigError, loadConfig } from './config';
import { openDatabase } from './db/database';
import { createLogger } from './logger';
import { DemoCredentials, databaseIsEmpty, mintDemoCredentials, seedDemoCoalition } from './seed/demo-seed';
import { startGateway } from './server';

function banner(url: string, adminToken: string, adminTokenGenerated: boolean, embedded: boolean, demo: DemoCredentials | null): string {
  const lines = [
    '',
    `  Coalition loyalty gateway ready: ${url}`,
    `  Database: ${embedded ? 'embedded PostgreSQL (data in .data/pg)' : 'DATABASE_URL'}`,
    `  Admin token${adminTokenGenerated ? ' (generated for this run; set ADMIN_TOKEN to fix it)' : ''}: ${adminToken}`,
  ];
  if (demo) {
    lines.push('  Demo partner API keys (new each start; older ones stay valid until revoked):');
    for (const p of demo.partners) lines.push(`    ${p.slug.padEnd(14)} ${p.apiKey}`);
    if (demo.member) lines.push(`  Demo member ${demo.member.email} (${demo.member.id}) token:`, `    ${demo.member.token}`);
  }
  lines.push('', `  Try: curl -s ${url} -H 'content-type: application/json' -d '{"query":"{ viewer tiers { name } }"}'`, '');
  return lines.join('\n');
}

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`Configuration error: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  const database = await openDatabase(config);
  const gateway = await startGateway(config, database.db, logger);

  let demo: DemoCredentials | null = null;
  if (config.seedDemo && !config.production) {
    if (await databaseIsEmpty(gateway.services)) {
      await seedDemoCoalition(gateway.services);
      logger.info('seeded the demo coalition');
    }
    demo = await mintDemoCredentials(gateway.services);
  }
  console.log(banner(gateway.url, config.adminToken, config.adminTokenGenerated, database.embedded, demo));

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    try {
      await gateway.stop();
      logger.debug('HTTP server drained');
      await database.close();
      logger.debug('database closed');
      process.exit(0);
    } catch (err) {
      logger.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err) => {
  console.error('The gateway failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
