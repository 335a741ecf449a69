// npm run bench:insight — only the programMetrics step of npm run bench (bench/perf/insight.ts), on
// a fresh database with the gateway as npm start runs it. Environment: DATABASE_URL (unset:
// embedded PostgreSQL), BENCH_INSIGHT_TRANSACTIONS (1000000), BENCH_INSIGHT_GROWTH (10; 1 skips
// the growth), BENCH_INSIGHT_SAMPLES (30).
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { freshDatabase } from '../chaos/database';
import { GatewayProcess } from '../chaos/gateway-process';
import { freePort } from '../../src/db/embedded-postgres';
import { insightStep, printInsight } from './insight';

const whole = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);

async function main(): Promise<void> {
  const database = await freshDatabase(process.env.DATABASE_URL || null);
  const adminToken = `adm_bench_${randomBytes(12).toString('hex')}`;
  const gateway = new GatewayProcess(await freePort(), { DATABASE_URL: database.url, ADMIN_TOKEN: adminToken, NODE_ENV: 'production', LOG_LEVEL: 'warn' });
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
