// npm run bench:ab — this checkout against another one (AB_OTHER, a built checkout: `npm run build`),
// both gateways up at once on fresh databases of the same server, and the load steps alternated
// between them round after round (ABBA order). Whatever else the machine does then (a test run, a
// checkpoint) falls on both sides alike, so the medians compare code, not moments; two full
// `npm run bench` runs one after the other do not (see bench/README.md). Environment:
//   AB_OTHER     path of the other checkout (required; its dist/src/main.js runs it)
//   AB_STEPS     comma list of earn8, earn32, earn64, hot, dashboard, trivial (earn8,earn32,dashboard)
//   AB_ROUNDS    rounds per step (6)   AB_SECONDS  seconds per load (5)   AB_MEMBERS  (2000)
//   DATABASE_URL a PostgreSQL server for the two databases; unset: embedded
import { cpuTicks } from './cpu';
import { resolve } from 'node:path';
import type { ChaosDatabase } from '../chaos/database';
import type { GatewayProcess } from '../chaos/gateway-process';
import { benchGateway } from './bench-gateway';
import { BenchCoalition, buildCoalition, earnBody } from './coalition';
import { load, Request } from './load';
import { DASHBOARD, TRIVIAL } from './operations';

interface Side {
  name: string;
  database: ChaosDatabase;
  gateway: GatewayProcess;
  coalition: BenchCoalition;
  rps: Map<string, number[]>;
  /** CPU time per request (µs) of the gateway process and of its database's backends. */
  cpu: Map<string, { gateway: number; database: number }[]>;
  sent: number;
}

/** CPU ticks now, for the gateway and the backends of its database: what a request costs whatever the machine's load. */
function cpuNow(side: Side): { gateway: number; database: number } {
  return cpuTicks(side.gateway.pid!, side.database.url);
}

const STEPS: Record<string, { op: 'earn' | 'dashboard' | 'trivial'; clients: number; hot?: number }> = {
  earn8: { op: 'earn', clients: 8 },
  earn32: { op: 'earn', clients: 32 },
  earn64: { op: 'earn', clients: 64 },
  hot: { op: 'earn', clients: 64, hot: 10 },
  dashboard: { op: 'dashboard', clients: 32 },
  trivial: { op: 'trivial', clients: 32 },
};

function requestFor(side: Side, step: (typeof STEPS)[string], n: number): Request {
  const c = side.coalition;
  if (step.op !== 'earn') {
    const m = c.dashboardMembers[n % c.dashboardMembers.length]!;
    return { token: m.token, body: JSON.stringify(step.op === 'dashboard' ? { query: DASHBOARD, variables: { id: m.id } } : { query: TRIVIAL }) };
  }
  const p = c.partners[n % c.partners.length]!;
  const m = step.hot ? c.members[n % step.hot]! : c.members[(n * 7919) % c.members.length]!;
  return { token: p.apiKey, body: earnBody(p, m, `ab-${side.sent + n}`) };
}

async function startSide(name: string, root: string | undefined, members: number): Promise<Side> {
  const { database, gateway, adminToken } = await benchGateway('ab', {}, root);
  await gateway.start();
  const coalition = await buildCoalition(gateway.url, adminToken, { members, dashboardMembers: 50, historyLength: 21, runId: `ab-${name}` });
  return { name, database, gateway, coalition, rps: new Map(), cpu: new Map(), sent: 0 };
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

async function main(): Promise<void> {
  const other = process.env.AB_OTHER;
  if (!other) throw new Error('AB_OTHER: the path of the checkout to compare with (built with npm run build)');
  const steps = (process.env.AB_STEPS || 'earn8,earn32,dashboard').split(',').map((s) => s.trim());
  for (const s of steps) if (!STEPS[s]) throw new Error(`AB_STEPS: unknown step ${s} (one of ${Object.keys(STEPS).join(', ')})`);
  const rounds = Number(process.env.AB_ROUNDS || 6);
  const seconds = Number(process.env.AB_SECONDS || 5);
  const members = Number(process.env.AB_MEMBERS || 2000);
  const sides = [await startSide('this', undefined, members), await startSide('other', resolve(other), members)];
  try {
    for (const name of steps) {
      const step = STEPS[name]!;
      for (let r = 0; r < rounds; r++) {
        for (const side of r % 2 === 0 ? sides : [...sides].reverse()) {
          const before = cpuNow(side);
          const result = await load(name, side.gateway.url, step.clients, seconds, (n) => requestFor(side, step, n));
          const after = cpuNow(side);
          // Ticks are 10 ms: per request in µs.
          const perRequest = (t: number) => Math.round((t * 10_000) / Math.max(1, result.requests));
          side.cpu.set(name, [
            ...(side.cpu.get(name) ?? []),
            { gateway: perRequest(after.gateway - before.gateway), database: perRequest(after.database - before.database) },
          ]);
          side.sent += result.requests + 1000;
          if (result.failures > 0) throw new Error(`${side.name} ${name}: ${result.failures} failures, first: ${result.firstFailure}`);
          side.rps.set(name, [...(side.rps.get(name) ?? []), Math.round(result.rps)]);
          const cpu = side.cpu.get(name)!.at(-1)!;
          console.log(
            `[ab] ${name} round ${r + 1} ${side.name}: ${Math.round(result.rps)}/s p50 ${result.p50Ms} ms p99 ${result.p99Ms} ms; CPU per request: gateway ${cpu.gateway} µs, database ${cpu.database} µs`,
          );
        }
      }
    }
    console.log(`\n| step | this (median [all]) | other (median [all]) | this / other |\n|---|---:|---:|---:|`);
    for (const name of steps) {
      const [a, b] = sides.map((s) => s.rps.get(name)!);
      console.log(`| ${name} | ${median(a!)} [${a!.join(' ')}] | ${median(b!)} [${b!.join(' ')}] | ${(median(a!) / median(b!)).toFixed(2)} |`);
    }
    console.log(`\nCPU per request, median µs (gateway process; its database's backends):\n| step | this | other |\n|---|---:|---:|`);
    for (const name of steps) {
      const [a, b] = sides.map((s) => s.cpu.get(name)!);
      const cell = (v: { gateway: number; database: number }[]) => `${median(v.map((c) => c.gateway))}; ${median(v.map((c) => c.database))}`;
      console.log(`| ${name} | ${cell(a!)} | ${cell(b!)} |`);
    }
  } finally {
    for (const side of sides) {
      await side.gateway.stop();
      await side.database.drop();
    }
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error('ab failed:', err);
    process.exit(1);
  },
);
