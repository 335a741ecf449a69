// npm run bench:insight — only the programMetrics step of npm run bench (bench/perf/insight.ts), on
// a fresh database with the gateway as npm start runs it. Environment: DATABASE_URL (unset:
// embedded PostgreSQL), BENCH_INSIGHT_TRANSACTIONS (1000000), BENCH_INSIGHT_GROWTH (10; 1 skips
// the growth), BENCH_INSIGHT_SAMPLES (30), BENCH_KEEP=1 keeps the database (its name is printed)
// for EXPLAIN afterwards.
import os from 'node:os';
import { benchGateway } from './bench-gateway';
import { insightStep, printInsight } from './insight';

const whole = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);

async function main(): Promise<void> {
  const { database, gateway, adminToken } = await benchGateway('insight');
  try {
    await gateway.start();
    const result = await insightStep(database.url, gateway.url, adminToken, {
      transactions: whole('BENCH_INSIGHT_TRANSACTIONS', 1_000_000),
      growth: whole('BENCH_INSIGHT_GROWTH', 10),
      samples: whole('BENCH_INSIGHT_SAMPLES', 30),
      log: (line) => console.log(`[bench] ${line}`),
    });
    console.log(
      `machine: ${os.cpus().length} cores, load average ${os
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
    );
    printInsight(result);
    console.log(JSON.stringify(result));
  } finally {
    await gateway.stop();
    if (process.env.BENCH_KEEP === '1') console.log(`[bench] database kept: ${new URL(database.url).pathname.slice(1)}`);
    else await database.drop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error('bench failed:', err);
    process.exit(1);
  },
);
