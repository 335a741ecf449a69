// The database connection dies under the gateway (pg_terminate_backend: a failover, an admin, the
// OOM killer): requests succeed or fail with a retryable code — never a 500 —, nothing is
// half-written, a retry with the same idempotency key applies the write exactly once, and the
// same gateway process recovers on its own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'pg';
import { EarnPointsDocument, MemberBalanceDocument } from './generated/graphql';
import { startTestGateway, TestGateway } from './support/gateway';
import { balanceOf, earnInput, ledgerViolations, newMember, newPartner, TestMember, TestPartner } from './support/factories';
import { cleanOutcome, countBackends, eventually, injector, terminateGatewayBackends } from './support/faults';

let gw: TestGateway;
let cafe: TestPartner;
let faults: Client;

beforeAll(async () => {
  // Three earn writers (the default is two), so the five earns below are three cut mid-batch and
  // two queued behind them, whatever the default becomes.
  gw = await startTestGateway({ EARN_BATCH_WRITERS: '3' });
  cafe = await newPartner(gw);
  faults = await injector(gw.dbUrl);
});
afterAll(async () => {
  await faults?.end();
  await gw?.stop();
});

type EarnInput = ReturnType<typeof earnInput>;

/** Sends each input until it succeeds (same key every time); fails the test on anything unclean. */
async function settle(inputs: EarnInput[]): Promise<void> {
  await Promise.all(
    inputs.map(async (input) => {
      for (let attempt = 0; ; attempt++) {
        const outcome = cleanOutcome(await gw.gql(EarnPointsDocument, { input }, cafe.apiKey));
        if (outcome === 'ok') break;
        expect(outcome).toBe('SERVICE_UNAVAILABLE');
        expect(attempt).toBeLessThan(20);
        await new Promise((r) => setTimeout(r, 50));
      }
    }),
  );
}

async function receiptsWritten(inputs: EarnInput[]): Promise<number[]> {
  const rows = await gw.sql<{ ref: string; n: number }>(
    `SELECT external_ref AS ref, count(*)::int AS n FROM ledger_transaction WHERE external_ref = ANY($1) GROUP BY 1`,
    [inputs.map((i) => i.externalRef)],
  );
  return inputs.map((i) => rows.find((r) => r.ref === i.externalRef)?.n ?? 0);
}

describe('pg_terminate_backend on the gateway’s connections', () => {
  it('earns cut mid-transaction (blocked on the wallet lock) are retried inside the server on a new connection: each applied once', async () => {
    const member = await newMember(gw, cafe);
    const locker = await injector(gw.dbUrl, 'fault-locker');
    try {
      // Hold the wallet: each earn claims its key, then waits on the lock — mid-transaction.
      await locker.query('BEGIN');
      await locker.query('SELECT 1 FROM account WHERE member_id = $1 FOR UPDATE', [member.id]);
      const inputs = Array.from({ length: 5 }, () => earnInput(member, '10.00'));
      const answers = Promise.all(inputs.map((input) => gw.gql(EarnPointsDocument, { input }, cafe.apiKey)));
      const blocked = `application_name = 'loyalty-gateway' AND wait_event_type = 'Lock'`;
      // Group commit takes one earn of a member per batch: the three batch writers wait on the
      // wallet (the other two earns queue behind them).
      await eventually(async () => (await countBackends(faults, blocked)) === 3, 10_000, 'three earn batches waiting on the wallet');
      expect(await terminateGatewayBackends(faults, blocked)).toBe(3);
      // The cut batches are retried inside the server on fresh connections and queue on the same
      // lock again (the other two earns still wait for a writer), until we let go.
      await eventually(async () => (await countBackends(faults, blocked)) === 3, 10_000, 'three retried earn batches waiting on the wallet');
      await locker.query('ROLLBACK');

      expect((await answers).map(cleanOutcome)).toEqual(Array(5).fill('ok'));
      expect(await receiptsWritten(inputs)).toEqual([1, 1, 1, 1, 1]);
      expect(await balanceOf(gw, member.id)).toBe(50);
      expect(await ledgerViolations(gw)).toEqual([]);
    } finally {
      await locker.end();
    }
  });

  it('an earn cut while it commits gets SERVICE_UNAVAILABLE (its outcome is unknown), nothing half-written; its retry applies it once', async () => {
    const member = await newMember(gw, cafe);
    // A deferred trigger makes COMMIT wait on an advisory lock the test holds: the backend is
    // terminated while it commits, the one moment a server cannot know whether a write landed.
    await faults.query(`CREATE FUNCTION test_hold_commit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_advisory_xact_lock_shared(4242); RETURN NULL; END $$`);
    await faults.query(`CREATE CONSTRAINT TRIGGER test_hold_commit AFTER INSERT ON ledger_transaction
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION test_hold_commit()`);
    await faults.query('SELECT pg_advisory_lock(4242)');
    const input = earnInput(member, '10.00');
    try {
      const answer = gw.gql(EarnPointsDocument, { input }, cafe.apiKey);
      const committing = `application_name = 'loyalty-gateway' AND query = 'COMMIT' AND wait_event = 'advisory'`;
      await eventually(async () => (await countBackends(faults, committing)) === 1, 10_000, 'the earn waiting in COMMIT');
      expect(await terminateGatewayBackends(faults, committing)).toBe(1);
      const r = await answer;
      expect(r.status).toBe(200);
      expect(cleanOutcome(r)).toBe('SERVICE_UNAVAILABLE');
      expect(r.errors![0]!.extensions?.retryAfterSeconds).toBe(1);
      expect(await receiptsWritten([input])).toEqual([0]);
      expect(await ledgerViolations(gw)).toEqual([]);
    } finally {
      await faults.query('SELECT pg_advisory_unlock(4242)');
      await faults.query('DROP TRIGGER test_hold_commit ON ledger_transaction; DROP FUNCTION test_hold_commit()');
    }
    await settle([input]);
    expect(await receiptsWritten([input])).toEqual([1]);
    expect(await balanceOf(gw, member.id)).toBe(10);
  });

  it('terminations at random moments under concurrent earns: every answer clean, the books balanced, retries exactly once', async () => {
    const members: TestMember[] = [];
    for (let i = 0; i < 4; i++) members.push(await newMember(gw, cafe));
    const inputs = Array.from({ length: 24 }, (_, i) => earnInput(members[i % 4]!, `${1 + (i % 7)}.00`));
    let terminated = 0;
    let stop = false;
    const killer = (async () => {
      while (!stop) {
        // One of the gateway's busy connections: in a statement, between statements of a
        // transaction, or committing.
        terminated += await terminateGatewayBackends(faults, `application_name = 'loyalty-gateway' AND state <> 'idle'`, 1);
        await new Promise((r) => setTimeout(r, 10 + Math.random() * 30));
      }
    })();
    const outcomes: string[] = [];
    for (let wave = 0; wave < inputs.length; wave += 12) {
      const answers = await Promise.all(inputs.slice(wave, wave + 12).map((input) => gw.gql(EarnPointsDocument, { input }, cafe.apiKey)));
      outcomes.push(...answers.map(cleanOutcome));
    }
    stop = true;
    await killer;
    expect(terminated).toBeGreaterThan(0);
    expect(outcomes.filter((o) => o !== 'ok' && o !== 'SERVICE_UNAVAILABLE')).toEqual([]);
    const written = await receiptsWritten(inputs);
    // An acknowledged earn is there once; a failed one at most once (its COMMIT may have landed).
    outcomes.forEach((o, i) => {
      if (o === 'ok') expect(written[i], `earn ${i}`).toBe(1);
      else expect(written[i], `earn ${i}`).toBeLessThanOrEqual(1);
    });
    expect(await ledgerViolations(gw)).toEqual([]);

    await settle(inputs);
    expect(await receiptsWritten(inputs)).toEqual(Array(inputs.length).fill(1));
    const expected = [0, 1, 2, 3].map((m) => inputs.filter((_, i) => i % 4 === m).reduce((s, input) => s + Number(input.amount), 0));
    expect(await Promise.all(members.map((m) => balanceOf(gw, m.id)))).toEqual(expected);
  });

  it('idle connections terminated (pool, outbox listener, rate limiter): the gateway recovers without a restart', async () => {
    const member = await newMember(gw, cafe);
    await gw.ok(EarnPointsDocument, { input: earnInput(member, '5.00') }, cafe.apiKey);
    expect(await countBackends(faults, `application_name = 'loyalty-gateway-relay'`)).toBe(1);
    expect(await terminateGatewayBackends(faults)).toBeGreaterThan(1);
    // At once: clean answers only (a request may meet a connection whose death it learns of first).
    const burst = await Promise.all([
      ...Array.from({ length: 6 }, () => gw.gql(EarnPointsDocument, { input: earnInput(member, '1.00') }, cafe.apiKey)),
      ...Array.from({ length: 6 }, () => gw.gql(MemberBalanceDocument, { id: member.id }, cafe.apiKey)),
    ]);
    expect(burst.map(cleanOutcome).filter((o) => o !== 'ok' && o !== 'SERVICE_UNAVAILABLE')).toEqual([]);
    // Shortly after: everything works again, and the outbox listener is back.
    await eventually(async () => cleanOutcome(await gw.gql(MemberBalanceDocument, { id: member.id }, cafe.apiKey)) === 'ok', 5_000, 'a read');
    await gw.ok(EarnPointsDocument, { input: earnInput(member, '2.00') }, cafe.apiKey);
    await eventually(
      async () => (await countBackends(faults, `application_name = 'loyalty-gateway-relay' AND query ILIKE 'LISTEN%'`)) === 1,
      5_000,
      'the outbox listener',
    );
    expect(await ledgerViolations(gw)).toEqual([]);
  });
});
