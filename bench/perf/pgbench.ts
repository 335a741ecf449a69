// pgbench TPC-B on the same PostgreSQL server as the gateway, in a database of its own: the
// physical reference for "one transaction updating one account row" on this machine.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { admin as onServer, withDatabase } from '../chaos/database';

const run = promisify(execFile);

export interface PgbenchResult {
  tps: number;
  clients: number;
  scale: number;
  seconds: number;
  protocol: string;
}

export async function pgbenchAvailable(): Promise<boolean> {
  try {
    await run('pgbench', ['--version']);
    return true;
  } catch {
    return false;
  }
}

export async function pgbenchTpcb(serverUrl: string, opts = { scale: 10, clients: 8, seconds: 15, protocol: 'prepared' }): Promise<PgbenchResult> {
  const name = `loyalty_pgbench_${randomBytes(4).toString('hex')}`;
  await onServer(serverUrl, `CREATE DATABASE ${name}`);
  const url = withDatabase(serverUrl, name);
  try {
    await run('pgbench', ['-i', '-q', '-s', String(opts.scale), url], { maxBuffer: 1 << 24 });
    const { stdout } = await run('pgbench', ['-c', String(opts.clients), '-j', '2', '-T', String(opts.seconds), '-M', opts.protocol, url], {
      maxBuffer: 1 << 24,
    });
    const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(stdout) ?? /tps = ([\d.]+)/.exec(stdout);
    if (!tps) throw new Error(`could not read pgbench's tps from:\n${stdout}`);
    return { tps: Number(tps[1]), ...opts };
  } finally {
    await onServer(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}
