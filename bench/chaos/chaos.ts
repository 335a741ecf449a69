// The chaos run: a fresh database, the built gateway as a child process, concurrent clients doing
// a random mix of writes and reads, the server SIGKILLed and restarted at random moments, then
// the books, the client log and the API checked against each other.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort } from '../../src/db/embedded-postgres';
import { accountingViolations, apiViolations, bookViolations, sqlOn } from './checks';
import { send } from './client';
import { freshDatabase } from './database';
import { GatewayProcess } from './gateway-process';
import { BalanceFollowers } from './live';
import { CREATE_KEY, CREATE_PARTNER, EARN, ENROL, ISSUE_TOKEN, LINK_CODE, LINK_MEMBER, SET_RATE, UPSERT_REWARD } from './operations';
import { childRng } from './rng';
import { MIX, runClient } from './workload';
import { ChaosPartner, ChaosReward, OpKind, OpRecord, World } from './world';

export interface ChaosOptions {
  seed: number;
  clients: number;
  /** How long clients start new operations. */
  seconds: number;
  kills: number;
  /** A PostgreSQL server to create the run's database on; null starts an embedded one. */
  serverUrl: string | null;
  /** Per-request timeout: past it the outcome is unknown. */
  timeoutMs?: number;
  /**
   * Every this many ms while the clients run, a connection of the run's own terminates every other
   * backend on the database (pg_terminate_backend: a failover, an admin, the OOM killer), whatever
   * the gateway uses it for: pool, transactions, LISTEN, rate limiter, job locks.
   */
  terminateEveryMs?: number;
  /** Members (of those set up) whose balanceChanged subscriptions stay open through the run. */
  followMembers?: number;
  /** Weights of the operation kinds, over the default mix (e.g. more refunds for a short run). */
  mix?: Partial<Record<OpKind, number>>;
  /** Client i starts with firstKinds[i % length]: a short run then does each of them for sure. */
  firstKinds?: OpKind[];
  /**
   * An opening earn of this amount for each member set up, before the clients start: a short run
   * then has points to redeem and earns to refund from its first operation.
   */
  openingEarn?: string;
  /** More environment for the gateway (overrides the run's defaults). */
  env?: Record<string, string>;
  print?: (line: string) => void;
}

export interface ChaosSummary {
  seed: number;
  clients: number;
  operations: number;
  outcomes: Record<OpKind, Record<string, number>>;
  kills: number;
  /** Backends terminated (terminateEveryMs). */
  terminated: number;
  /** Subscription events received, and how often a subscription had to resume with `after`. */
  live: { delivered: number; resubscribed: number; errors: Record<string, number> };
  /** Writes whose first outcome was unknown (or internal). */
  unknown: number;
  /** Extra attempts made for them. */
  retries: number;
  /** Unknown writes that turned out to have committed before the crash (the retry got them back). */
  replayed: number;
  unresolved: number;
  violations: string[];
  seconds: number;
  logFile: string;
}

const REWARDS: { cost: number; stock: number | null }[] = [
  { cost: 40, stock: null },
  { cost: 90, stock: 6 },
  { cost: 150, stock: 3 },
  { cost: 25, stock: 40 },
];
const SETUP_MEMBERS = 8;

async function must(url: string, query: string, variables: Record<string, unknown>, token: string): Promise<Record<string, any>> {
  const r = await send(url, query, variables, token, 30_000);
  if (r.kind !== 'ok') throw new Error(`chaos setup failed: ${JSON.stringify(r)}`);
  return r.data;
}

/**
 * Three partners with rates, keys and rewards (some with small stock), and a few members, each
 * linked to every partner (so the hot members redeem anywhere; a member enrolled during the run
 * redeems only at the partner that enrolled it, and is refused elsewhere).
 */
async function setUp(url: string, adminToken: string, runId: string, records: OpRecord[], openingEarn?: string): Promise<World> {
  const partners: ChaosPartner[] = [];
  const rewards: ChaosReward[] = [];
  for (const [i, earnRate] of ['1', '2', '0.5'].entries()) {
    const { createPartner } = await must(url, CREATE_PARTNER, { input: { slug: `chaos-${runId}-${i}`, name: `Chaos ${i}`, currencyCode: 'MYR' } }, adminToken);
    await must(url, SET_RATE, { input: { partnerId: createPartner.id, earnRate, burnRate: '0.01' } }, adminToken);
    const { createPartnerApiKey } = await must(url, CREATE_KEY, { partnerId: createPartner.id }, adminToken);
    const partner = { id: createPartner.id, apiKey: createPartnerApiKey, scope: `partner:${createPartner.id}` };
    partners.push(partner);
    for (const r of REWARDS) {
      const { upsertReward } = await must(url, UPSERT_REWARD, { input: { name: `Chaos ${i} ${r.cost}`, pointsCost: r.cost, stock: r.stock } }, partner.apiKey);
      rewards.push({ id: upsertReward.id, partner, cost: r.cost, stock: r.stock });
    }
  }
  const world = new World(partners, rewards);
  for (let i = 0; i < SETUP_MEMBERS; i++) {
    const email = `${runId}-setup-${i}@chaos.example`;
    const { enrollMember } = await must(url, ENROL, { input: { email, displayName: `Setup ${i}` } }, partners[i % partners.length]!.apiKey);
    world.members.push(enrollMember.id);
    records.push({
      client: -1,
      seq: i,
      kind: 'enrol',
      scope: partners[i % partners.length]!.scope,
      key: email,
      first: 'ok',
      final: 'ok',
      resultId: enrollMember.id,
      attempts: 1,
    });
    const { issueMemberToken } = await must(url, ISSUE_TOKEN, { memberId: enrollMember.id }, partners[i % partners.length]!.apiKey);
    for (const [j, partner] of partners.entries()) {
      if (j === i % partners.length) continue;
      const { createPartnerLinkCode } = await must(url, LINK_CODE, { memberId: enrollMember.id }, issueMemberToken);
      await must(url, LINK_MEMBER, { code: createPartnerLinkCode.code }, partner.apiKey);
    }
    if (openingEarn) {
      const partner = partners[i % partners.length]!;
      const key = `${runId}-opening-${i}`;
      const input = { memberId: enrollMember.id, amount: openingEarn, currencyCode: 'MYR', externalRef: `rcpt-${key}`, idempotencyKey: key };
      const { earnPoints } = await must(url, EARN, { input }, partner.apiKey);
      world.earns.push({ id: earnPoints.id, partner, points: earnPoints.points });
      records.push({
        client: -1,
        seq: i,
        kind: 'earn',
        scope: partner.scope,
        key,
        externalRef: input.externalRef,
        first: 'ok',
        final: 'ok',
        resultId: earnPoints.id,
        attempts: 1,
      });
    }
  }
  return world;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One kill in each of `kills` equal slices of the run, at a random moment away from its edges. */
function killSchedule(seed: number, kills: number, ms: number): number[] {
  const rng = childRng(seed, 1_000_000);
  const slice = ms / kills;
  const margin = Math.min(2000, slice / 4);
  return Array.from({ length: kills }, (_, k) => Math.round(k * slice + margin + rng() * (slice - 2 * margin)));
}

export async function runChaos(opts: ChaosOptions): Promise<ChaosSummary> {
  const print = opts.print ?? (() => undefined);
  const started = Date.now();
  const runId = `s${opts.seed}-${randomBytes(3).toString('hex')}`;
  const database = await freshDatabase(opts.serverUrl);
  const adminToken = `adm_chaos_${randomBytes(12).toString('hex')}`;
  const gateway = new GatewayProcess(await freePort(), {
    DATABASE_URL: database.url,
    ADMIN_TOKEN: adminToken,
    NODE_ENV: 'production',
    SEED_DEMO: 'false',
    LOG_LEVEL: 'warn',
    // This run is about crashes, not budgets: 64 clients through three keys would hit the limits.
    RATE_LIMIT_PARTNER_WRITES: '0',
    RATE_LIMIT_MEMBER_WRITES: '0',
    ...opts.env,
  });
  const records: OpRecord[] = [];
  const violations: string[] = [];
  let kills = 0;
  let terminated = 0;
  let followers: BalanceFollowers | null = null;
  try {
    await gateway.start();
    const world = await setUp(gateway.url, adminToken, runId, records, opts.openingEarn);
    print(`chaos: seed ${opts.seed}, ${opts.clients} clients for ${opts.seconds} s, ${opts.kills} kills, database ${database.name}`);
    if (opts.followMembers) {
      followers = new BalanceFollowers(gateway.url.replace(/^http/, 'ws'));
      // Each with its enrolling partner's key (setUp enrols member i at partner i mod 3), so the
      // socket authenticates and reads through the database as a partner's app would.
      for (let i = 0; i < Math.min(opts.followMembers, world.members.length); i++) {
        followers.follow(world.members[i]!, world.partners[i % world.partners.length]!.apiKey);
      }
    }

    const t0 = Date.now();
    const until = t0 + opts.seconds * 1000;
    const mix = { ...MIX, ...opts.mix };
    const clients = Array.from({ length: opts.clients }, (_, client) =>
      runClient({
        url: gateway.url,
        world,
        rng: childRng(opts.seed, client),
        client,
        runId,
        until,
        retryUntil: until + 90_000,
        timeoutMs: opts.timeoutMs ?? 10_000,
        records,
        mix,
        first: opts.firstKinds?.[client % opts.firstKinds.length],
        // Nothing restarts a server that crashed on its own: retrying against it only waits.
        abandoned: () => gateway.crashes.length > 0,
      }),
    );
    const killer = (async () => {
      for (const at of killSchedule(opts.seed, opts.kills, opts.seconds * 1000)) {
        await sleep(Math.max(0, t0 + at - Date.now()));
        const inFlight = records.length;
        await gateway.kill();
        kills++;
        const down = Date.now();
        await gateway.start();
        print(`chaos: SIGKILL ${kills} at +${((down - t0) / 1000).toFixed(1)} s (${inFlight} operations so far); back in ${Date.now() - down} ms`);
      }
    })();
    const terminator = opts.terminateEveryMs
      ? (async () => {
          const pg = new Client({ connectionString: database.url, application_name: 'chaos-terminator' });
          await pg.connect();
          try {
            while (Date.now() < until) {
              const { rows } = await pg.query(
                `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
                  WHERE datname = current_database() AND pid <> pg_backend_pid()`,
              );
              terminated += rows[0].n;
              await sleep(opts.terminateEveryMs!);
            }
          } finally {
            await pg.end();
          }
        })()
      : Promise.resolve();
    await Promise.all([...clients, killer, terminator]);

    const pg = new Client({ connectionString: database.url });
    await pg.connect();
    try {
      const sql = sqlOn(pg);
      violations.push(...(await bookViolations(sql, world.rewards)));
      violations.push(...(await accountingViolations(sql, records, SETUP_MEMBERS)));
      violations.push(...(await apiViolations(sql, gateway.url, adminToken)));
      if (followers) {
        const stored = async (memberId: string) =>
          (await sql<{ id: string }>(`SELECT id FROM outbox_event WHERE member_id = $1 AND topic = 'BALANCE_CHANGED' ORDER BY id`, [memberId])).map((r) =>
            Number(r.id),
          );
        violations.push(...(await followers.converge(stored, 15_000)));
        violations.push(...followers.misordered.slice(0, 10).map((m) => `subscription delivered twice or out of order: ${m}`));
        for (const e of followers.errors.filter((e) => e.code === 'INTERNAL_SERVER_ERROR' || e.code === 'uncoded').slice(0, 10)) {
          violations.push(`a subscription got an internal error: ${e.message.slice(0, 200)}`);
        }
        // 44xx (forbidden, unauthorized…) tells a client to give up, 4500 is an internal error.
        for (const e of followers.errors.filter((e) => /^CLOSED_4[45]\d\d$/.test(e.code)).slice(0, 10)) {
          violations.push(`a subscription's socket was closed with ${e.message.slice(0, 200)}`);
        }
      }
    } finally {
      await pg.end();
    }
    for (const r of records.filter((r) => r.internal)) violations.push(`${r.kind} ${r.key}: internal error ${r.internal![0]}`);
    const unresolved = records.filter((r) => r.final === 'unresolved' && r.kind !== 'read').length;
    if (unresolved > 0) violations.push(`${unresolved} writes got no definite answer within 90 s of retries`);
    if (kills !== opts.kills) violations.push(`${kills} kills instead of ${opts.kills}`);
    for (const line of gateway.errorLines.slice(0, 10)) violations.push(`the server logged an error: ${logged(line)}`);
  } catch (err) {
    violations.push(`the run itself failed: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    // Only kills may end the server: any other exit (an unhandled 'error' event, say) is a crash.
    for (const crash of gateway.crashes) violations.push(`the gateway crashed: ${crash}`);
    await followers?.stop();
    await gateway.stop();
    await database.drop();
  }

  const logFile = join(tmpdir(), `chaos-${runId}.jsonl`);
  writeFileSync(logFile, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const kinds: OpKind[] = ['enrol', 'earn', 'redeem', 'reverseEarn', 'reverseRedeem', 'read'];
  const outcomes = Object.fromEntries(kinds.map((k) => [k, {} as Record<string, number>])) as ChaosSummary['outcomes'];
  // The clients' operations (not what setUp wrote before them).
  const operations = records.filter((r) => r.client >= 0);
  for (const r of operations) outcomes[r.kind][r.final] = (outcomes[r.kind][r.final] ?? 0) + 1;
  const unknown = records.filter((r) => r.first === 'unknown' || r.first === 'internal');
  return {
    seed: opts.seed,
    clients: opts.clients,
    operations: operations.length,
    outcomes,
    kills,
    terminated,
    live: {
      delivered: followers?.delivered ?? 0,
      resubscribed: followers?.resubscriptions ?? 0,
      errors: (followers?.errors ?? []).reduce<Record<string, number>>((n, e) => ({ ...n, [e.code]: (n[e.code] ?? 0) + 1 }), {}),
    },
    unknown: unknown.filter((r) => r.kind !== 'read').length,
    retries: unknown.reduce((s, r) => s + r.attempts - 1, 0),
    replayed: records.filter((r) => r.replayed).length,
    unresolved: records.filter((r) => r.final === 'unresolved' && r.kind !== 'read').length,
    violations,
    seconds: Math.round((Date.now() - started) / 100) / 10,
    logFile,
  };
}

/** A pino error line, short: its message, the error's, and where in the gateway's code it was thrown. */
function logged(line: string): string {
  try {
    const { msg, err } = JSON.parse(line) as { msg?: string; err?: { type?: string; message?: string; stack?: string } };
    const at = err?.stack
      ?.split('\n')
      .find((l) => /\/src\//.test(l) && !/node_modules/.test(l))
      ?.trim();
    return [msg, err && `${err.type}: ${err.message}`, at].filter(Boolean).join(' — ').slice(0, 500);
  } catch {
    return line.slice(0, 300);
  }
}

export function formatSummary(s: ChaosSummary): string {
  const lines = [
    `chaos summary (seed ${s.seed}; replay with CHAOS_SEED=${s.seed})`,
    `  operations ${s.operations} by ${s.clients} clients in ${s.seconds} s; kills ${s.kills}; backends terminated ${s.terminated}`,
    ...Object.entries(s.outcomes).map(
      ([kind, o]) =>
        `    ${kind.padEnd(14)} ${
          Object.entries(o)
            .map(([k, n]) => `${k} ${n}`)
            .join(', ') || '—'
        }`,
    ),
    `  unknown writes ${s.unknown}, retries ${s.retries}, committed before the crash and replayed ${s.replayed}, unresolved ${s.unresolved}`,
    ...(s.live.delivered || s.live.resubscribed
      ? [
          `  subscriptions: ${s.live.delivered} events, resumed ${s.live.resubscribed} times; errors ${
            Object.entries(s.live.errors)
              .map(([k, n]) => `${k} ${n}`)
              .join(', ') || 'none'
          }`,
        ]
      : []),
    `  violations ${s.violations.length}`,
    ...s.violations.slice(0, 30).map((v) => `    ✗ ${v}`),
    `  client log: ${s.logFile}`,
  ];
  return lines.join('\n');
}
