// npm run bench:probe — one load step against a fresh gateway, with what the database was doing:
// the quick loop while working on speed (bench/README.md). Environment:
//   PROBE_OP earn | dashboard | trivial (earn)   PROBE_CLIENTS (32)   PROBE_SECONDS (8)
//   PROBE_ENV  extra gateway environment as JSON, e.g. {"EARN_BATCH_WRITERS":"1"}
//   BENCH_GATEWAY_NODE_ARGS  node flags for the server (e.g. --cpu-prof --cpu-prof-dir=/tmp/prof)
//   DATABASE_URL  a PostgreSQL server for the fresh database; unset: embedded
import { Client } from 'pg';
import { benchGateway } from './bench-gateway';
import { buildCoalition, earnBody } from './coalition';
import { load } from './load';
import { DASHBOARD, TRIVIAL } from './operations';

async function main(): Promise<void> {
  const op = process.env.PROBE_OP || 'earn';
  const clients = Number(process.env.PROBE_CLIENTS || 32);
  const seconds = Number(process.env.PROBE_SECONDS || 8);
  const { database, gateway, adminToken } = await benchGateway('probe', JSON.parse(process.env.PROBE_ENV || '{}'));
  const monitor = new Client({ connectionString: database.url });
  try {
    await gateway.start();
    const c = await buildCoalition(gateway.url, adminToken, {
      members: 1000,
      dashboardMembers: 50,
      historyLength: op === 'dashboard' ? 21 : 1,
      runId: 'probe',
    });
    await monitor.connect();
    const seen = new Map<string, number>();
    const sampler = setInterval(() => {
      monitor
        .query<{ what: string }>(
          `SELECT application_name || ' ' || state || coalesce(' ' || wait_event_type || ':' || wait_event, '') AS what
             FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
        )
        .then(({ rows }) => rows.forEach((r) => seen.set(r.what, (seen.get(r.what) ?? 0) + 1)))
        .catch(() => undefined);
    }, 50);
    const result = await load(op, gateway.url, clients, seconds, (n) => {
      if (op !== 'earn') {
        const m = c.dashboardMembers[n % c.dashboardMembers.length]!;
        return { token: m.token, body: JSON.stringify(op === 'dashboard' ? { query: DASHBOARD, variables: { id: m.id } } : { query: TRIVIAL }) };
      }
      const p = c.partners[n % c.partners.length]!;
      const m = c.members[(n * 7919) % c.members.length]!;
      const ref = `probe-${n}`;
      return { token: p.apiKey, body: earnBody(p, m, ref) };
    });
    clearInterval(sampler);
    console.log(JSON.stringify(result));
    console.log('database connections seen (samples every 50 ms):');
    for (const [what, n] of [...seen].sort((a, b) => b[1] - a[1])) console.log(`  ${String(n).padStart(6)}  ${what}`);
  } finally {
    await monitor.end().catch(() => undefined);
    await gateway.stop();
    await database.drop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error('probe failed:', err);
    process.exit(1);
  },
);
