// The group-commit writer (src/modules/ledger/earn-batch.ts) through the real server. To make
// batches form on demand, one writer is configured and the test holds a member's wallet lock:
// the batch carrying that member waits, the earns sent meanwhile queue, and the lock's release
// lets them through as one batch.
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateChallengeDocument,
  CreatePunchCardDocument,
  EarnPointsDocument,
  EnrollWithCodeDocument,
  IssueMemberTokenDocument,
  MemberChallengesDocument,
  MemberPerksDocument,
  SetProgramSettingsDocument,
} from './generated/graphql';
import { GqlResult, startTestGateway, TestGateway } from './support/gateway';
import { earn, earnInput, ledgerViolations, newMember, newPartner, newReward, TestMember, TestPartner, uniq } from './support/factories';

let gw: TestGateway;
let cafe: TestPartner;
let siam: TestPartner;

beforeAll(async () => {
  gw = await startTestGateway({ EARN_BATCH_WRITERS: '1', EARN_BATCH_SIZE: '64' });
  cafe = await newPartner(gw, { earnRate: '1' });
  siam = await newPartner(gw, { currencyCode: 'THB', earnRate: '0.5' });
});
afterAll(() => gw?.stop());

const stats = () => ({ ...gw.services.earnWriter!.stats });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Holds `member`'s wallet lock until release() (as another writer's transaction would). */
async function holdWallet(member: TestMember) {
  const c = new Client({ connectionString: gw.dbUrl });
  await c.connect();
  await c.query('BEGIN');
  await c.query(`SELECT 1 FROM account WHERE member_id = $1 FOR UPDATE`, [member.id]);
  return {
    async release() {
      await c.query('COMMIT');
      await c.end();
    },
  };
}

/** Waits until some backend is blocked on a row lock (the batch carrying the held member). */
async function untilBlocked() {
  for (let i = 0; i < 100; i++) {
    const [{ n }] = await gw.sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    );
    if (n > 0) return;
    await sleep(20);
  }
  throw new Error('no writer blocked on the held wallet');
}

type EarnResult = GqlResult<{ earnPoints: { id: string; points: number; balanceAfter: number } }>;

async function balance(member: TestMember): Promise<number> {
  return (await gw.sql<{ balance: number }>(`SELECT balance FROM account WHERE member_id = $1`, [member.id]))[0]!.balance;
}

describe('group commit of earns', () => {
  it('writes the earns that queued behind a busy writer in one batch, each with its own answer and its own errors', async () => {
    const blocker = await newMember(gw, cafe);
    const members = await Promise.all(Array.from({ length: 5 }, () => newMember(gw, cafe)));
    const replayed = await newMember(gw, cafe);
    const original = earnInput(replayed, '7.00');
    const first = await gw.ok(EarnPointsDocument, { input: original }, cafe.apiKey);

    const lock = await holdWallet(blocker);
    const blocked = gw.gql(EarnPointsDocument, { input: earnInput(blocker, '1.00') }, cafe.apiKey) as Promise<EarnResult>;
    await untilBlocked();
    const before = stats();

    const good = members.map((m, i) => earnInput(m, `${10 + i}.00`));
    const unknownMember = earnInput({ id: randomUUID(), email: '', token: '' }, '5.00');
    const wrongCurrency = earnInput(members[0]!, '5.00', { currencyCode: 'THB' });
    const otherMember = await newMember(gw, cafe);
    const thbAtSiam = earnInput(otherMember, '100.00', { currencyCode: 'THB' });
    const conflicting = { ...original, amount: '8.00' };
    const sent = [
      ...good.map((input) => ({ input, key: cafe.apiKey })),
      { input: unknownMember, key: cafe.apiKey },
      { input: conflicting, key: cafe.apiKey },
      { input: original, key: cafe.apiKey },
      { input: thbAtSiam, key: siam.apiKey },
    ];
    const answers = sent.map(({ input, key }) => gw.gql(EarnPointsDocument, { input }, key) as Promise<EarnResult>);
    // wrongCurrency is for members[0], already in this batch: it waits for the next one.
    const later = gw.gql(EarnPointsDocument, { input: wrongCurrency }, cafe.apiKey) as Promise<EarnResult>;
    await sleep(300); // every request parsed, validated and queued behind the blocked batch
    await lock.release();
    const [blockedAnswer, ...results] = await Promise.all([blocked, ...answers]);
    const laterAnswer = await later;

    expect(blockedAnswer.data?.earnPoints.points).toBe(1);
    results.slice(0, 5).forEach((r, i) => {
      expect(r.errors).toBeUndefined();
      expect(r.data?.earnPoints).toMatchObject({ points: 10 + i, balanceAfter: 10 + i });
    });
    const [unknown, conflict, replay, thb] = results.slice(5);
    expect(unknown!.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'input.memberId' });
    expect(conflict!.errors?.[0]?.extensions).toMatchObject({ code: 'IDEMPOTENCY_CONFLICT', field: 'input.idempotencyKey' });
    expect(replay!.data?.earnPoints.id).toBe(first.earnPoints.id);
    expect(thb!.data?.earnPoints.points).toBe(50);
    expect(laterAnswer.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.currencyCode' });

    const after = stats();
    // The queued earns went together: 8 in one batch (the replay shares the conflicting request's
    // key and the wrong-currency earn a member with another, so each waited for the next batch).
    expect(after.largest).toBeGreaterThanOrEqual(8);
    expect(after.batches - before.batches).toBeLessThanOrEqual(3);
    expect(after.failedBatches).toBe(before.failedBatches);
    // Refused requests stored nothing: no idempotency key, no transaction.
    const keys = [unknownMember.idempotencyKey, wrongCurrency.idempotencyKey];
    expect(await gw.sql(`SELECT key FROM idempotency_key WHERE key = ANY($1)`, [keys])).toEqual([]);
    expect(await gw.sql(`SELECT count(*)::int AS n FROM ledger_transaction WHERE member_id = $1`, [replayed.id])).toEqual([{ n: 1 }]);
    for (const [i, m] of members.entries()) expect(await balance(m)).toBe(10 + i);
    expect(await ledgerViolations(gw)).toEqual([]);
  });

  it('a receipt earned twice inside one batch: the batch falls back to one transaction per earn, so only that request fails', async () => {
    const blocker = await newMember(gw, cafe);
    const members = await Promise.all(Array.from({ length: 4 }, () => newMember(gw, cafe)));
    const lock = await holdWallet(blocker);
    const blocked = gw.gql(EarnPointsDocument, { input: earnInput(blocker, '1.00') }, cafe.apiKey);
    await untilBlocked();
    const before = stats();

    const receipt = uniq('receipt');
    const twice = [earnInput(members[0]!, '20.00', { externalRef: receipt }), earnInput(members[1]!, '20.00', { externalRef: receipt })];
    const others = [earnInput(members[2]!, '3.00'), earnInput(members[3]!, '4.00')];
    const answers = [...twice, ...others].map((input) => gw.gql(EarnPointsDocument, { input }, cafe.apiKey) as Promise<EarnResult>);
    await sleep(300);
    await lock.release();
    await blocked;
    const [a, b, c, d] = await Promise.all(answers);

    const receiptAnswers = [a!, b!];
    expect(receiptAnswers.filter((r) => r.data?.earnPoints.points === 20)).toHaveLength(1);
    const refused = receiptAnswers.find((r) => r.errors);
    expect(refused?.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.externalRef' });
    expect(c!.data?.earnPoints.points).toBe(3);
    expect(d!.data?.earnPoints.points).toBe(4);
    const after = stats();
    expect(after.failedBatches - before.failedBatches).toBe(1);
    expect(after.alone - before.alone).toBeGreaterThanOrEqual(4);
    expect(await gw.sql(`SELECT count(*)::int AS n FROM ledger_transaction WHERE external_ref = $1`, [receipt])).toEqual([{ n: 1 }]);
    expect(await ledgerViolations(gw)).toEqual([]);
  });

  it("one member's burst is spread over batches in arrival order: balances chain, nothing lost", async () => {
    const member = await newMember(gw, cafe);
    const inputs = Array.from({ length: 12 }, (_, i) => earnInput(member, `${i + 1}.00`));
    const before = stats();
    const answers = await Promise.all(inputs.map((input) => gw.gql(EarnPointsDocument, { input }, cafe.apiKey) as Promise<EarnResult>));
    for (const r of answers) expect(r.errors).toBeUndefined();
    const after = stats();
    expect(after.batches - before.batches).toBeGreaterThanOrEqual(12);
    const balances = answers.map((r) => r.data!.earnPoints.balanceAfter).sort((x, y) => x - y);
    expect(new Set(balances).size).toBe(12);
    expect(balances.at(-1)).toBe(78); // 1 + 2 + … + 12
    expect(await balance(member)).toBe(78);
    expect(await ledgerViolations(gw)).toEqual([]);
  });
  it('punch cards, a referred first earn and challenge progress ride in the batch, each as its own earn would have them', async () => {
    const kopi = await newPartner(gw, { earnRate: '1' });
    const reward = await newReward(gw, kopi, { pointsCost: 100, stock: 10 });
    await gw.ok(CreatePunchCardDocument, { input: { name: 'Kopi card', punchesRequired: 2, rewardId: reward.id, minSpend: '5.00' } }, kopi.apiKey);
    const { createChallenge } = await gw.ok(
      CreateChallengeDocument,
      { input: { name: 'Twice at Kopi', kind: 'EARN_COUNT', target: '2', windowDays: 30, bonusPoints: 300, badgeName: 'Regular' } },
      kopi.apiKey,
    );
    await gw.ok(SetProgramSettingsDocument, { input: { referralBonusPoints: 200 } }, gw.adminToken);
    const carded = await newMember(gw, kopi);
    const challenged = await newMember(gw, kopi);
    await earn(gw, kopi, carded, '6.00'); // first punch (and first challenge step)
    await earn(gw, kopi, challenged, '6.00'); // first challenge step (and a punch)
    const referrer = await newMember(gw, kopi);
    const referrerCode = (await gw.sql<{ code: string }>(`SELECT referral_code AS code FROM member WHERE id = $1`, [referrer.id]))[0]!.code;
    const { enrollMember } = await gw.ok(
      EnrollWithCodeDocument,
      { input: { email: `${uniq('referred')}@example.com`, displayName: 'Referred', referralCode: referrerCode } },
      cafe.apiKey,
    );
    const { issueMemberToken } = await gw.ok(IssueMemberTokenDocument, { memberId: enrollMember.id }, cafe.apiKey);
    const referred = { id: enrollMember.id, email: '', token: issueMemberToken };
    const plain = await newMember(gw, cafe);

    const blocker = await newMember(gw, cafe);
    const lock = await holdWallet(blocker);
    const blocked = gw.gql(EarnPointsDocument, { input: earnInput(blocker, '1.00') }, cafe.apiKey);
    await untilBlocked();
    const before = stats();
    const sent = [
      gw.gql(EarnPointsDocument, { input: earnInput(carded, '7.00') }, kopi.apiKey),
      gw.gql(EarnPointsDocument, { input: earnInput(challenged, '8.00') }, kopi.apiKey),
      gw.gql(EarnPointsDocument, { input: earnInput(referred, '9.00') }, cafe.apiKey),
      gw.gql(EarnPointsDocument, { input: earnInput(plain, '10.00') }, cafe.apiKey),
    ] as Promise<EarnResult>[];
    await sleep(300);
    await lock.release();
    await blocked;
    const answers = await Promise.all(sent);
    expect(answers.map((r) => r.errors)).toEqual([undefined, undefined, undefined, undefined]);
    expect(answers.map((r) => r.data!.earnPoints.points)).toEqual([7, 8, 9, 10]);
    const after = stats();
    expect(after.largest).toBeGreaterThanOrEqual(4);
    expect(after.failedBatches).toBe(before.failedBatches);
    expect(after.alone).toBe(before.alone);

    // The second punch completed the card: a zero-point redemption of the reward, and the card restarts.
    const perks = (await gw.ok(MemberPerksDocument, { id: carded.id }, carded.token)).member!;
    expect(perks.punchCards).toEqual([{ card: expect.objectContaining({ name: 'Kopi card' }), punches: 0, completedCount: 1 }]);
    expect(perks.redemptions.totalCount).toBe(1);
    // The second purchase at Kopi completed the challenge: its badge and 300 bonus points.
    const ch = (await gw.ok(MemberChallengesDocument, { id: challenged.id }, challenged.token)).member!;
    expect(ch.badges.map((b) => b.name)).toContain('Regular');
    expect(ch.challenges.find((c) => c.challenge.id === createChallenge.id)?.completedAt).toBeTruthy();
    expect(await balance(challenged)).toBe(6 + 8 + 300);
    // The referred member's first earn: 200 each.
    expect(await balance(referred)).toBe(9 + 200);
    expect(await balance(referrer)).toBe(200);
    expect(await balance(plain)).toBe(10);
    expect(await ledgerViolations(gw)).toEqual([]);
  });
});
