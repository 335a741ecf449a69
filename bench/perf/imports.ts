// The bulk steps: an end-of-day earns file (earns imported per second, against pgbench's tps in
// the same run) and a members file (how much the server's memory grows while it streams in).
// Both files are generated as they are sent, so the benchmark holds neither in memory either.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { Readable } from 'node:stream';
import type { BenchCoalition } from './coalition';
import { cpuTicks } from './cpu';
import { gql } from './http';

const JOB = `query($id: ID!) { importJob(id: $id) { status rowsTotal rowsDone rowsFailed createdAt finishedAt errors(first: 3) { edges { node { row code field message } } } } }`;

export interface ImportResult {
  kind: 'EARNS' | 'MEMBERS';
  rows: number;
  rowsDone: number;
  rowsFailed: number;
  uploadSeconds: number;
  applySeconds: number;
  /** Rows written per second, from the start of the upload to the job's end. */
  rowsPerSecond: number;
  serverRssBeforeMb: number;
  serverRssPeakMb: number;
  /** The machine's 1-minute load average at the upload's start and at the job's end (it is shared). */
  loadBefore: number;
  loadAfter: number;
  /** CPU time per 1,000 rows (ms), from the upload's start to the job's end: the gateway process and its database's backends. */
  cpuMsPer1000Rows: { gateway: number; database: number };
  firstErrors: unknown[];
}

function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

function* lines(header: string, rows: number, row: (i: number) => string): Generator<string> {
  const chunk: string[] = [header];
  for (let i = 0; i < rows; i++) {
    chunk.push(row(i));
    if (chunk.length >= 1000) yield chunk.splice(0).join('\n') + '\n';
  }
  if (chunk.length) yield chunk.join('\n') + '\n';
}

async function runImport(
  graphqlUrl: string,
  databaseUrl: string,
  pid: number,
  token: string,
  adminToken: string,
  kind: 'EARNS' | 'MEMBERS',
  rows: number,
  body: Generator<string>,
): Promise<ImportResult> {
  const base = graphqlUrl.replace(/\/graphql$/, '');
  const before = rssBytes(pid);
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(pid))), 200);
  const loadBefore = os.loadavg()[0]!;
  const cpuBefore = cpuTicks(pid, databaseUrl);
  const started = Date.now();
  try {
    const res = await fetch(`${base}/imports/${kind.toLowerCase()}`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv', authorization: `Bearer ${token}` },
      body: Readable.toWeb(Readable.from(body)) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
    const answer = (await res.json()) as { importId?: string };
    if (res.status !== 202 || !answer.importId) throw new Error(`upload refused: ${res.status} ${JSON.stringify(answer)}`);
    const uploaded = Date.now();
    for (;;) {
      const { importJob } = await gql(graphqlUrl, JOB, { id: answer.importId }, adminToken);
      if (importJob.status === 'SUCCEEDED' || importJob.status === 'FAILED') {
        const ended = Date.now();
        const cpuAfter = cpuTicks(pid, databaseUrl);
        // Clock ticks are 10 ms.
        const per1000 = (t: number) => (t * 10 * 1000) / Math.max(1, rows);
        return {
          kind,
          rows,
          rowsDone: importJob.rowsDone,
          rowsFailed: importJob.rowsFailed,
          uploadSeconds: (uploaded - started) / 1000,
          applySeconds: (ended - uploaded) / 1000,
          rowsPerSecond: importJob.rowsDone / ((ended - started) / 1000),
          serverRssBeforeMb: before / 2 ** 20,
          serverRssPeakMb: peak / 2 ** 20,
          loadBefore,
          loadAfter: os.loadavg()[0]!,
          cpuMsPer1000Rows: { gateway: per1000(cpuAfter.gateway - cpuBefore.gateway), database: per1000(cpuAfter.database - cpuBefore.database) },
          firstErrors: importJob.errors.edges.map((e: { node: unknown }) => e.node),
        };
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    clearInterval(sampler);
  }
}

/** `rows` earns at the first partner, spread over the coalition's members, each its own receipt. */
export function earnsImport(graphqlUrl: string, databaseUrl: string, pid: number, adminToken: string, coalition: BenchCoalition, rows: number, runId: string) {
  const partner = coalition.partners[0]!;
  const at = new Date().toISOString();
  const body = lines('member,amount,currencyCode,channel,externalRef,occurredAt', rows, (i) => {
    const member = coalition.members[(i * 7919) % coalition.members.length]!;
    return `${member.id},${partner.amount},${partner.currencyCode},IN_STORE,file-${runId}-${i},${at}`;
  });
  return runImport(graphqlUrl, databaseUrl, pid, partner.apiKey, adminToken, 'EARNS', rows, body);
}

/** `rows` new members for the second partner, each with opening points. */
export function membersImport(
  graphqlUrl: string,
  databaseUrl: string,
  pid: number,
  adminToken: string,
  coalition: BenchCoalition,
  rows: number,
  runId: string,
) {
  const partner = coalition.partners[1]!;
  const body = lines('email,displayName,externalId,openingPoints,pointsExpireAt', rows, (i) => {
    return `migrated-${runId}-${i}@example.com,Migrated member ${i},C${runId}${i},${(i % 500) + 1},2030-01-01`;
  });
  return runImport(graphqlUrl, databaseUrl, pid, partner.apiKey, adminToken, 'MEMBERS', rows, body);
}
