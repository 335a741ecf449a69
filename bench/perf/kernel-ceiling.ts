// The ceiling under the earns import: the same earns posted straight through the ledger kernel
// (journal.ts postMany, 1,000 postings a transaction, wallets locked in member order), with no
// HTTP, no file, no staging, no rules or checks: only the rows an imported earn must write (its
// transaction, two entries, a lot, the wallet, the day's qualifying bucket, its event). Whatever
// this reaches is the most any import could reach on this machine with these row shapes, so it
// says whether the import's target is a question of the import's code or of the ledger's rows.
// `lanes` > 1 runs that many such loops at once on disjoint members (one backend each).
// The journal's types carry GraphQL decorators, which need the metadata polyfill loaded first.
import 'reflect-metadata';
import os from 'node:os';
import { createPool } from '../../src/db/data-source';
import { query, queryOne } from '../../src/db/sql';
import { withTransaction } from '../../src/db/transaction';
import { postMany, type Posting } from '../../src/modules/ledger/journal';
import { TransactionType } from '../../src/modules/ledger/points-transaction.entity';
import { lockWallets } from '../../src/modules/ledger/wallet';
import type { BenchCoalition } from './coalition';
import { ticks } from './cpu';

export interface KernelCeilingResult {
  lanes: number;
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  loadBefore: number;
  loadAfter: number;
  /** CPU per 1,000 rows (ms): this benchmark process (building the postings) and the database's backends. */
  cpuMsPer1000Rows: { client: number; database: number };
}

const BATCH = 1000;
const POINTS = 12;

export async function kernelCeiling(databaseUrl: string, coalition: BenchCoalition, rows: number, lanes: number): Promise<KernelCeilingResult> {
  // The gateway's own pool (its bigint parsing and connection guards).
  const pool = createPool(databaseUrl, lanes);
  const partnerId = coalition.partners[0]!.id;
  try {
    const issuance = (await queryOne<{ id: string }>(pool, `SELECT id FROM account WHERE kind = 'PARTNER_ISSUANCE' AND partner_id = $1`, [partnerId]))!.id;
    // Each lane owns every lanes-th member, so lanes never wait on each other's wallets.
    const memberIds = coalition.members.map((m) => m.id);
    const perLane = Math.floor(rows / lanes);
    const laneMembers = Array.from({ length: lanes }, (_, lane) => memberIds.filter((_, i) => i % lanes === lane));
    // Warm the pool (connections are not what is measured) and note its backends: their CPU is
    // the kernel's database work (the gateway's own backends are left out).
    const clients = await Promise.all(Array.from({ length: lanes }, () => pool.connect()));
    const backends = await Promise.all(clients.map(async (c) => (await c.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number));
    clients.forEach((c) => c.release());
    const dbTicks = () => backends.reduce((s, pid) => s + ticks(pid), 0);
    const loadBefore = os.loadavg()[0]!;
    const cpuBefore = { client: ticks(process.pid), database: dbTicks() };
    const started = Date.now();

    const lane = async (members: string[]) => {
      for (let done = 0; done < perLane; done += BATCH) {
        const n = Math.min(BATCH, perLane - done);
        // The import's spread: each member of the file earns many times, each time in file order.
        const batchMembers = Array.from({ length: n }, (_, i) => members[((done + i) * 7919) % members.length]!);
        await withTransaction(pool, async (m) => {
          const wallets = new Map((await lockWallets(m, [...new Set(batchMembers)])).map((w) => [w.memberId, w]));
          const postings: Posting[] = batchMembers.map((memberId) => ({
            type: TransactionType.EARN,
            wallet: wallets.get(memberId)!,
            partnerId,
            points: POINTS,
            counter: [{ accountId: issuance, amount: -POINTS }],
            lifetimeDelta: POINTS,
            qualifyingPoints: POINTS,
            issue: { lots: [{ partnerId, points: POINTS }], expireAfterMonths: 24, pendingDays: 0 },
            purchase: { amount: '12.50', currencyCode: 'MYR', channel: 'IN_STORE', externalRef: null },
            breakdown: [],
          }));
          await postMany(m, postings);
        });
      }
    };
    await Promise.all(laneMembers.map(lane));

    const seconds = (Date.now() - started) / 1000;
    const cpuAfter = { client: ticks(process.pid), database: dbTicks() };
    const written = perLane * lanes;
    const per1000 = (t: number) => (t * 10 * 1000) / written;
    const check = await query<{ n: string }>(pool, `SELECT count(*) AS n FROM ledger_transaction WHERE partner_id = $1 AND type = 'EARN'`, [partnerId]);
    if (Number(check[0]!.n) < written) throw new Error(`kernel ceiling: ${written} postings made but only ${check[0]!.n} earns found`);
    return {
      lanes,
      rows: written,
      seconds,
      rowsPerSecond: written / seconds,
      loadBefore,
      loadAfter: os.loadavg()[0]!,
      cpuMsPer1000Rows: { client: per1000(cpuAfter.client - cpuBefore.client), database: per1000(cpuAfter.database - cpuBefore.database) },
    };
  } finally {
    await pool.end();
  }
}
