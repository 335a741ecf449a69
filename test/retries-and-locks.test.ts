// Serialization failures (40001) and deadlocks (40P01) are retried inside the server, a bounded
// number of times, and never reach a client; and the lock order (wallet first, then a limited
// reward's row) keeps earns, redemptions and reversals on one member from deadlocking at all.
// When a conflict outlasts the retries, the client gets SERVICE_UNAVAILABLE (retryable) and
// nothing was written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'pg';
import { EarnPointsDocument, RedeemRewardDocument, ReverseTransactionDocument } from './generated/graphql';
import { pgErrorCode, withTransaction } from '../src/db/transaction';
import { query } from '../src/db/sql';
import { GqlResult, startTestGateway, TestGateway } from './support/gateway';
import { balanceOf, earn, earnInput, ledgerViolations, newMember, newPartner, newReward, TestPartner, uniq } from './support/factories';
import { cleanOutcome, eventually, injector } from './support/faults';

let gw: TestGateway;
let cafe: TestPartner;
let faults: Client;

beforeAll(async () => {
  gw = await startTestGateway();
  cafe = await newPartner(gw);
  faults = await injector(gw.dbUrl);
  await gw.sql(`CREATE TABLE probe (id int PRIMARY KEY, n int NOT NULL); INSERT INTO probe VALUES (1, 0), (2, 0)`);
});
afterAll(async () => {
  await faults?.end();
  await gw?.stop();
});

/**
 * pg_stat_database.deadlocks for this database. A backend reports its counters lazily; ending the
 * gateway's idle connections (which it survives: see db-faults.test.ts) makes them report now.
 */
async function deadlocks(): Promise<number> {
  const { rows: idle } = await faults.query(
    `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'loyalty-gateway' AND state = 'idle'`,
  );
  const pids = idle.map((r) => r.pid as number);
  await faults.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [pids]);
  await eventually(
    async () => (await faults.query('SELECT 1 FROM pg_stat_activity WHERE pid = ANY($1)', [pids])).rowCount === 0,
    5_000,
    'idle backends to exit',
  );
  await new Promise((r) => setTimeout(r, 100));
  const { rows } = await faults.query(`SELECT deadlocks::int AS n FROM pg_stat_database WHERE datname = current_database()`);
  return rows[0].n;
}

function barrier(parties: number): () => Promise<void> {
  let arrived = 0;
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return () => {
    if (++arrived === parties) open();
    return opened;
  };
}

describe('withTransaction against real PostgreSQL', () => {
  it('a real deadlock (40P01) between two transactions: the victim is retried, both apply exactly once', async () => {
    const bothLocked = barrier(2);
    const attempts = [0, 0];
    const crossing = (who: 0 | 1, first: number, second: number) =>
      withTransaction(gw.db, async (m) => {
        attempts[who]!++;
        await query(m, `SET LOCAL deadlock_timeout = '50ms'`);
        await query(m, `UPDATE probe SET n = n + 1 WHERE id = $1`, [first]);
        if (attempts[who] === 1) await bothLocked(); // only the first attempt crosses the other's path
        await query(m, `UPDATE probe SET n = n + 1 WHERE id = $1`, [second]);
        return who;
      });
    const before = await gw.sql<{ n: number }>(`SELECT n FROM probe ORDER BY id`);
    await expect(Promise.all([crossing(0, 1, 2), crossing(1, 2, 1)])).resolves.toEqual([0, 1]);
    // The victim ran again (rarely, on a busy machine, its retry crosses the other once more).
    expect(attempts.reduce((a, b) => a + b)).toBeGreaterThanOrEqual(3);
    expect(await gw.sql(`SELECT n FROM probe ORDER BY id`)).toEqual(before.map((r) => ({ n: r.n + 2 })));
  });

  it('a real serialization failure (40001) under SERIALIZABLE: retried, both apply exactly once', async () => {
    const bothRead = barrier(2);
    let attempts = 0;
    // Write skew: each reads the total, then writes its own row. SERIALIZABLE refuses one of them.
    const skew = (id: number) =>
      withTransaction(gw.db, async (m) => {
        attempts++;
        await query(m, 'SET TRANSACTION ISOLATION LEVEL SERIALIZABLE');
        const [{ total }] = await query<{ total: number }>(m, 'SELECT sum(n)::int AS total FROM probe');
        if (attempts <= 2) await bothRead();
        expect(total).toBeTypeOf('number');
        await query(m, 'UPDATE probe SET n = n + 1 WHERE id = $1', [id]);
      });
    const before = await gw.sql<{ n: number }>(`SELECT n FROM probe ORDER BY id`);
    await Promise.all([skew(1), skew(2)]);
    expect(attempts).toBe(3);
    expect(await gw.sql(`SELECT n FROM probe ORDER BY id`)).toEqual(before.map((r) => ({ n: r.n + 1 })));
  });

  it('retries are bounded: a transaction that always fails with 40001 is tried 5 times, then the error surfaces', async () => {
    let attempts = 0;
    const always = withTransaction(gw.db, async (m) => {
      attempts++;
      await query(m, `DO $$ BEGIN RAISE EXCEPTION 'forced' USING ERRCODE = '40001'; END $$`);
    });
    const err = await always.then(
      () => null,
      (e: unknown) => e,
    );
    expect(pgErrorCode(err)).toBe('40001');
    expect(attempts).toBe(5);
  });
});

describe('through the server', () => {
  it('a deadlock between a redemption and another session is resolved by retrying the redemption: the client sees success, once', async () => {
    const member = await newMember(gw, cafe);
    await earn(gw, cafe, member, '100.00');
    const reward = await newReward(gw, cafe, { pointsCost: 30, stock: 5 });
    const other = await injector(gw.dbUrl, 'deadlock-partner');
    // The gateway's backend (deadlock_timeout 1 s) is the one to find the cycle; ours only breaks
    // it, much later, should the test be too slow to close it in time (the test then fails).
    await other.query(`SET deadlock_timeout = '5s'`);
    const before = await deadlocks();
    try {
      await other.query('BEGIN');
      await other.query('SELECT 1 FROM reward WHERE id = $1 FOR UPDATE', [reward.id]);
      // The redemption locks the wallet, then waits for the reward row we hold …
      const answer = gw.gql(RedeemRewardDocument, { input: { memberId: member.id, rewardId: reward.id, idempotencyKey: uniq('key') } }, cafe.apiKey);
      await eventually(
        async () =>
          (
            await faults.query(
              `SELECT 1 FROM pg_stat_activity WHERE application_name = 'loyalty-gateway' AND wait_event_type = 'Lock' AND query ILIKE 'UPDATE reward%'`,
            )
          ).rowCount === 1,
        10_000,
        'the redemption waiting on the reward row',
      );
      // … and we now wait for its wallet: a cycle. PostgreSQL aborts the redemption (40P01).
      const walletTaken = other.query('SELECT 1 FROM account WHERE member_id = $1 FOR UPDATE', [member.id]);
      await walletTaken;
      await other.query('COMMIT');
      const r = await answer;
      expect(cleanOutcome(r)).toBe('ok');
      expect(r.data!.redeemReward.transaction.balanceAfter).toBe(70);
    } finally {
      await other.end();
    }
    await eventually(async () => (await deadlocks()) > before, 5_000, 'PostgreSQL to count the deadlock');
    expect(await balanceOf(gw, member.id)).toBe(70);
    expect(await gw.sql(`SELECT stock FROM reward WHERE id = $1`, [reward.id])).toEqual([{ stock: 4 }]);
    expect(await gw.sql(`SELECT count(*)::int AS n FROM redemption WHERE member_id = $1`, [member.id])).toEqual([{ n: 1 }]);
    expect(await ledgerViolations(gw)).toEqual([]);
  });

  it('earns, redemptions (limited and unlimited stock), partial refunds and cancellations racing on one member never deadlock', async () => {
    const member = await newMember(gw, cafe);
    const earns = [];
    for (let i = 0; i < 4; i++) earns.push(await earn(gw, cafe, member, '50.00'));
    const limited = await newReward(gw, cafe, { pointsCost: 15, stock: 6 });
    const unlimited = await newReward(gw, cafe, { pointsCost: 10 });
    const redeem = (rewardId: string) => gw.gql(RedeemRewardDocument, { input: { memberId: member.id, rewardId, idempotencyKey: uniq('key') } }, cafe.apiKey);
    const first = await redeem(limited.id);
    const firstRedeemTx = first.data!.redeemReward.transaction.id;
    const before = await deadlocks();

    const outcomes: string[] = [];
    for (let round = 0; round < 3; round++) {
      const reverse = (transactionId: string, points?: number) =>
        gw.gql(ReverseTransactionDocument, { input: { transactionId, points, idempotencyKey: uniq('key') } }, cafe.apiKey);
      const answers = await Promise.all([
        ...Array.from({ length: 6 }, () => gw.gql(EarnPointsDocument, { input: earnInput(member, '7.00') }, cafe.apiKey)),
        ...Array.from({ length: 6 }, () => redeem(limited.id)),
        ...Array.from({ length: 4 }, () => redeem(unlimited.id)),
        ...earns.map((e) => reverse(e.id, 3)),
        reverse(firstRedeemTx),
      ]);
      outcomes.push(...answers.map(cleanOutcome));
    }
    // The first redemption is cancelled once; its later rounds are REDEMPTION_NOT_ACTIVE.
    const unexpected = outcomes.filter((o) => !['ok', 'INSUFFICIENT_POINTS', 'OUT_OF_STOCK', 'BAD_USER_INPUT', 'REDEMPTION_NOT_ACTIVE'].includes(o));
    expect(unexpected).toEqual([]);
    expect(outcomes.filter((o) => o === 'ok').length).toBeGreaterThan(30);
    expect(await deadlocks()).toBe(before);
    // Stock is never oversold and the books balance.
    const [{ stock, held }] = await gw.sql<{ stock: number; held: number }>(
      `SELECT r.stock, (SELECT coalesce(sum(quantity), 0)::int FROM redemption d WHERE d.reward_id = r.id AND d.status = 'ACTIVE') AS held
         FROM reward r WHERE r.id = $1`,
      [limited.id],
    );
    expect(stock).toBeGreaterThanOrEqual(0);
    expect(stock + held).toBe(6);
    expect(await ledgerViolations(gw)).toEqual([]);
  });
});

describe('retries exhausted, through the server', () => {
  // Every attempt of a write on a doomed member fails with the SQLSTATE given for it, raised by a
  // trigger on ledger_transaction (past the idempotency claim, the wallet lock and the lots). The
  // attempts are counted in a sequence, which a rollback does not undo.
  beforeAll(async () => {
    await gw.sql(`
      CREATE TABLE doomed (member_id uuid PRIMARY KEY, errcode text NOT NULL);
      CREATE SEQUENCE doomed_attempts;
      CREATE FUNCTION doom() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE code text;
      BEGIN
        SELECT errcode INTO code FROM doomed WHERE member_id = NEW.member_id;
        IF code IS NOT NULL THEN
          PERFORM nextval('doomed_attempts');
          RAISE EXCEPTION 'forced conflict' USING ERRCODE = code;
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER doom BEFORE INSERT ON ledger_transaction FOR EACH ROW EXECUTE FUNCTION doom();`);
  });
  afterAll(async () => {
    await gw?.sql(
      `DROP TRIGGER IF EXISTS doom ON ledger_transaction; DROP FUNCTION IF EXISTS doom(); DROP TABLE IF EXISTS doomed; DROP SEQUENCE IF EXISTS doomed_attempts`,
    );
  });

  async function attempts(): Promise<number> {
    const [row] = await gw.sql<{ n: string }>(`SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS n FROM doomed_attempts`);
    return Number(row!.n);
  }

  /** What a refused write could have left behind on this member, with this key. */
  async function traces(memberId: string, key: string) {
    const [row] = await gw.sql(
      `SELECT (SELECT count(*)::int FROM ledger_transaction WHERE member_id = $1) AS transactions,
              (SELECT count(*)::int FROM points_lot WHERE member_id = $1) AS lots,
              (SELECT count(*)::int FROM redemption WHERE member_id = $1) AS redemptions,
              (SELECT count(*)::int FROM outbox_event) AS events,
              (SELECT count(*)::int FROM idempotency_key WHERE key = $2) AS keys,
              (SELECT balance::int FROM account WHERE member_id = $1) AS balance`,
      [memberId, key],
    );
    return row!;
  }

  function expectUnavailable(r: GqlResult<unknown>): void {
    expect(cleanOutcome(r)).toBe('SERVICE_UNAVAILABLE');
    const err = r.errors![0]!;
    expect(err.message).toMatch(/conflicting concurrent writes.*retry/);
    expect(err.extensions?.retryAfterSeconds).toBe(1);
  }

  it('an earn failing with a serialization failure (40001) on every attempt: 5 attempts, then SERVICE_UNAVAILABLE, nothing written; the same key later applies it once', async () => {
    const member = await newMember(gw, cafe);
    const input = earnInput(member, '10.00');
    await gw.sql(`INSERT INTO doomed VALUES ($1, '40001')`, [member.id]);
    const before = await traces(member.id, input.idempotencyKey);
    const tried = await attempts();

    const r = await gw.gql(EarnPointsDocument, { input }, cafe.apiKey);
    expectUnavailable(r);
    expect(r.data?.earnPoints ?? null).toBeNull();
    // Bounded: withTransaction's 5 attempts (an earn may first get one try in a group-commit batch).
    expect((await attempts()) - tried).toBeGreaterThanOrEqual(5);
    expect((await attempts()) - tried).toBeLessThanOrEqual(6);
    expect(await traces(member.id, input.idempotencyKey)).toEqual(before);

    // The client retries with its key once the conflict is gone: applied exactly once.
    await gw.sql(`DELETE FROM doomed WHERE member_id = $1`, [member.id]);
    const again = await gw.ok(EarnPointsDocument, { input }, cafe.apiKey);
    expect(again.earnPoints.points).toBe(10);
    expect((await gw.ok(EarnPointsDocument, { input }, cafe.apiKey)).earnPoints.id).toBe(again.earnPoints.id);
    expect(await balanceOf(gw, member.id)).toBe(10);
    expect(await gw.sql(`SELECT count(*)::int AS n FROM ledger_transaction WHERE member_id = $1`, [member.id])).toEqual([{ n: 1 }]);
    expect(await ledgerViolations(gw)).toEqual([]);
  });

  it('a redemption deadlocked (40P01) on every attempt: SERVICE_UNAVAILABLE, no points spent, no stock taken, no key stored; the same key later redeems once', async () => {
    const member = await newMember(gw, cafe);
    await earn(gw, cafe, member, '100.00');
    const reward = await newReward(gw, cafe, { pointsCost: 30, stock: 5 });
    const input = { memberId: member.id, rewardId: reward.id, idempotencyKey: uniq('key') };
    await gw.sql(`INSERT INTO doomed VALUES ($1, '40P01')`, [member.id]);
    const before = await traces(member.id, input.idempotencyKey);
    const tried = await attempts();

    const r = await gw.gql(RedeemRewardDocument, { input }, cafe.apiKey);
    expectUnavailable(r);
    expect((await attempts()) - tried).toBe(5);
    expect(await traces(member.id, input.idempotencyKey)).toEqual(before);
    expect(await gw.sql(`SELECT stock FROM reward WHERE id = $1`, [reward.id])).toEqual([{ stock: 5 }]);
    expect(await gw.sql(`SELECT sum(remaining)::int AS n FROM points_lot WHERE member_id = $1`, [member.id])).toEqual([{ n: 100 }]);

    await gw.sql(`DELETE FROM doomed WHERE member_id = $1`, [member.id]);
    const ok = await gw.ok(RedeemRewardDocument, { input }, cafe.apiKey);
    expect(ok.redeemReward.transaction.balanceAfter).toBe(70);
    expect(await gw.sql(`SELECT stock FROM reward WHERE id = $1`, [reward.id])).toEqual([{ stock: 4 }]);
    expect(await gw.sql(`SELECT count(*)::int AS n FROM redemption WHERE member_id = $1`, [member.id])).toEqual([{ n: 1 }]);
    expect(await ledgerViolations(gw)).toEqual([]);
  });
});
