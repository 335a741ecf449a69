// Once per run: a PostgreSQL server (DATABASE_URL's, or an embedded one when it is unset) and a
// template database with every migration applied. Each test file clones the template.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import type { TestProject } from 'vitest/node';
import { Client } from 'pg';
import { migrate } from '../../src/db/data-source';
import { startEmbeddedPostgres, EmbeddedDatabase } from '../../src/db/embedded-postgres';

declare module 'vitest' {
  export interface ProvidedContext {
    serverUrl: string;
    templateDatabase: string;
  }
}

/** postgres://…/<db> → the same server, another database. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

let embedded: EmbeddedDatabase | null = null;
let template = '';
let serverUrl = '';

export async function setup(project: TestProject): Promise<void> {
  // Tests that run the server as a child process (as `npm start` does) use the tsc build.
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', '.'], { stdio: 'inherit' });
  if (process.env.DATABASE_URL) {
    serverUrl = process.env.DATABASE_URL;
  } else {
    embedded = await startEmbeddedPostgres({ dataDir: join('.data', `test-pg-${process.pid}`), persistent: false });
    serverUrl = embedded.url;
  }
  template = `loyalty_tpl_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${template}`);
  await admin.end();
  await migrate(withDatabase(serverUrl, template));
  project.provide('serverUrl', serverUrl);
  project.provide('templateDatabase', template);
}

export async function teardown(): Promise<void> {
  try {
    const admin = new Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
    await admin.end();
  } finally {
    await embedded?.stop();
  }
}
