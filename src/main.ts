// config → signal handlers → HTTP port → database → migrations → gateway → (demo seed). Ctrl-C, SIGTERM or
// a failed start stops what was started, in reverse order, and the process exits.
import 'reflect-metadata';
import { Config, ConfigError, loadConfig } from './config';
import { EmbeddedInfo, openDatabase } from './db/database';
import { Logger, createLogger } from './logger';
import { DemoCredentials, databaseIsEmpty, mintDemoCredentials, seedDemoCoalition } from './seed/demo-seed';
import { bindHttp, closeHttp } from './listen';
import { startGateway } from './server';
import { Shutdown } from './shutdown';

function banner(
  url: string,
  host: string | null,
  adminToken: string,
  adminTokenGenerated: boolean,
  embedded: EmbeddedInfo | null,
  demo: DemoCredentials | null,
  webApps: boolean,
): string {
  const lines = [
    '',
    `  Coalition loyalty gateway ready: ${url}`,
    host === '127.0.0.1' || host === '::1' || host === 'localhost'
      ? '  Listening on this machine only (set HOST=0.0.0.0 to accept connections from others)'
      : `  Listening on ${host === null || host === '0.0.0.0' || host === '::' ? 'every interface' : host}`,
    `  Database: ${embedded ? `embedded PostgreSQL (data in ${embedded.place.dir})` : 'DATABASE_URL'}`,
  ];
  if (embedded?.place.wanted) {
    lines.push(
      `    not in ${embedded.place.wanted}: the OS user "postgres" that PostgreSQL runs as cannot enter ${embedded.place.blockedAt}.`,
      `    To have it there: let that user enter ${embedded.place.blockedAt}, point DATA_DIR at a folder it can reach, run as a user other than root, or set DATABASE_URL.`,
    );
  }
  lines.push(`  Admin token${adminTokenGenerated ? ' (generated for this run; set ADMIN_TOKEN to fix it)' : ''}: ${adminToken}`);
  if (demo) {
    lines.push('  Demo partner API keys (new each start; older ones stay valid until revoked):');
    for (const p of demo.partners) lines.push(`    ${p.slug.padEnd(14)} ${p.apiKey}`);
    if (demo.member) lines.push(`  Demo member ${demo.member.email} (${demo.member.id}) token:`, `    ${demo.member.token}`);
    if (demo.staff) lines.push(`  Demo staff (OWNER) sign-in for the console: ${demo.staff.email} / ${demo.staff.password}`);
  }
  const origin = url.replace(/\/graphql$/, '');
  if (webApps) {
    // Deep links sign in directly (the token stays in the fragment: never sent to the server).
    lines.push('  Web apps (open in a browser; add ?lang=ms, th or id for another language):');
    lines.push(`    console  ${origin}/console#token=${adminToken}`);
    const till = demo?.partners[0];
    if (till) lines.push(`    till     ${origin}/till#key=${till.apiKey}   (${till.slug})`);
    if (demo?.member) lines.push(`    wallet   ${origin}/wallet#token=${demo.member.token}`);
  } else {
    lines.push('  Web apps not built (npm run build:web builds them into WEB_DIR, web/dist by default)');
  }
  lines.push('', `  Try: curl -s ${url} -H 'content-type: application/json' -d '{"query":"{ viewer tiers { name } }"}'`, '');
  return lines.join('\n');
}

async function main(shutdown: Shutdown, config: Config, logger: Logger): Promise<void> {
  // The port first: taken already, the process says so in a moment, with no database started.
  const http = await shutdown.track(
    'HTTP port',
    () => bindHttp(config.port, config.host),
    (b) => closeHttp(b.server),
  );
  const database = await shutdown.track(
    'database',
    () => openDatabase(config, { signal: shutdown.signal }),
    (d) => d.close(),
  );
  const gateway = await shutdown.track(
    'HTTP server',
    () => startGateway(config, database.db, logger, http.port, http),
    (g) => g.stop(),
  );

  let demo: DemoCredentials | null = null;
  if (config.seedDemo && !config.production) {
    if (await databaseIsEmpty(gateway.services)) {
      await seedDemoCoalition(gateway.services);
      logger.info('seeded the demo coalition');
    }
    demo = await mintDemoCredentials(gateway.services);
  }
  if (shutdown.stopping) return;
  console.log(banner(gateway.url, config.host, config.adminToken, config.adminTokenGenerated, database.embedded, demo, gateway.webApps));
}

let config: Config;
try {
  config = loadConfig();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(`Configuration error: ${err.message}`);
  process.exit(1);
}
const logger = createLogger(config.logLevel);
// Before anything starts: a signal at any point stops what has been started so far.
const shutdown = new Shutdown(logger);
main(shutdown, config, logger).catch((err) => {
  // Stopping already (a signal): what failed was start-up work cut short by it.
  if (shutdown.stopping) return;
  console.error('The gateway failed to start:', err instanceof Error ? err.message : err);
  void shutdown.exit(1, 'failed start');
});
