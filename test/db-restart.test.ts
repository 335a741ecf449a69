// PostgreSQL itself restarts under load (a dedicated embedded server, stopped and started again on
// the same data directory and port): while it is down /readyz says 503 and requests fail with a
// retryable SERVICE_UNAVAILABLE — never a 500, never a crash —; once it is back the same gateway
// process serves again, its outbox listener reconnects, and every write retried with its key is
// applied exactly once.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { migrate } from '../src/db/data-source';
import { EmbeddedDatabase, freePort, startEmbeddedPostgres } from '../src/db/embedded-postgres';
import { EarnPointsDocument, MemberBalanceDocument } from './generated/graphql';
import { startGatewayOn, TestGateway } from './support/gateway';
import { earnInput, ledgerViolations, newMember, newPartner, TestMember, TestPartner } from './support/factories';
import { cleanOutcome, countBackends, eventually, injector } from './support/faults';

const dataDir = join('.data', `restart-pg-${process.pid}`);
let port: number;
let pg: EmbeddedDatabase | null = null;
let gw: TestGateway;

const startPostgres = async () => {
  pg = await startEmbeddedPostgres({ dataDir, port, persistent: true });
};

beforeAll(async () => {
  port = await freePort();
  await startPostgres();
  await migrate(pg!.url);
  gw = await startGatewayOn(pg!.url);
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await pg?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const readyz = async () => (await fetch(gw.url.replace('/graphql', '/readyz'))).status;

it('PostgreSQL restarts under load: 503 and SERVICE_UNAVAILABLE while it is down, full service after, every write exactly once', async () => {
  const cafe: TestPartner = await newPartner(gw);
  const members: TestMember[] = [await newMember(gw, cafe), await newMember(gw, cafe), await newMember(gw, cafe)];
  const sent: { input: ReturnType<typeof earnInput>; outcome: string }[] = [];
  const seen = new Set<string>();
  let running = true;
  // Four tills earning and a screen reading balances, as fast as they can, through it all.
  const load = [0, 1, 2, 3, 4].map(async (till) => {
    for (let i = 0; running; i++) {
      const member = members[(till + i) % members.length]!;
      if (till === 4) {
        seen.add(cleanOutcome(await gw.gql(MemberBalanceDocument, { id: member.id }, cafe.apiKey)));
      } else {
        const input = earnInput(member, `${1 + (i % 5)}.00`);
        const r = await gw.gql(EarnPointsDocument, { input }, cafe.apiKey);
        sent.push({ input, outcome: cleanOutcome(r) });
        seen.add(cleanOutcome(r));
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  });

  await eventually(async () => sent.filter((s) => s.outcome === 'ok').length >= 10, 10_000, 'earns before the outage');
  expect(await readyz()).toBe(200);
  await pg!.stop();
  const during = sent.length;
  expect(await readyz()).toBe(503);
  await eventually(async () => sent.length >= during + 8, 10_000, 'answers during the outage');
  const outage = sent.slice(during).map((s) => s.outcome);
  expect(outage.filter((o) => o !== 'SERVICE_UNAVAILABLE')).toEqual([]);

  await startPostgres();
  await eventually(async () => (await readyz()) === 200, 15_000, '/readyz to say 200 again');
  const back = sent.length;
  await eventually(async () => sent.slice(back).filter((s) => s.outcome === 'ok').length >= 10, 15_000, 'earns after the restart');
  running = false;
  await Promise.all(load);

  // Only success or the retryable code, at any moment, for reads and writes alike.
  expect([...seen].filter((o) => o !== 'ok' && o !== 'SERVICE_UNAVAILABLE')).toEqual([]);
  expect(await ledgerViolations(gw)).toEqual([]);

  // The tills retry what failed, with the same keys: in the end each receipt earned exactly once.
  for (const s of sent.filter((x) => x.outcome !== 'ok')) {
    expect(cleanOutcome(await gw.gql(EarnPointsDocument, { input: s.input }, cafe.apiKey))).toBe('ok');
  }
  const counts = await gw.sql<{ n: number; refs: number }>(
    `SELECT count(*)::int AS n, count(DISTINCT external_ref)::int AS refs FROM ledger_transaction WHERE type = 'EARN' AND external_ref = ANY($1)`,
    [sent.map((s) => s.input.externalRef)],
  );
  expect(counts).toEqual([{ n: sent.length, refs: sent.length }]);
  expect(await ledgerViolations(gw)).toEqual([]);

  // The outbox relay's LISTEN connection came back by itself.
  const probe = await injector(pg!.url);
  try {
    await eventually(
      async () => (await countBackends(probe, `application_name = 'loyalty-gateway-relay' AND query ILIKE 'LISTEN%'`)) === 1,
      10_000,
      'the outbox listener',
    );
  } finally {
    await probe.end();
  }
}, 90_000);
