// npm run bench:scale — what each operation costs as the ledger grows (see bench/README.md).
// Builds (or reuses) one database per size on DATABASE_URL's server (else an embedded PostgreSQL),
// runs every operation of operations.ts through a real gateway on it, and prints per operation and
// size the median latency of BENCH_SCALE_RUNS runs, the statements and shared buffers (hit + read)
// of one more run under auto_explain, and the growth ratios against S. Environment:
//   BENCH_SCALE        S,M (default), or L for S,M,L, or any comma list of S, M, L
//   BENCH_SCALE_RUNS   timed runs per operation (3)
//   BENCH_SCALE_FRESH  1: drop and rebuild the datasets even when a kept one matches
//   BENCH_SCALE_ONLY   a regular expression: run only the operations whose label matches
import 'reflect-metadata';
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client } from 'pg';
import { loadConfig } from '../../src/config';
import { createPool, migrate } from '../../src/db/data-source';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres';
import { createLogger } from '../../src/logger';
import { rollUpSettlement } from '../../src/modules/settlement/settlement-rollup';
import { startGateway } from '../../src/server';
import { admin, withDatabase } from '../chaos/database';
import { gql } from '../perf/http';
import { CREATE_KEY, CREATE_PARTNER, MEMBER_TOKEN, SET_RATE } from '../perf/operations';
import { DATASET_VERSION, SIZES, ScaleSize, buildDataset, checkInvariants } from './dataset';
import { BufferRecorder, Explained, explainedUrl } from './explain';
import { OPERATIONS, ScaleContext, ScalePartner } from './operations';

const log = (line: string) => console.log(`[bench:scale] ${line}`);

const PARTNERS = [
  { slug: 'scale-kopi', name: 'Scale Kopi', currencyCode: 'MYR', earnRate: '1', burnRate: '0.01', amount: '12.50' },
  { slug: 'scale-siam', name: 'Scale Siam', currencyCode: 'THB', earnRate: '0.1', burnRate: '0.08', amount: '250.00' },
  { slug: 'scale-air', name: 'Scale Air', currencyCode: 'IDR', earnRate: '0.001', burnRate: '35', amount: '45000' },
];

function sizesWanted(): ScaleSize[] {
  const raw = (process.env.BENCH_SCALE || 'S,M').toUpperCase();
  const names = raw === 'L' ? ['S', 'M', 'L'] : raw.split(',').map((s) => s.trim());
  return names.map((n) => {
    const size = SIZES[n as ScaleSize['name']];
    if (!size) throw new Error(`BENCH_SCALE: unknown size "${n}" (S, M, L)`);
    return size;
  });
}

interface Measured {
  medianMs: number;
  runsMs: number[];
  explained: Explained | null;
  error?: string;
}

async function gatewayOn(url: string, adminToken: string) {
  const config = loadConfig({
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: '0',
    DATABASE_URL: url,
    ADMIN_TOKEN: adminToken,
    SEED_DEMO: 'false',
    LOG_LEVEL: 'fatal',
    // The jobs are measured on demand, never started by the scheduler meanwhile.
    TIER_EVALUATION_INTERVAL_SECONDS: '0',
    POINTS_LIFECYCLE_INTERVAL_SECONDS: '0',
    RATE_LIMIT_PARTNER_WRITES: '100000000',
    RATE_LIMIT_MEMBER_WRITES: '100000000',
  });
  const pool = createPool(url, config.dbPoolSize);
  return { pool, config, start: () => startGateway(config, pool, createLogger('fatal'), 0) };
}

/** The dataset of `size` on the server: kept when it was built by this generator version. */
async function ensureDataset(server: string, size: ScaleSize, fresh: boolean): Promise<string> {
  const name = `loyalty_scale_${size.name.toLowerCase()}`;
  const url = withDatabase(server, name);
  if (!fresh) {
    try {
      const c = new Client({ connectionString: url });
      await c.connect();
      try {
        const { rows } = await c.query(`SELECT version, members, transactions FROM bench_scale_dataset`);
        if (rows[0] && rows[0].version === DATASET_VERSION && rows[0].members === size.members && Number(rows[0].transactions) === size.transactions) {
          log(`${size.name}: keeping the dataset in ${name} (built by this generator)`);
          await migrate(url);
          return url;
        }
      } finally {
        await c.end();
      }
    } catch {
      // no such database, or not one of ours: build it
    }
  }
  log(`${size.name}: building ${size.members} members / ${size.transactions} transactions in ${name}`);
  const t = Date.now();
  await admin(server, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin(server, `CREATE DATABASE ${name}`);
  await migrate(url);
  const adminToken = `adm_scale_${randomBytes(12).toString('hex')}`;
  const g = await gatewayOn(url, adminToken);
  const gateway = await g.start();
  try {
    for (const p of PARTNERS) {
      const { createPartner } = await gql(gateway.url, CREATE_PARTNER, { input: { slug: p.slug, name: p.name, currencyCode: p.currencyCode } }, adminToken);
      await gql(gateway.url, SET_RATE, { input: { partnerId: createPartner.id, earnRate: p.earnRate, burnRate: p.burnRate } }, adminToken);
    }
  } finally {
    await gateway.stop();
    await g.pool.end();
  }
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    await buildDataset(c, size, log);
    const report = await checkInvariants(c);
    const broken = Object.entries(report).filter(([, n]) => n !== 0);
    for (const [check, n] of Object.entries(report)) log(`  check: ${check}: ${n}`);
    if (broken.length) throw new Error(`the ${size.name} dataset breaks the ledger's invariants: ${JSON.stringify(broken)}`);
    const { rows } = await c.query(
      `SELECT pg_size_pretty(pg_database_size(current_database())) AS size, (SELECT count(*) FROM ledger_transaction) AS tx,
              (SELECT count(*) FROM ledger_entry) AS entries, (SELECT count(*) FROM points_lot) AS lots, (SELECT count(*) FROM lot_consumption) AS consumed`,
    );
    log(`  ${size.name}: ${rows[0].size}, ${rows[0].tx} transactions, ${rows[0].entries} entries, ${rows[0].lots} lots, ${rows[0].consumed} lot consumptions`);
    await c.query(`CREATE TABLE bench_scale_dataset (version int, members int, transactions bigint, built_at timestamptz DEFAULT now())`);
    await c.query(`INSERT INTO bench_scale_dataset (version, members, transactions) VALUES ($1, $2, $3)`, [DATASET_VERSION, size.members, size.transactions]);
  } finally {
    await c.end();
  }
  log(`${size.name}: built in ${((Date.now() - t) / 1000).toFixed(0)} s`);
  return url;
}

async function measureSize(url: string, size: ScaleSize, runs: number, only: RegExp | null): Promise<Map<string, Measured>> {
  const sql = new Client({ connectionString: url });
  await sql.connect();
  await sql.query(`CREATE TABLE IF NOT EXISTS bench_scale_used (member_id uuid PRIMARY KEY)`);
  const adminToken = `adm_scale_${randomBytes(12).toString('hex')}`;
  const results = new Map<string, Measured>();
  const ops = OPERATIONS.filter((o) => !only || only.test(o.label));
  // A month of the history, two calendar months back.
  const now = new Date();
  const month = {
    from: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 2, 1)).toISOString(),
    to: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1)).toISOString(),
  };
  try {
    for (const explained of [false, true]) {
      const g = await gatewayOn(explained ? explainedUrl(url) : url, adminToken);
      const recorder = new BufferRecorder();
      if (explained) recorder.attach(g.pool);
      const gateway = await g.start();
      try {
        const { rows } = await sql.query(`SELECT id, slug, currency_code AS "currencyCode" FROM partner WHERE slug LIKE 'scale-%' ORDER BY seq`);
        const partners: ScalePartner[] = [];
        for (const r of rows) {
          const { createPartnerApiKey } = await gql(gateway.url, CREATE_KEY, { partnerId: r.id }, adminToken);
          partners.push({ id: r.id, apiKey: createPartnerApiKey, currencyCode: r.currencyCode, amount: PARTNERS.find((p) => p.slug === r.slug)!.amount });
        }
        const ctx: ScaleContext = {
          url: gateway.url,
          adminToken,
          partners,
          members: size.members,
          sql,
          services: gateway.services,
          month,
          token: async (memberId, partner) => (await gql(gateway.url, MEMBER_TOKEN, { memberId }, partner.apiKey)).issueMemberToken,
        };
        for (const op of ops) {
          try {
            if (!explained) {
              const times: number[] = [];
              for (let run = 0; run < runs; run++) {
                const work = await op.prepare(ctx, run);
                const t = performance.now();
                await work();
                times.push(performance.now() - t);
              }
              const sorted = [...times].sort((a, b) => a - b);
              results.set(op.label, { medianMs: sorted[Math.floor(sorted.length / 2)]!, runsMs: times, explained: null });
              log(`${size.name} ${op.label}: ${times.map((t) => t.toFixed(1)).join(' / ')} ms`);
            } else {
              const work = await op.prepare(ctx, runs);
              const rec = await recorder.record(async () => void (await work()));
              const m = results.get(op.label);
              if (m) m.explained = rec;
              log(`${size.name} ${op.label}: ${rec.statements} statements, ${rec.buffers} buffers (most: ${rec.worstBuffers} in ${rec.worst.slice(0, 100)})`);
            }
          } catch (err) {
            const message = err instanceof Error ? err.message : String(err);
            log(`${size.name} ${op.label}: FAILED ${message.slice(0, 300)}`);
            const m = results.get(op.label);
            if (m) m.error = message.slice(0, 200);
            else results.set(op.label, { medianMs: NaN, runsMs: [], explained: null, error: message.slice(0, 200) });
          }
        }
      } finally {
        await gateway.stop();
        await g.pool.end();
      }
    }
  } finally {
    await sql.end();
  }
  return results;
}

async function postgresSettings(url: string): Promise<string> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ name: string; setting: string }>(
      `SELECT name, setting || coalesce(unit, '') AS setting FROM pg_settings
        WHERE name IN ('server_version', 'shared_buffers', 'work_mem', 'effective_cache_size', 'random_page_cost', 'jit', 'max_parallel_workers_per_gather')`,
    );
    return rows.map((r) => `${r.name}=${r.setting}`).join(' ');
  } finally {
    await c.end();
  }
}

/**
 * The rows a build loads are new to the settlement rollup; a gateway would fold them on the first
 * settlement read, so they are folded here, timed on their own, rather than inside a measured run.
 */
async function foldBacklog(url: string, size: ScaleSize): Promise<void> {
  const pool = createPool(url, 2);
  try {
    const t = Date.now();
    const folded = await rollUpSettlement(pool);
    log(`${size.name}: settlement rollup folded ${folded} transactions in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  } finally {
    await pool.end();
  }
}

const fmtMs = (ms: number) => (Number.isNaN(ms) ? 'failed' : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);

async function main(): Promise<void> {
  const started = Date.now();
  const sizes = sizesWanted();
  const runs = Number(process.env.BENCH_SCALE_RUNS || 3);
  const fresh = process.env.BENCH_SCALE_FRESH === '1';
  const only = process.env.BENCH_SCALE_ONLY ? new RegExp(process.env.BENCH_SCALE_ONLY, 'i') : null;
  const embedded = process.env.DATABASE_URL ? null : await startEmbeddedPostgres({ dataDir: join('.data', 'bench-scale-pg'), persistent: true });
  const server = process.env.DATABASE_URL || embedded!.url;
  try {
    const loadBefore = os.loadavg();
    const bySize = new Map<string, Map<string, Measured>>();
    for (const size of sizes) {
      const url = await ensureDataset(server, size, fresh);
      await foldBacklog(url, size);
      bySize.set(size.name, await measureSize(url, size, runs, only));
    }
    const loadAfter = os.loadavg();
    const names = sizes.map((s) => s.name);
    const base = names[0]!;
    console.log('');
    console.log(`machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; node ${process.version}`);
    console.log(`postgres: ${await postgresSettings(server)}`);
    console.log(`load average (1/5/15 min): before ${loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${loadAfter.map((l) => l.toFixed(2)).join(' ')}`);
    console.log(`median of ${runs} runs; buffers = shared hit + read over every statement of one more run (auto_explain)`);
    console.log('');
    const others = names.slice(1);
    console.log(
      `| operation | ${names.map((n) => `${n} ms`).join(' | ')} | ${others.map((n) => `${n}/${base}`).join(' | ')} | ${names.map((n) => `${n} buffers`).join(' | ')} | ${others
        .map((n) => `${n}/${base} buffers`)
        .join(' | ')} | statements |`,
    );
    console.log(
      `|---|${names.map(() => '---:').join('|')}|${others.map(() => '---:').join('|')}|${names.map(() => '---:').join('|')}|${others.map(() => '---:').join('|')}|---:|`,
    );
    const json: Record<string, unknown>[] = [];
    for (const op of OPERATIONS) {
      const m = names.map((n) => bySize.get(n)!.get(op.label));
      if (m.every((x) => !x)) continue;
      const ms = m.map((x) => x?.medianMs ?? NaN);
      const buf = m.map((x) => x?.explained?.buffers ?? NaN);
      const ratio = (a: number, b: number) => (Number.isFinite(a / b) ? `${(a / b).toFixed(2)}×` : '–');
      console.log(
        `| ${op.label} | ${ms.map(fmtMs).join(' | ')} | ${others.map((_, k) => ratio(ms[k + 1]!, ms[0]!)).join(' | ')} | ${buf
          .map((b) => (Number.isNaN(b) ? '–' : String(b)))
          .join(' | ')} | ${others.map((_, k) => ratio(buf[k + 1]!, buf[0]!)).join(' | ')} | ${m.map((x) => x?.explained?.statements ?? '–').join(' / ')} |`,
      );
      json.push({
        op: op.label,
        ...Object.fromEntries(
          names.map((n, k) => [n, { ms: ms[k], runsMs: m[k]?.runsMs, buffers: buf[k], statements: m[k]?.explained?.statements, error: m[k]?.error }]),
        ),
      });
    }
    for (const n of names) for (const [label, m] of bySize.get(n)!) if (m.error) console.log(`${n} ${label}: ${m.error}`);
    console.log(`total ${((Date.now() - started) / 1000).toFixed(0)} s`);
    console.log(JSON.stringify({ machine: { cores: os.cpus().length, node: process.version }, load: { before: loadBefore, after: loadAfter }, results: json }));
  } finally {
    await embedded?.stop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error('bench:scale failed:', err);
    process.exit(1);
  },
);
