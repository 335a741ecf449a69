// Where the database comes from: DATABASE_URL, or an embedded PostgreSQL under DATA_DIR.
import { join } from 'node:path';
import type { Pool } from 'pg';
import type { Config } from '../config';
import { createPool, migrate } from './data-source';
import { embeddedClusterPlace, runningCluster, startEmbeddedPostgres } from './embedded-postgres';
import type { ClusterPlace } from './embedded-location';

export interface Database {
  db: Pool;
  url: string;
  /** null: DATABASE_URL. */
  embedded: EmbeddedInfo | null;
  close(): Promise<void>;
}

export interface EmbeddedInfo {
  place: ClusterPlace;
  /** true: a server another process started (a running gateway's); it is left running on close. */
  shared: boolean;
}

export async function openDatabase(
  config: Config,
  opts: {
    /** Aborted (a signal while starting): the embedded server is stopped if it came up, and this rejects. */
    signal?: AbortSignal;
    /** Use the embedded server another process (a running gateway) has up on DATA_DIR, if there is one, rather than refuse. */
    shareRunning?: boolean;
  } = {},
): Promise<Database> {
  const dataDir = join(config.dataDir, 'pg');
  let url = config.databaseUrl;
  let embedded: EmbeddedInfo | null = null;
  let stopEmbedded: () => Promise<void> = async () => undefined;
  if (url === null) {
    const place = embeddedClusterPlace(dataDir);
    const running = opts.shareRunning ? runningCluster(place.dir) : null;
    if (running) {
      if (running.status !== 'ready') throw new Error(`the embedded PostgreSQL in ${place.dir} is ${running.status}; try again in a moment`);
      url = running.url;
      embedded = { place, shared: true };
    } else {
      const started = await startEmbeddedPostgres({ dataDir, persistent: true, callerHandlesSignals: true, signal: opts.signal });
      url = started.url;
      embedded = { place: started.place, shared: false };
      stopEmbedded = started.stop;
    }
  }
  try {
    await migrate(url);
  } catch (err) {
    await stopEmbedded();
    throw err;
  }
  const db = createPool(url, config.dbPoolSize);
  return {
    db,
    url,
    embedded,
    close: async () => {
      await db.end();
      await stopEmbedded();
    },
  };
}
