// Where the embedded PostgreSQL's cluster and binaries live. Run as root, PostgreSQL runs as the
// OS user `postgres`, which must be able to enter every directory above both. In a clone such as
// /root/app (/root is 0700) it can reach neither, and initdb fails with a bare `spawn … EACCES`.
// There the binaries are linked (or copied) into, and the cluster made under, a directory of our
// own in /var/tmp that the user can enter, keyed by the path the cluster would have had; nothing
// of the user's is chmod-ed. The banner says where the data went.
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
  chmodSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/** The OS user PostgreSQL runs as: its ids (null: the current user, i.e. not root). */
export interface RunAs {
  uid: number;
  gid: number;
}

export interface DirStat {
  mode: number;
  uid: number;
  gid: number;
}

/**
 * Can `who` enter a directory with these owner and mode bits? The owner's bits apply to its owner,
 * then the group's, then the others' — as the kernel checks. Only the primary group counts: a
 * process spawned with another uid has its supplementary groups dropped.
 */
export function canEnter(dir: DirStat, who: RunAs): boolean {
  if (who.uid === 0) return true;
  if (dir.uid === who.uid) return (dir.mode & 0o100) !== 0;
  if (dir.gid === who.gid) return (dir.mode & 0o010) !== 0;
  return (dir.mode & 0o001) !== 0;
}

/** The first directory on the way to `path` (itself included, when it exists) that `who` cannot enter; null when it can reach it. */
export function firstBlocked(path: string, who: RunAs, stat: (p: string) => DirStat | null = statOrNull): string | null {
  const chain: string[] = [];
  for (let p = resolve(path); ; p = dirname(p)) {
    chain.unshift(p);
    if (dirname(p) === p) break;
  }
  for (const dir of chain) {
    const s = stat(dir);
    if (s === null) return null; // missing from here down: we create it, enterable (see ensureDir)
    if (!canEnter(s, who)) return dir;
  }
  return null;
}

function statOrNull(p: string): DirStat | null {
  try {
    return statSync(p);
  } catch {
    return null;
  }
}

export interface ClusterPlace {
  /** Where the cluster is (or will be made). */
  dir: string;
  /** The directory the user asked for, when the cluster is elsewhere because PostgreSQL cannot reach it. */
  wanted: string | null;
  /** The directory that user cannot enter, on the way to `wanted` (or to `dir` when it must stay there). */
  blockedAt: string | null;
}

/**
 * The decision, on facts gathered by `placeCluster`. A cluster that exists is never abandoned:
 * the one in the project is used if there is one, then one made earlier in the shared place;
 * a new one goes to the project unless PostgreSQL cannot reach it there.
 */
export function chooseClusterPlace(facts: {
  wanted: string;
  shared: string;
  wantedExists: boolean;
  sharedExists: boolean;
  wantedBlockedAt: string | null;
}): ClusterPlace {
  if (facts.wantedExists) return { dir: facts.wanted, wanted: null, blockedAt: facts.wantedBlockedAt };
  if (facts.sharedExists || facts.wantedBlockedAt !== null) return { dir: facts.shared, wanted: facts.wanted, blockedAt: facts.wantedBlockedAt };
  return { dir: facts.wanted, wanted: null, blockedAt: null };
}

/** Our directory for relocated clusters and binaries: persistent across reboots where /var/tmp exists. */
export function sharedRoot(): string {
  return join(existsSync('/var/tmp') ? '/var/tmp' : tmpdir(), 'coalition-loyalty-gateway');
}

/** The shared place for a cluster wanted at `wanted`: one per wanted path, so every process that asks for it finds the same one. */
export function sharedClusterDir(wanted: string, root = sharedRoot()): string {
  const key = createHash('sha256').update(resolve(wanted)).digest('hex').slice(0, 16);
  return join(root, key, 'pg');
}

export function placeCluster(wanted: string, runAs: RunAs | null): ClusterPlace {
  const dir = resolve(wanted);
  if (runAs === null) return { dir, wanted: null, blockedAt: null };
  const shared = sharedClusterDir(dir);
  return chooseClusterPlace({
    wanted: dir,
    shared,
    wantedExists: existsSync(join(dir, 'PG_VERSION')),
    sharedExists: existsSync(join(shared, 'PG_VERSION')),
    // Its parents only: the cluster directory itself is handed to that user when it is made.
    wantedBlockedAt: firstBlocked(dirname(dir), runAs),
  });
}

/**
 * mkdir -p, every directory it creates made enterable (0755) whatever the umask; and under our
 * shared root, refused unless root owns it and only root may write it (it is in a world-writable
 * directory: anyone else could have made it first and filled it).
 */
export function ensureDir(path: string, root = sharedRoot()): void {
  const missing: string[] = [];
  for (let p = resolve(path); !existsSync(p); p = dirname(p)) missing.unshift(p);
  for (const p of missing) {
    mkdirSync(p);
    chmodSync(p, 0o755);
  }
  if (resolve(path).startsWith(root + '/') || resolve(path) === root) {
    for (let p = resolve(path); p.startsWith(root); p = dirname(p)) {
      const s = lstatSync(p);
      if (!s.isDirectory() || s.uid !== process.getuid?.() || (s.mode & 0o022) !== 0) {
        throw new Error(`refusing to use ${p}: it must be a directory owned by this user and writable by no one else; remove it and start again`);
      }
    }
  }
}

/**
 * The PostgreSQL binaries (`native/` of the platform package) where `runAs` can execute them: in
 * place when it can reach them, else a hard-linked (or copied) tree in the shared root, made once
 * per package version and complete before it is renamed into place.
 */
export function reachableBinaries(nativeDir: string, version: string, runAs: RunAs | null, root = sharedRoot()): string {
  if (runAs === null || firstBlocked(nativeDir, runAs) === null) return nativeDir;
  const target = join(root, `postgres-${version}-${process.platform}-${process.arch}`);
  if (existsSync(join(target, '.complete'))) return target;
  ensureDir(root, root);
  rmSync(target, { recursive: true, force: true });
  const building = `${target}.${process.pid}.tmp`;
  rmSync(building, { recursive: true, force: true });
  copyTree(nativeDir, building);
  writeFileSync(join(building, '.complete'), '');
  try {
    renameSync(building, target);
  } catch (err) {
    // Another process finished the same tree first: use that one.
    rmSync(building, { recursive: true, force: true });
    if (!existsSync(join(target, '.complete'))) throw err;
  }
  return target;
}

function copyTree(from: string, to: string): void {
  mkdirSync(to);
  chmodSync(to, 0o755);
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const src = join(from, entry.name);
    const dst = join(to, entry.name);
    if (entry.isDirectory()) copyTree(src, dst);
    else if (entry.isSymbolicLink()) symlinkSync(readlinkSync(src), dst);
    else {
      try {
        linkSync(src, dst);
      } catch {
        copyFileSync(src, dst);
        chmodSync(dst, statSync(src).mode & 0o777);
      }
    }
  }
}
