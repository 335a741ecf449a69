// Live push under 10,000 idle subscribers: one graphql-ws client per member (member token), then
// earns at a steady rate on subscribed members; latency is from the earn's HTTP response to the
// balanceChanged event carrying that transaction. Also the server's memory per idle subscriber.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { Client, createClient } from 'graphql-ws';
import { BALANCE_CHANGED } from './operations';
import { BenchCoalition, earnBody } from './coalition';
import { percentile } from './stats';

export interface LivePushResult {
  subscribers: number;
  connectSeconds: number;
  earnsPerSecond: number;
  earns: number;
  delivered: number;
  p50Ms: number;
  p99Ms: number;
  /** Events that arrived before the earn's own HTTP response (counted as 0 ms). */
  eventBeforeResponse: number;
  serverRssBeforeMb: number;
  serverRssAfterMb: number;
  bytesPerSubscriber: number;
}

function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function livePush(
  httpUrl: string,
  serverPid: number,
  coalition: BenchCoalition,
  opts: { subscribers: number; earnsPerSecond: number; seconds: number; runId: string },
): Promise<LivePushResult> {
  const wsUrl = httpUrl.replace(/^http/, 'ws');
  const members = coalition.members.slice(0, opts.subscribers);
  const responseAt = new Map<string, number>();
  const latencies: number[] = [];
  let early = 0;
  const pendingEvents = new Map<string, number>(); // transaction id → event time, when the event won the race
  const onEvent = (txId: string | undefined) => {
    if (!txId) return;
    const at = performance.now();
    const answered = responseAt.get(txId);
    if (answered === undefined) pendingEvents.set(txId, at);
    else latencies.push(Math.max(0, at - answered));
  };

  global.gc?.();
  const rssBefore = rssBytes(serverPid);
  const t0 = performance.now();
  const clients: Client[] = [];
  const BATCH = 250;
  for (let i = 0; i < members.length; i += BATCH) {
    await Promise.all(
      members.slice(i, i + BATCH).map(
        (m) =>
          new Promise<void>((ok, fail) => {
            const client = createClient({
              url: wsUrl,
              webSocketImpl: WebSocket,
              connectionParams: { authorization: `Bearer ${m.token}` },
              retryAttempts: 0,
              lazy: false,
              on: { connected: () => ok(), closed: (e) => fail(new Error(`socket closed while connecting: ${(e as { code?: number }).code}`)) },
            });
            clients.push(client);
            client.subscribe<{ balanceChanged: { transaction: { id: string } | null } }>(
              { query: BALANCE_CHANGED, variables: { memberId: m.id } },
              { next: (r) => onEvent(r.data?.balanceChanged.transaction?.id), error: () => undefined, complete: () => undefined },
            );
          }),
      ),
    );
  }
  const connectSeconds = (performance.now() - t0) / 1000;
  await sleep(3000); // let every subscription register and the server settle
  const rssAfter = rssBytes(serverPid);

  // Steady earns, each on a different subscribed member, paced in 10 ms ticks.
  const total = opts.earnsPerSecond * opts.seconds;
  const perTick = opts.earnsPerSecond / 100;
  const inFlight: Promise<void>[] = [];
  let sent = 0;
  let credit = 0;
  const start = performance.now();
  while (sent < total) {
    credit = Math.min(total, ((performance.now() - start) / 10) * perTick);
    while (sent < credit) {
      const i = sent++;
      const member = members[i % members.length]!;
      const partner = coalition.partners[i % coalition.partners.length]!;
      const ref = `live-${opts.runId}-${i}`;
      inFlight.push(
        fetch(httpUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${partner.apiKey}` },
          body: earnBody(partner, member, ref),
        })
          .then((r) => r.json() as Promise<{ data?: { earnPoints: { id: string } } }>)
          .then((body) => {
            const at = performance.now();
            const id = body.data?.earnPoints.id;
            if (!id) return;
            responseAt.set(id, at);
            const eventAt = pendingEvents.get(id);
            if (eventAt !== undefined) {
              early++;
              latencies.push(0);
              pendingEvents.delete(id);
            }
          }),
      );
    }
    await sleep(5);
  }
  await Promise.allSettled(inFlight);
  await sleep(2000); // stragglers
  await Promise.all(clients.map((c) => c.dispose()));
  const sorted = latencies.sort((a, b) => a - b);
  return {
    subscribers: members.length,
    connectSeconds,
    earnsPerSecond: opts.earnsPerSecond,
    earns: total,
    delivered: latencies.length,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    eventBeforeResponse: early,
    serverRssBeforeMb: rssBefore / 2 ** 20,
    serverRssAfterMb: rssAfter / 2 ** 20,
    bytesPerSubscriber: (rssAfter - rssBefore) / members.length,
  };
}
