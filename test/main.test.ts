// The README's start path end to end: the built server as a child process, with no DATABASE_URL,
// so it starts its own embedded PostgreSQL, migrates, seeds the demo coalition, prints
// credentials that work, answers health checks, and shuts everything down on SIGTERM.
import { ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let child: ChildProcess;
let output = '';
let dataDir: string;

function waitFor(pattern: RegExp, ms: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; output:\n${output}`)), ms);
    child.once('exit', (code) => reject(new Error(`server exited with ${code}; output:\n${output}`)));
    const check = () => {
      const m = output.match(pattern);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stdout!.on('data', check);
    child.stderr!.on('data', check);
    check();
  });
}

async function gql(url: string, query: string, token?: string) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query }),
  });
  return (await res.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
}

describe('npm start', () => {
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'loyalty-start-'));
    // As root, PostgreSQL runs as a 'postgres' user that must be able to enter this directory.
    chmodSync(dataDir, 0o755);
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', DATA_DIR: dataDir, NODE_ENV: 'development', LOG_LEVEL: 'warn' };
    delete env.DATABASE_URL;
    delete env.ADMIN_TOKEN;
    child = spawn(process.execPath, ['dist/src/main.js'], { env });
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
  }, 120_000);

  afterAll(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts an embedded PostgreSQL, seeds the demo and prints working credentials', async () => {
    const [, url] = await waitFor(/ready: (http:\/\/\S+)/, 90_000);
    await waitFor(/token:\n\s+(\S+)/, 5_000);
    expect(output).toContain('embedded PostgreSQL');
    const adminToken = output.match(/Admin token[^:]*: (\S+)/)![1]!;
    const cafeKey = output.match(/kopi-kita\s+(lgk_\S+)/)![1]!;
    const memberToken = output.match(/token:\n\s+(\S+)/)![1]!;

    expect((await gql(url!, '{ viewer }', adminToken)).data).toEqual({ viewer: 'admin' });
    expect((await gql(url!, '{ viewer }', cafeKey)).data).toEqual({ viewer: 'partner:kopi-kita' });
    const me = await gql(url!, '{ viewer partners { totalCount } tiers { name } }', memberToken);
    expect(me.data).toMatchObject({ partners: { totalCount: 3 }, tiers: [{ name: 'Bronze' }, { name: 'Silver' }, { name: 'Gold' }] });
    const memberId = (me.data!.viewer as string).replace('member:', '');
    const mine = await gql(url!, `{ member(id: "${memberId}") { balance { available } transactions { totalCount } } }`, memberToken);
    // Three purchases at three partners and one redemption at the café.
    expect(mine.data).toMatchObject({ member: { transactions: { totalCount: 4 } } });
    expect((mine.data!.member as { balance: { available: number } }).balance.available).toBeGreaterThan(0);

    const base = url!.replace('/graphql', '');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  }, 100_000);

  it('shuts down cleanly on SIGTERM, embedded PostgreSQL included', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    // PostgreSQL removes its pid file when it has stopped.
    expect(existsSync(join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);
  }, 30_000);
});
