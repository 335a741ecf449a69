// scripts/tour.sh (the README's curl tour) against a real gateway with the demo coalition: it runs
// twice on the same database, and stops at the first refused request with exit code 1 instead of
// going on with null ids.
import { execFile, execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, TestGateway } from './support/gateway';
import { mintDemoCredentials, seedDemoCoalition } from '../src/seed/demo-seed';

function has(tool: string): boolean {
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
// The script needs bash and node (this process is node); no curl or jq.
const missing = ['bash'].filter((t) => !has(t));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let gw: TestGateway;
let airlineKey: string;

/** Asynchronous: the gateway answering the script runs in this process. */
function tour(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile('bash', ['scripts/tour.sh', ...args], { env: { ...process.env, URL: gw.url, ...env }, timeout: 140_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

/** The JSON lines the tour printed, one per request, in order. */
const answers = (out: string) =>
  out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, any>);

describe.skipIf(missing.length > 0)(`scripts/tour.sh${missing.length ? ` (skipped: ${missing.join(', ')} not installed)` : ''}`, () => {
  beforeAll(async () => {
    gw = await startTestGateway();
    await seedDemoCoalition(gw.services);
    airlineKey = (await mintDemoCredentials(gw.services)).partners.find((p) => p.slug === 'nusantara-air')!.apiKey;
  });
  afterAll(() => gw?.stop());

  it('runs twice on the same database, each run with its own café and member, every step answered', { timeout: 300_000 }, async () => {
    const runs = [await tour([gw.adminToken, airlineKey]), await tour([gw.adminToken, airlineKey])];
    for (const run of runs) {
      expect(run.stderr, run.stdout).toBe('');
      expect(run.code).toBe(0);
      const a = answers(run.stdout);
      expect(a).toHaveLength(13);
      const [created, , , enrolled, earned, retried, balance, , , redeemed, reversed, settlement] = a;
      expect(created!.createPartner.slug).toMatch(/^teh-tarik-/);
      expect(enrolled!.enrollMember.tier.name).toBe('Bronze');
      expect(earned!.earnPoints).toMatchObject({ points: 60, balanceAfter: 60 });
      expect(retried!.earnPoints.id).toBe(earned!.earnPoints.id);
      expect(balance!.member.balance.available).toBe(60);
      expect(redeemed!.redeemReward).toMatchObject({ pointsSpent: 45, transaction: { balanceAfter: 15, partner: { slug: 'nusantara-air' } } });
      expect(reversed!.reverseTransaction).toMatchObject({ points: -30, balanceAfter: -15, reverses: { id: earned!.earnPoints.id } });
      expect(settlement!.settlement.map((l: { partner: { slug: string } }) => l.partner.slug)).toContain(created!.createPartner.slug);
    }
    const slugs = runs.map((r) => answers(r.stdout)[0]!.createPartner.slug);
    expect(slugs[0]).not.toBe(slugs[1]);
  });

  it('a refused request stops the tour with exit code 1 and says why; nothing after it runs', { timeout: 150_000 }, async () => {
    const run = await tour([gw.adminToken, 'lgk_00000000_not-a-key-at-all-not-a-key-at-al']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('tour: the gateway refused the request: [UNAUTHENTICATED]');
    expect(run.stdout).not.toMatch(/null/);
    expect(run.stdout).not.toContain('## 6.');
    // Steps 1–4 ran; the airline's step was refused and the tour ended there.
    expect(answers(run.stdout).map((a) => Object.keys(a)[0])).toEqual([
      'createPartner',
      'setExchangeRate',
      'createPartnerApiKey',
      'enrollMember',
      'earnPoints',
      'earnPoints',
      'viewer',
    ]);
  });

  it('the run tag of an earlier run again: it stops at once on the taken slug, exit code 1 (no null ids)', { timeout: 150_000 }, async () => {
    // A run of the first test, or one of its own when it runs alone.
    const earlier =
      (await gw.sql<{ slug: string }>(`SELECT slug FROM partner WHERE slug LIKE 'teh-tarik-%' LIMIT 1`))[0]?.slug ??
      (answers((await tour([gw.adminToken, airlineKey])).stdout)[0]!.createPartner.slug as string);
    const again = await tour([gw.adminToken, airlineKey], { TOUR_RUN: earlier.slice('teh-tarik-'.length) });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`tour: the gateway refused the request: [BAD_USER_INPUT] input.slug: "${earlier}" is already taken`);
    expect(answers(again.stdout)).toEqual([]);
    expect(again.stdout).not.toContain('## 2.');
  });

  it('without its two arguments it says how to call it', async () => {
    const run = await tour([]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('usage: bash scripts/tour.sh <admin token> <nusantara-air API key>');
  });
});
