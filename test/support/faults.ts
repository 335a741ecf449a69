// Fault injection helpers: a connection of the test's own to the gateway's database, to hold
// locks and to terminate the gateway's backends (pg_terminate_backend) the way a failover, an
// admin or the OOM killer would.
import { Client } from 'pg';
import type { GqlResult } from './gateway';

export async function injector(dbUrl: string, name = 'fault-injector'): Promise<Client> {
  const client = new Client({ connectionString: dbUrl, application_name: name });
  await client.connect();
  // The test's own connections never take part in a deadlock hunt: the gateway's backends detect it.
  await client.query(`SET deadlock_timeout = '30s'`);
  return client;
}

/**
 * Terminates the gateway's backends on this database matching `where` (on pg_stat_activity), at
 * most `limit` of them picked at random; returns how many.
 */
export async function terminateGatewayBackends(client: Client, where = 'true', limit = 1000): Promise<number> {
  const { rows } = await client.query(
    `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS n FROM (
       SELECT pid FROM pg_stat_activity
        WHERE datname = current_database() AND application_name LIKE 'loyalty-gateway%' AND pid <> pg_backend_pid() AND (${where})
        ORDER BY random() LIMIT $1) victims`,
    [limit],
  );
  return rows[0].n;
}

export async function countBackends(client: Client, where: string): Promise<number> {
  const { rows } = await client.query(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND (${where})`,
  );
  return rows[0].n;
}

export async function eventually(check: () => Promise<boolean>, ms = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * What a client may see while the database fails under it: success, or an error with a code that
 * is not INTERNAL_SERVER_ERROR — never a 500. Returns the code ('ok' for success).
 */
export function cleanOutcome(r: GqlResult<unknown>): string {
  if (r.status >= 500 && r.status !== 503) return `HTTP ${r.status}`;
  if (!r.errors?.length) return r.data ? 'ok' : 'no data';
  const code = r.errors[0]!.extensions?.code;
  return typeof code === 'string' ? code : 'uncoded';
}
