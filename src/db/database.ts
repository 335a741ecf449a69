// Where the database comes from: DATABASE_URL, or an embedded PostgreSQL under DATA_DIR.
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import type { Config } from '../config';
import { createDataSource } from './data-source';
import { startEmbeddedPostgres } from './embedded-postgres';

export interface Database {
  db: DataSource;
  url: string;
  embedded: boolean;
  close(): Promise<void>;
}

export async function openDatabase(config: Config): Promise<Database> {
  const embedded = config.databaseUrl ? null : await startEmbeddedPostgres({ dataDir: join(config.dataDir, 'pg'), persistent: true, callerHandlesSignals: true });
  const url = config.databaseUrl ?? embedded!.url;
  const db = createDataSource(url, config.dbPoolSize);
  try {
    await db.initialize();
    await db.runMigrations({ transaction: 'all' });
  } catch (err) {
    await embedded?.stop();
    throw err;
  }
  return {
    db,
    url,
    embedded: embedded !== null,
    close: async () => {
      if (db.isInitialized) await db.destroy();
      await embedded?.stop();
    },
  };
}
