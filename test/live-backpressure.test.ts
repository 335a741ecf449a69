// A subscriber that falls behind is cut off clearly (not buffered without bound): its connection
// is closed with 4008, and it can resume with `after` without losing anything.
import { afterAll, beforeAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import { BalanceChangedDocument, EarnPointsDocument } from './generated/graphql';
import { startTestGateway, TestGateway } from './support/gateway';
import { earn, earnInput, newMember, newPartner } from './support/factories';
import { liveClient, LiveSubscription, settle, subscribe } from './support/live-client';
import { captureLog } from './support/log-capture';

let gw: TestGateway;
beforeAll(async () => {
  // A tiny per-subscription queue so a burst overflows it.
  gw = await startTestGateway({ LIVE_QUEUE_LIMIT: '2' });
});
afterAll(() => gw?.stop());

async function until(done: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
const closed = (sub: LiveSubscription<unknown>) => until(() => sub.closed !== null, 'the socket to close').then(() => sub.closed!);

it('disconnects a client whose subscription falls too far behind (4008), and after: replays everything it missed', async () => {
  const member = await newMember(gw, await newPartner(gw));
  const client = liveClient(gw.wsUrl, member.token);
  const sub = subscribe(client, BalanceChangedDocument, { memberId: member.id });
  // A second subscription on the same connection goes with it.
  const sibling = subscribe(client, BalanceChangedDocument, { memberId: member.id });
  await settle();
  // A burst that one relay poll delivers at once, far more than the queue holds: 30 events
  // committed together (as a batch job's transaction would), balances 1 to 30.
  await gw.sql(
    `INSERT INTO outbox_event (topic, member_id, payload)
     SELECT 'BALANCE_CHANGED', $1, jsonb_build_object('available', g, 'lifetimeEarned', g, 'qualifyingPoints', g, 'pending', 0)
       FROM generate_series(1, 30) g`,
    [member.id],
  );
  gw.services.relay.nudge();
  expect(await closed(sub)).toMatchObject({ code: 4008, reason: expect.stringMatching(/resume with after/) });
  await until(() => sibling.closed !== null, 'the sibling subscription to end');
  expect(sibling.closed!.code).toBe(4008);
  expect(sub.errors).toEqual([]);
  const seen = sub.events.length;
  expect(seen).toBeLessThan(30);
  await sub.stop();

  const lastSeen = sub.events.at(-1)?.balanceChanged.eventId ?? '0';
  const resumed = subscribe(liveClient(gw.wsUrl, member.token), BalanceChangedDocument, { memberId: member.id, after: lastSeen });
  const rest = await resumed.waitFor(30 - seen);
  expect([...sub.events, ...rest].map((e) => e.balanceChanged.balance.available)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  await resumed.stop();
});

it('disconnects a client that stops reading once LIVE_MAX_BUFFERED_BYTES sit unsent on its socket (4008), without holding up other subscribers', async () => {
  // Its own gateway: the smallest buffer allowance, the default queue, and limits that let one
  // event carry a large page of history (the kernel's socket buffers take megabytes first).
  // Its log says when it decides to close the stalled socket (see below).
  const log = captureLog('warn');
  const big = await startTestGateway({ LIVE_MAX_BUFFERED_BYTES: '1024', MAX_QUERY_COST: '1000000', MAX_QUERY_TOKENS: '5000' }, log.logger);
  try {
    const cafe = await newPartner(big);
    const member = await newMember(big, cafe);
    await Promise.all(Array.from({ length: 100 }, () => big.ok(EarnPointsDocument, { input: earnInput(member, '1.00') }, cafe.apiKey)));
    const page = Array.from(
      { length: 15 },
      (_, i) => `t${i}: transactions(first: 100) { edges { cursor node { id type points balanceAfter createdAt externalRef partner { id slug name } } } }`,
    ).join(' ');
    const query = `subscription($m: ID!) { balanceChanged(memberId: $m) { eventId member { id ${page} } } }`;

    // A raw client: four subscriptions on one socket, then it stops reading.
    const ws = new WebSocket(big.wsUrl, 'graphql-transport-ws');
    let received = 0;
    const closedWith = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
    ws.on('message', () => received++);
    await new Promise((r) => ws.once('open', r));
    ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${cafe.apiKey}` } }));
    await new Promise((r) => ws.once('message', r));
    for (const id of ['1', '2', '3', '4']) ws.send(JSON.stringify({ id, type: 'subscribe', payload: { query, variables: { m: member.id } } }));
    const healthy = subscribe(liveClient(big.wsUrl, member.token), BalanceChangedDocument, { memberId: member.id });
    await settle(300);
    ws.pause();

    // Read again as soon as the server decides to close it: it terminates a socket that does not
    // answer its close within 5 s (1006, not 4008), which a loaded machine's earns could outlast.
    const closing = () => log.lines.some((l) => l.msg === 'closing a live client that cannot keep up');
    const watch = setInterval(() => closing() && ws.isPaused && ws.resume(), 10);
    try {
      // Each earn sends four events of several hundred kilobytes each to the stalled socket.
      for (let i = 0; i < 8; i++) await earn(big, cafe, member, '1.00');
    } finally {
      clearInterval(watch);
    }
    expect(closing()).toBe(true);
    if (ws.isPaused) ws.resume();
    await healthy.waitFor(8);
    const { code, reason } = await closedWith;
    expect(code).toBe(4008);
    expect(reason).toMatch(/resume with after/);
    expect(received).toBeLessThan(1 + 4 * 8); // the ack and fewer than every event
    expect(healthy.closed).toBeNull();
    await healthy.stop();
  } finally {
    await big.stop();
  }
}, 60_000);

it('purges outbox events past the retention, keeping recent ones replayable', async () => {
  const cafe = await newPartner(gw);
  const member = await newMember(gw, cafe);
  await gw.ok(EarnPointsDocument, { input: earnInput(member, '1.00') }, cafe.apiKey);
  await gw.ok(EarnPointsDocument, { input: earnInput(member, '2.00') }, cafe.apiKey);
  const [old] = await gw.sql<{ id: number }>(`SELECT min(id)::int AS id FROM outbox_event WHERE member_id = $1 AND topic = 'BALANCE_CHANGED'`, [member.id]);
  await gw.sql(`UPDATE outbox_event SET created_at = now() - interval '8 days' WHERE id = $1`, [old!.id]);
  expect(await gw.services.relay.purge()).toBeGreaterThanOrEqual(1);
  const left = await gw.sql<{ id: number }>(`SELECT id::int FROM outbox_event WHERE member_id = $1 AND topic = 'BALANCE_CHANGED'`, [member.id]);
  expect(left.map((r) => r.id)).not.toContain(old!.id);
  expect(left).toHaveLength(1);
});
