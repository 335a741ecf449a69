// A real gateway for one test file: its own database cloned from the template, a real HTTP
// server on a free port, and a typed GraphQL client over fetch.
import type { Pool } from '../../src/db/sql';
import { randomBytes } from 'node:crypto';
import { print } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { Client } from 'pg';
import { inject } from 'vitest';
import { loadConfig } from '../../src/config';
import { createPool } from '../../src/db/data-source';
import { createLogger, type Logger } from '../../src/logger';
import { startGateway } from '../../src/server';
import type { Services } from '../../src/app/services';
import { withDatabase } from './global-setup';

export interface GqlError {
  message: string;
  extensions?: { code?: string; field?: string; [k: string]: unknown };
}

export interface GqlResult<T> {
  status: number;
  data: T | null | undefined;
  errors?: GqlError[];
}

export interface TestGateway {
  url: string;
  wsUrl: string;
  /** METRICS_PORT's port when the env asked for one (METRICS_PORT: '0' picks a free one). */
  metricsPort: number | null;
  dbUrl: string;
  db: Pool;
  services: Services;
  adminToken: string;
  gql<T, V>(doc: TypedDocumentNode<T, V>, variables?: V, token?: string | null): Promise<GqlResult<T>>;
  /** Like gql, but fails the test unless the call succeeded; returns data. */
  ok<T, V>(doc: TypedDocumentNode<T, V>, variables?: V, token?: string | null): Promise<T>;
  sql<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  stop(): Promise<void>;
}

/** A database of its own for a test that runs gateway processes on it: migrated and empty; `drop` removes it. */
export async function newTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const { url, name } = await cloneTemplate();
  return {
    url,
    drop: async () => {
      const admin = new Client({ connectionString: inject('serverUrl') });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** One GraphQL request over HTTP to any gateway (a child process's too). */
export async function gqlAt<T, V>(
  url: string,
  doc: TypedDocumentNode<T, V>,
  variables?: V,
  token?: string | null,
  headers: Record<string, string> = {},
): Promise<GqlResult<T>> {
  const h: Record<string, string> = { 'content-type': 'application/json', ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  const res = await fetch(url, { method: 'POST', headers: h, body: JSON.stringify({ query: print(doc), variables }) });
  const body = (await res.json()) as { data?: T | null; errors?: GqlError[] };
  return { status: res.status, data: body.data, errors: body.errors };
}

async function cloneTemplate(): Promise<{ url: string; name: string }> {
  const serverUrl = inject('serverUrl');
  const name = `loyalty_test_${randomBytes(5).toString('hex')}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${inject('templateDatabase')}`);
  } finally {
    await admin.end();
  }
  return { url: withDatabase(serverUrl, name), name };
}

/** `logger`: where the gateway logs (default: fatal only, or TEST_LOG_LEVEL); see support/log-capture.ts. */
export async function startTestGateway(env: Record<string, string> = {}, logger?: Logger): Promise<TestGateway> {
  const { url: dbUrl, name } = await cloneTemplate();
  return startGatewayOn(
    dbUrl,
    env,
    async () => {
      const admin = new Client({ connectionString: inject('serverUrl') });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
    logger,
  );
}

/** A gateway on a database the caller made (and migrated); `cleanup` runs after it stops. */
export async function startGatewayOn(
  dbUrl: string,
  env: Record<string, string> = {},
  cleanup: () => Promise<void> = async () => undefined,
  logger: Logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'fatal'),
): Promise<TestGateway> {
  const adminToken = `adm_test_${randomBytes(12).toString('hex')}`;
  const config = loadConfig({ NODE_ENV: 'test', ADMIN_TOKEN: adminToken, DATABASE_URL: dbUrl, PORT: '0', ...env });
  const db = createPool(dbUrl, config.dbPoolSize);
  const gateway = await startGateway(config, db, logger, 0);

  async function gql<T, V>(doc: TypedDocumentNode<T, V>, variables?: V, token?: string | null): Promise<GqlResult<T>> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await fetch(gateway.url, { method: 'POST', headers, body: JSON.stringify({ query: print(doc), variables }) });
    const body = (await res.json()) as { data?: T | null; errors?: GqlError[] };
    return { status: res.status, data: body.data, errors: body.errors };
  }

  return {
    url: gateway.url,
    wsUrl: gateway.url.replace(/^http/, 'ws'),
    metricsPort: gateway.metricsPort,
    dbUrl,
    db,
    services: gateway.services,
    adminToken,
    gql,
    async ok(doc, variables, token) {
      const r = await gql(doc, variables, token);
      if (r.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(r.errors)}`);
      return r.data!;
    },
    async sql(text, params = []) {
      return (await db.query(text, params)).rows;
    },
    async stop() {
      await gateway.stop();
      await db.end();
      await cleanup();
    },
  };
}
