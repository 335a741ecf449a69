// npm run bench — throughput and latency of the gateway against PostgreSQL's own limit, in one
// run on one machine (see bench/README.md). Environment:
//   DATABASE_URL      a PostgreSQL server to create the run's fresh databases on; unset: embedded
//   BENCH_SECONDS     seconds per HTTP load step (10)     BENCH_MEMBERS   members (10000)
//   BENCH_SUBSCRIBERS live subscribers (10000)            BENCH_LIVE_RATE earns/s during live push (200)
//   BENCH_GATEWAY_NODE_ARGS node flags for the server, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
//   BENCH_STEPS       the steps to run, comma-separated (all): pgbench, earn, hot, dashboard,
//                     trivial, live, earns-import, kernel-ceiling, members-import
//   BENCH_CEILING_LANES the kernel-ceiling step's lane counts, comma-separated (1,2)
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { Client } from 'pg';
import { benchGateway } from './bench-gateway';
import { buildCoalition, earnBody } from './coalition';
import { LoadResult, load } from './load';
import { livePush } from './live-push';
import { DASHBOARD, TRIVIAL } from './operations';
import { pgbenchAvailable, pgbenchTpcb } from './pgbench';
import { earnsImport, membersImport } from './imports';
import { KernelCeilingResult, kernelCeiling } from './kernel-ceiling';

function whole(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new Error(`${name} must be a whole number, got "${raw}"`);
  return Number(raw);
}

const log = (line: string) => console.log(`[bench] ${line}`);

function laneCounts(): number[] {
  const raw = process.env.BENCH_CEILING_LANES ?? '1,2';
  const counts = raw.split(',').map((s) => s.trim());
  if (counts.some((c) => !/^[1-9]\d*$/.test(c))) throw new Error(`BENCH_CEILING_LANES must be whole numbers separated by commas, got "${raw}"`);
  return counts.map(Number);
}

const STEPS = ['pgbench', 'earn', 'hot', 'dashboard', 'trivial', 'live', 'earns-import', 'kernel-ceiling', 'members-import'] as const;
type Step = (typeof STEPS)[number];

function chosenSteps(): Set<Step> {
  const raw = process.env.BENCH_STEPS;
  if (raw === undefined || raw.trim() === '') return new Set(STEPS);
  const names = raw.split(',').map((s) => s.trim());
  const unknown = names.find((n) => !(STEPS as readonly string[]).includes(n));
  if (unknown !== undefined) throw new Error(`BENCH_STEPS: unknown step "${unknown}" (one of ${STEPS.join(', ')})`);
  return new Set(names as Step[]);
}

async function postgresSettings(url: string): Promise<Record<string, string>> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ name: string; setting: string }>(
      `SELECT name, setting || coalesce(unit, '') AS setting FROM pg_settings
        WHERE name IN ('server_version', 'shared_buffers', 'max_connections', 'fsync', 'synchronous_commit', 'wal_level', 'commit_delay', 'max_wal_size')`,
    );
    return Object.fromEntries(rows.map((r) => [r.name, r.setting]));
  } finally {
    await c.end();
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const seconds = whole('BENCH_SECONDS', 10);
  const memberCount = whole('BENCH_MEMBERS', 10_000);
  const subscribers = Math.min(memberCount, whole('BENCH_SUBSCRIBERS', 10_000));
  const liveRate = whole('BENCH_LIVE_RATE', 200);
  // Bulk steps: an earns file of this many rows (0 skips it) and a members file (likewise).
  const earnFileRows = whole('BENCH_IMPORT_EARNS', 200_000);
  const memberFileRows = whole('BENCH_IMPORT_MEMBERS', 1_000_000);
  const runId = randomBytes(3).toString('hex');
  const steps = chosenSteps();
  const serverUrl = process.env.DATABASE_URL || null;

  const { database, gateway, adminToken } = await benchGateway('bench', {
    RATE_LIMIT_MEMBER_WRITES: '100000000',
    // The live-push step opens its 10,000 subscribers from this one address.
    LIVE_MAX_SOCKETS_PER_IP: '0',
    IMPORT_MAX_ROWS: String(Math.max(earnFileRows, memberFileRows, 1)),
  });
  const pgServer = new URL(database.url);
  pgServer.pathname = '/postgres';
  try {
    log(`database ${serverUrl ? 'on DATABASE_URL' : 'embedded PostgreSQL'}; starting the gateway (NODE_ENV=production)`);
    await gateway.start();
    const settings = await postgresSettings(database.url);

    log(`seeding ${memberCount} members across 3 partners, 200 of them with 21 transactions`);
    const t = Date.now();
    const coalition = await buildCoalition(gateway.url, adminToken, { members: memberCount, dashboardMembers: 200, historyLength: 21, runId });
    log(`seeded in ${((Date.now() - t) / 1000).toFixed(1)} s`);

    let pgbench = null;
    if (!steps.has('pgbench')) log('pgbench skipped (BENCH_STEPS)');
    else if (await pgbenchAvailable()) {
      log('pgbench TPC-B, scale 10, 8 clients, prepared protocol');
      pgbench = await pgbenchTpcb(pgServer.toString(), { scale: 10, clients: 8, seconds: 15, protocol: 'prepared' });
    } else log('pgbench is not on the PATH: no reference figure');

    const { members, partners } = coalition;
    const earnRequest = (pickMember: (n: number) => number, tag: string) => (n: number) => {
      const partner = partners[n % partners.length]!;
      const ref = `${tag}-${runId}-${n}`;
      const member = members[pickMember(n)]!;
      return { token: partner.apiKey, body: earnBody(partner, member, ref) };
    };
    const http: LoadResult[] = [];
    for (const c of steps.has('earn') ? [8, 32, 64] : []) {
      log(`earnPoints, ${c} clients, distinct members`);
      // Consecutive requests go to members far apart, so the requests in flight never share one.
      http.push(
        await load(
          `earn c=${c}`,
          gateway.url,
          c,
          seconds,
          earnRequest((n) => (n * 7919) % members.length, `e${c}`),
        ),
      );
    }
    if (steps.has('hot')) {
      log('earnPoints, 64 clients on 10 hot members');
      http.push(
        await load(
          'earn hot c=64/10',
          gateway.url,
          64,
          seconds,
          earnRequest((n) => n % 10, 'hot'),
        ),
      );
    }

    const dash = coalition.dashboardMembers;
    if (steps.has('dashboard')) {
      log('member dashboard (balance, tier, next tier, 20 transactions with partners), 32 clients');
      http.push(
        await load('dashboard c=32', gateway.url, 32, seconds, (n) => {
          const m = dash[n % dash.length]!;
          return { token: m.token, body: JSON.stringify({ query: DASHBOARD, variables: { id: m.id } }) };
        }),
      );
    }
    if (steps.has('trivial')) {
      log('trivial query { viewer }, 32 clients');
      http.push(
        await load('trivial c=32', gateway.url, 32, seconds, (n) => {
          const m = dash[n % dash.length]!;
          return { token: m.token, body: JSON.stringify({ query: TRIVIAL }) };
        }),
      );
    }

    let live = null;
    if (steps.has('live')) {
      log(`live push: ${subscribers} graphql-ws subscribers, ${liveRate} earns/s for ${seconds} s`);
      live = await livePush(gateway.url, gateway.pid!, coalition, { subscribers, earnsPerSecond: liveRate, seconds, runId });
    }

    const imports = [];
    if (earnFileRows > 0 && steps.has('earns-import')) {
      log(`earns import: a ${earnFileRows}-row CSV file at one partner`);
      imports.push(await earnsImport(gateway.url, database.url, gateway.pid!, adminToken, coalition, earnFileRows, runId));
    }
    // The same earns straight through the ledger kernel: the most any import could reach here.
    const ceilings: KernelCeilingResult[] = [];
    if (earnFileRows > 0 && steps.has('kernel-ceiling')) {
      for (const lanes of laneCounts()) {
        log(`kernel ceiling: ${earnFileRows} earns posted straight by the journal, 1,000 a transaction, ${lanes} lane(s)`);
        ceilings.push(await kernelCeiling(database.url, coalition, earnFileRows, lanes));
      }
    }
    if (memberFileRows > 0 && steps.has('members-import')) {
      log(`members import: a ${memberFileRows}-row CSV file with opening points (server memory sampled every 200 ms)`);
      imports.push(await membersImport(gateway.url, database.url, gateway.pid!, adminToken, coalition, memberFileRows, runId));
    }
    const earnFile = imports.find((i) => i.kind === 'EARNS');
    const memberFile = imports.find((i) => i.kind === 'MEMBERS');

    const byLabel = (l: string) => http.find((r) => r.label === l);
    const earn32 = byLabel('earn c=32');
    const dashboard = byLabel('dashboard c=32');
    const trivial = byLabel('trivial c=32');
    const ratios = {
      earnTps32OverPgbench: pgbench && earn32 ? earn32.rps / pgbench.tps : null,
      dashboardOverTrivial: dashboard && trivial ? dashboard.rps / trivial.rps : null,
      importedEarnsOverPgbench: pgbench && earnFile ? earnFile.rowsPerSecond / pgbench.tps : null,
      kernelCeilingOverPgbench: pgbench && ceilings.length ? Math.max(...ceilings.map((c) => c.rowsPerSecond)) / pgbench.tps : null,
    };
    const targets = {
      earnAtLeastPgbench: ratios.earnTps32OverPgbench === null ? null : ratios.earnTps32OverPgbench >= 1,
      dashboardAtLeastHalfTrivial: ratios.dashboardOverTrivial === null ? null : ratios.dashboardOverTrivial >= 0.5,
      livePushP99Under100ms: live ? live.p99Ms < 100 && live.delivered === live.earns : null,
      importedEarnsAtLeast10xPgbench: ratios.importedEarnsOverPgbench === null ? null : ratios.importedEarnsOverPgbench >= 10,
      membersImportMemoryUnder150Mb: memberFile ? memberFile.serverRssPeakMb - memberFile.serverRssBeforeMb < 150 : null,
    };

    console.log('');
    console.log(`machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; node ${process.version}`);
    console.log(
      `postgres: ${Object.entries(settings)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}`,
    );
    console.log('');
    console.log('| step | clients | requests | per second | p50 ms | p99 ms | failures |');
    console.log('|---|---:|---:|---:|---:|---:|---:|');
    if (pgbench) console.log(`| pgbench TPC-B s=10 (${pgbench.protocol}) | ${pgbench.clients} | | ${pgbench.tps.toFixed(0)} | | | |`);
    for (const r of http) {
      console.log(`| ${r.label} | ${r.connections} | ${r.requests} | ${r.rps.toFixed(0)} | ${r.p50Ms} | ${r.p99Ms} | ${r.failures} |`);
    }
    if (live) {
      console.log(
        `| live push, ${live.subscribers} subscribers | ${live.earnsPerSecond}/s | ${live.earns} | delivered ${live.delivered} | ${live.p50Ms.toFixed(1)} | ${live.p99Ms.toFixed(1)} | ${live.earns - live.delivered} |`,
      );
    }
    for (const i of imports) {
      console.log(
        `| ${i.kind.toLowerCase()} import, ${i.rows} rows | | ${i.rowsDone} done, ${i.rowsFailed} failed | ${i.rowsPerSecond.toFixed(0)} | upload ${i.uploadSeconds.toFixed(1)} s | apply ${i.applySeconds.toFixed(1)} s | RSS ${i.serverRssBeforeMb.toFixed(0)} → peak ${i.serverRssPeakMb.toFixed(0)} MiB; load ${i.loadBefore.toFixed(1)} → ${i.loadAfter.toFixed(1)}; CPU per 1,000 rows: gateway ${i.cpuMsPer1000Rows.gateway.toFixed(0)} ms, database ${i.cpuMsPer1000Rows.database.toFixed(0)} ms |`,
      );
      if (i.firstErrors.length) console.log(`first refused rows of the ${i.kind.toLowerCase()} import: ${JSON.stringify(i.firstErrors)}`);
    }
    for (const c of ceilings) {
      console.log(
        `| kernel ceiling, ${c.rows} earns | ${c.lanes} lane(s) | ${c.rows} | ${c.rowsPerSecond.toFixed(0)} | ${c.seconds.toFixed(1)} s | | load ${c.loadBefore.toFixed(1)} → ${c.loadAfter.toFixed(1)}; CPU per 1,000 rows: client ${c.cpuMsPer1000Rows.client.toFixed(0)} ms, database ${c.cpuMsPer1000Rows.database.toFixed(0)} ms |`,
      );
    }
    console.log('');
    if (live) {
      console.log(
        `memory per idle subscriber: ${(live.bytesPerSubscriber / 1024).toFixed(1)} KiB (server RSS ${live.serverRssBeforeMb.toFixed(0)} → ${live.serverRssAfterMb.toFixed(0)} MiB; ${live.connectSeconds.toFixed(1)} s to connect)`,
      );
    }
    console.log(
      `ratios: earn c=32 / pgbench = ${ratios.earnTps32OverPgbench?.toFixed(2) ?? 'n/a'}; dashboard / trivial = ${ratios.dashboardOverTrivial?.toFixed(2) ?? 'n/a'}; ` +
        `imported earns/s / pgbench = ${ratios.importedEarnsOverPgbench?.toFixed(2) ?? 'n/a'}; kernel ceiling / pgbench = ${ratios.kernelCeilingOverPgbench?.toFixed(2) ?? 'n/a'}`,
    );
    console.log(
      `targets: ${Object.entries(targets)
        .map(([k, v]) => `${k}=${v === null ? 'n/a' : v ? 'met' : 'NOT met'}`)
        .join(' ')}`,
    );
    for (const r of http) if (r.firstFailure) console.log(`first failure in ${r.label}: ${r.firstFailure}`);
    const errors = gateway.errorLines.slice(0, 5);
    if (errors.length) console.log(`server errors logged (${gateway.errorLines.length}):\n${errors.join('\n')}`);
    console.log(`total ${((Date.now() - started) / 1000).toFixed(0)} s`);
    console.log(
      JSON.stringify({
        machine: { cores: os.cpus().length, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
        postgres: settings,
        pgbench,
        http: http.map(({ firstFailure: _, ...r }) => r),
        live,
        imports,
        ceilings,
        ratios,
        targets,
      }),
    );
  } finally {
    await gateway.stop();
    await database.drop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error('bench failed:', err);
    process.exit(1);
  },
);
