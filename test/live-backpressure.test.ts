// A subscriber that falls behind is cut off clearly (not buffered without bound) and can resume
// with `after` without losing anything.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BalanceChangedDocument, EarnPointsDocument } from './generated/graphql';
import { startTestGateway, TestGateway } from './support/gateway';
import { earnInput, newMember, newPartner } from './support/factories';
import { liveClient, settle, subscribe } from './support/live-client';

let gw: TestGateway;
beforeAll(async () => {
  // A tiny per-subscription queue so a burst overflows it.
  gw = await startTestGateway({ LIVE_QUEUE_LIMIT: '2' });
});
afterAll(() => gw?.stop());

it('ends a subscription that falls too far behind, and after: replays everything it missed', async () => {
  const cafe = await newPartner(gw);
  const member = await newMember(gw, cafe);
  const sub = subscribe(liveClient(gw.wsUrl, member.token), BalanceChangedDocument, { memberId: member.id });
  await settle();
  // One relay poll delivers the whole burst at once: far more than the queue holds.
  await Promise.all(Array.from({ length: 30 }, () => gw.ok(EarnPointsDocument, { input: earnInput(member, '1.00') }, cafe.apiKey)));
  gw.services.relay.nudge();
  const errors = await sub.waitForError();
  expect(errors[0]!.message).toMatch(/resubscribe with after/);
  const seen = sub.events.length;
  expect(seen).toBeLessThan(30);
  await sub.stop();

  const lastSeen = sub.events.at(-1)?.balanceChanged.eventId ?? '0';
  const resumed = subscribe(liveClient(gw.wsUrl, member.token), BalanceChangedDocument, { memberId: member.id, after: lastSeen });
  const rest = await resumed.waitFor(30 - seen);
  expect([...sub.events, ...rest].map((e) => e.balanceChanged.balance.available)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  await resumed.stop();
});

it('purges outbox events past the retention, keeping recent ones replayable', async () => {
  const cafe = await newPartner(gw);
  const member = await newMember(gw, cafe);
  await gw.ok(EarnPointsDocument, { input: earnInput(member, '1.00') }, cafe.apiKey);
  await gw.ok(EarnPointsDocument, { input: earnInput(member, '2.00') }, cafe.apiKey);
  const [old] = await gw.sql<{ id: number }>(`SELECT min(id)::int AS id FROM outbox_event WHERE member_id = $1`, [member.id]);
  await gw.sql(`UPDATE outbox_event SET created_at = now() - interval '8 days' WHERE id = $1`, [old!.id]);
  expect(await gw.services.relay.purge()).toBeGreaterThanOrEqual(1);
  const left = await gw.sql<{ id: number }>(`SELECT id::int FROM outbox_event WHERE member_id = $1 AND topic = 'BALANCE_CHANGED'`, [member.id]);
  expect(left.map((r) => r.id)).not.toContain(old!.id);
  expect(left).toHaveLength(1);
});
