// A fresh database for one chaos run: on DATABASE_URL's server when it is set, else on an embedded
// PostgreSQL started for the run (and stopped after it).
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres';

export interface ChaosDatabase {
  url: string;
  name: string;
  /** Drops the database (and stops an embedded server). */
  drop(): Promise<void>;
}

export function withDatabase(serverUrl: string, database: string): string {
  const u = new URL(serverUrl);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Runs one statement on the server (CREATE/DROP DATABASE and the like). */
export async function admin(serverUrl: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function freshDatabase(serverUrl: string | null): Promise<ChaosDatabase> {
  const embedded = serverUrl ? null : await startEmbeddedPostgres({ dataDir: join('.data', `chaos-pg-${process.pid}`), persistent: false });
  const server = serverUrl ?? embedded!.url;
  const name = `loyalty_chaos_${randomBytes(5).toString('hex')}`;
  await admin(server, `CREATE DATABASE ${name}`);
  return {
    url: withDatabase(server, name),
    name,
    drop: async () => {
      try {
        await admin(server, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await embedded?.stop();
      }
    },
  };
}
