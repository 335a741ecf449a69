// npm run test:chaos — the full chaos run (see README "Reliability"). Environment:
//   CHAOS_SEED     replay a run (printed by every run); default random
//   CHAOS_CLIENTS  concurrent clients (64)   CHAOS_SECONDS  load duration (60)   CHAOS_KILLS  SIGKILLs (3)
//   CHAOS_TERMINATE_MS  also terminate every backend on the run's database this often (0: never)
//   DATABASE_URL   a PostgreSQL server to create the run's fresh database on; unset: embedded PostgreSQL
import { randomInt } from 'node:crypto';
import { formatSummary, runChaos } from './chaos';

function whole(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new Error(`${name} must be a whole number, got "${raw}"`);
  return Number(raw);
}

async function main(): Promise<void> {
  const seed = whole('CHAOS_SEED', randomInt(1, 2 ** 31 - 1));
  console.log(`chaos: seed ${seed} (replay with CHAOS_SEED=${seed} npm run test:chaos)`);
  const summary = await runChaos({
    seed,
    clients: whole('CHAOS_CLIENTS', 64),
    seconds: whole('CHAOS_SECONDS', 60),
    kills: whole('CHAOS_KILLS', 3),
    terminateEveryMs: whole('CHAOS_TERMINATE_MS', 0) || undefined,
    serverUrl: process.env.DATABASE_URL || null,
    print: (line) => console.log(line),
  });
  console.log(formatSummary(summary));
  process.exit(summary.violations.length === 0 ? 0 : 1);
}

main().catch((err) => {
  console.error('chaos run failed:', err);
  process.exit(1);
});
