// Redemption codes at the honouring partner's till (issue 15, section 2): look a code up, use it
// once, and codes not used within the reward's validity expire with their points given back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FulfillRedemptionDocument,
  RedeemRewardDocument,
  RedemptionByCodeDocument,
  ReverseTransactionDocument,
  SettlementDocument,
  UpsertRewardDocument,
} from './generated/graphql';
import { startTestGateway, TestGateway } from './support/gateway';
import { balanceOf, earn, ledgerViolations, lotsOf, newMember, newPartner, newReward, TestPartner, uniq } from './support/factories';
import { expireRedemptions } from '../src/modules/lifecycle/redemption-expiry';
import { runLifecycleJobs } from '../src/modules/lifecycle/jobs';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw?.stop());

const DAY = 86_400_000;

/** A member with 500 points earned at a café, who redeems a reward of the airline's with its own token. */
async function redeemed(opts: { pointsCost?: number; stock?: number | null; validDays?: number } = {}) {
  const cafe = await newPartner(gw);
  const airline = await newPartner(gw, { currencyCode: 'IDR', earnRate: '0.001', burnRate: '35' });
  const member = await newMember(gw, cafe);
  await earn(gw, cafe, member, '500.00');
  const reward =
    opts.validDays === undefined
      ? await newReward(gw, airline, { pointsCost: opts.pointsCost ?? 200, stock: opts.stock ?? null })
      : (
          await gw.ok(
            UpsertRewardDocument,
            { input: { name: uniq('lounge'), pointsCost: opts.pointsCost ?? 200, stock: opts.stock ?? null, validDays: opts.validDays } },
            airline.apiKey,
          )
        ).upsertReward;
  const { redeemReward } = await gw.ok(
    RedeemRewardDocument,
    { input: { memberId: member.id, rewardId: reward.id, idempotencyKey: uniq('redeem') } },
    member.token,
  );
  return { cafe, airline, member, reward, redemption: redeemReward };
}

const fulfil = (code: string, by: TestPartner | string, key = uniq('fulfil')) =>
  gw.gql(FulfillRedemptionDocument, { code, key }, typeof by === 'string' ? by : by.apiKey);

async function fulfilledEvents(redemptionId: string) {
  return gw.sql<{ memberId: string; partnerId: string; payload: Record<string, unknown> }>(
    `SELECT member_id AS "memberId", partner_id AS "partnerId", payload FROM outbox_event
      WHERE topic = 'REDEMPTION_FULFILLED' AND payload->>'redemptionId' = $1`,
    [redemptionId],
  );
}

describe('redemptionByCode', () => {
  it('finds a code for its reward partner and admins, ignoring case, spaces, dashes and look-alikes; anyone else gets null', async () => {
    const { cafe, airline, member, redemption } = await redeemed();
    // 7KQ2-M9XD-… typed as "7kq2 m9xd …", and with the letter O for a zero where there is one.
    const typed = ` ${redemption.code.toLowerCase().replace(/-/g, ' ').replace(/0/g, 'o')} `;
    const { redemptionByCode } = await gw.ok(RedemptionByCodeDocument, { code: typed }, airline.apiKey);
    expect(redemptionByCode).toMatchObject({ id: redemption.id, status: 'ACTIVE', fulfilledAt: null, expiresAt: null, member: { id: member.id } });
    expect((await gw.ok(RedemptionByCodeDocument, { code: redemption.code.replace(/-/g, '') }, gw.adminToken)).redemptionByCode?.id).toBe(redemption.id);
    // The café that enrolled the member, another member's token, the member itself: no way to probe codes.
    expect((await gw.ok(RedemptionByCodeDocument, { code: redemption.code }, cafe.apiKey)).redemptionByCode).toBeNull();
    expect((await gw.ok(RedemptionByCodeDocument, { code: redemption.code }, member.token)).redemptionByCode).toBeNull();
    expect((await gw.ok(RedemptionByCodeDocument, { code: 'ZZZZ-ZZZZ-ZZZZ-ZZZZ' }, airline.apiKey)).redemptionByCode).toBeNull();
  });

  it('refuses a code that is empty or too long, naming code', async () => {
    const partner = await newPartner(gw);
    for (const code of [' - - ', 'A'.repeat(65)]) {
      const r = await gw.gql(RedemptionByCodeDocument, { code }, partner.apiKey);
      expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'code' });
    }
  });
});

describe('fulfillRedemption', () => {
  it('uses a code once: FULFILLED with its time, REDEMPTION_FULFILLED announced; a second use and a cancellation are REDEMPTION_NOT_ACTIVE', async () => {
    const { airline, member, redemption } = await redeemed();
    const key = uniq('fulfil');
    const first = await fulfil(redemption.code.toLowerCase(), airline, key);
    expect(first.errors).toBeUndefined();
    const used = first.data!.fulfillRedemption;
    expect(used).toMatchObject({ id: redemption.id, status: 'FULFILLED' });
    expect(Math.abs(new Date(used.fulfilledAt!).getTime() - Date.now())).toBeLessThan(60_000);

    // A replay under the same key is the first answer, and announces nothing more.
    const replay = await fulfil(redemption.code, airline, key);
    expect(replay.data?.fulfillRedemption).toEqual(used);
    const events = await fulfilledEvents(redemption.id);
    expect(events).toEqual([
      {
        memberId: member.id,
        partnerId: airline.id,
        payload: { redemptionId: redemption.id, rewardId: redemption.reward.id, quantity: 1, pointsSpent: 200, fulfilledAt: expect.any(String) },
      },
    ]);

    const again = await fulfil(redemption.code, airline);
    expect(again.errors?.[0]?.extensions).toMatchObject({ code: 'REDEMPTION_NOT_ACTIVE', status: 'FULFILLED', field: 'code' });
    expect(again.errors?.[0]?.message).toContain('FULFILLED');
    const cancel = await gw.gql(
      ReverseTransactionDocument,
      { input: { transactionId: redemption.transaction.id, idempotencyKey: uniq('cancel') } },
      airline.apiKey,
    );
    expect(cancel.errors?.[0]?.extensions).toMatchObject({ code: 'REDEMPTION_NOT_ACTIVE', status: 'FULFILLED', field: 'input.transactionId' });
    expect(await balanceOf(gw, member.id)).toBe(300);
    expect(await fulfilledEvents(redemption.id)).toHaveLength(1);
    expect(await ledgerViolations(gw)).toEqual([]);
  });

  it('another partner gets NOT_FOUND, as for a code that does not exist, and writes nothing; a member is FORBIDDEN', async () => {
    const { cafe, member, redemption } = await redeemed();
    for (const code of [redemption.code, 'ZZZZ-ZZZZ-ZZZZ-ZZZZ']) {
      const r = await fulfil(code, cafe);
      expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'code' });
    }
    expect((await fulfil(redemption.code, member.token)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(await gw.sql(`SELECT status FROM redemption WHERE id = $1`, [redemption.id])).toEqual([{ status: 'ACTIVE' }]);
    expect(await gw.sql(`SELECT 1 FROM idempotency_key WHERE operation = 'fulfillRedemption' AND caller = $1`, [`partner:${cafe.id}`])).toEqual([]);
  });

  it('a cancelled code cannot be used: REDEMPTION_NOT_ACTIVE naming CANCELLED', async () => {
    const { airline, member, redemption } = await redeemed();
    await gw.ok(ReverseTransactionDocument, { input: { transactionId: redemption.transaction.id, idempotencyKey: uniq('cancel') } }, airline.apiKey);
    const r = await fulfil(redemption.code, gw.adminToken);
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'REDEMPTION_NOT_ACTIVE', status: 'CANCELLED' });
    expect(await balanceOf(gw, member.id)).toBe(500);
  });

  it('50 tills racing to use one code: exactly one fulfils, 49 get REDEMPTION_NOT_ACTIVE, one event', async () => {
    const { airline, redemption } = await redeemed();
    const results = await Promise.all(Array.from({ length: 50 }, () => fulfil(redemption.code, airline)));
    const ok = results.filter((r) => r.data?.fulfillRedemption);
    expect(ok).toHaveLength(1);
    expect(results.flatMap((r) => r.errors ?? []).map((e) => [e.extensions?.code, e.extensions?.status])).toEqual(
      Array(49).fill(['REDEMPTION_NOT_ACTIVE', 'FULFILLED']),
    );
    expect(await fulfilledEvents(redemption.id)).toHaveLength(1);
  });

  it('a fulfilment racing a cancellation: one of them wins, the other is REDEMPTION_NOT_ACTIVE, the books hold', async () => {
    for (let i = 0; i < 5; i++) {
      const { airline, member, redemption } = await redeemed();
      const [used, cancelled] = await Promise.all([
        fulfil(redemption.code, airline),
        gw.gql(ReverseTransactionDocument, { input: { transactionId: redemption.transaction.id, idempotencyKey: uniq('cancel') } }, airline.apiKey),
      ]);
      const wins = [used.data?.fulfillRedemption, cancelled.data?.reverseTransaction].filter(Boolean);
      expect(wins).toHaveLength(1);
      expect([...(used.errors ?? []), ...(cancelled.errors ?? [])].map((e) => e.extensions?.code)).toEqual(['REDEMPTION_NOT_ACTIVE']);
      const [{ status }] = await gw.sql<{ status: string }>(`SELECT status FROM redemption WHERE id = $1`, [redemption.id]);
      expect(await balanceOf(gw, member.id)).toBe(status === 'FULFILLED' ? 300 : 500);
    }
    expect(await ledgerViolations(gw)).toEqual([]);
  });

  it('refuses a suspended partner, and bad arguments naming them', async () => {
    const { airline, redemption } = await redeemed();
    const empty = await gw.gql(FulfillRedemptionDocument, { code: redemption.code, key: ' ' }, airline.apiKey);
    expect(empty.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'idempotencyKey' });
    const noCode = await gw.gql(FulfillRedemptionDocument, { code: '--', key: uniq('k') }, airline.apiKey);
    expect(noCode.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'code' });
    await gw.sql(`UPDATE partner SET status = 'SUSPENDED' WHERE id = $1`, [airline.id]);
    try {
      expect((await fulfil(redemption.code, airline)).errors?.[0]?.extensions?.code).toBe('PARTNER_SUSPENDED');
    } finally {
      await gw.sql(`UPDATE partner SET status = 'ACTIVE' WHERE id = $1`, [airline.id]);
    }
    expect(await gw.sql(`SELECT status FROM redemption WHERE id = $1`, [redemption.id])).toEqual([{ status: 'ACTIVE' }]);
  });
});

describe('codes that expire (Reward.validDays)', () => {
  it('a code valid 7 days, unused: EXPIRED from then on, and the job gives the points back to the very lots, the stock back, once', async () => {
    const { airline, member, reward, redemption } = await redeemed({ pointsCost: 150, stock: 4, validDays: 7 });
    expect((await gw.ok(RedemptionByCodeDocument, { code: redemption.code }, airline.apiKey)).redemptionByCode?.reward.validDays).toBe(7);
    const expiresAt = new Date(redemption.expiresAt!).getTime();
    expect(Math.abs(expiresAt - (new Date(redemption.createdAt).getTime() + 7 * DAY))).toBeLessThan(1000);
    const lotsBefore = await lotsOf(gw, member.id);
    expect(lotsBefore.map((l) => l.remaining)).toEqual([350]);

    // Not yet due: nothing happens.
    expect(await expireRedemptions(gw.db, new Date(expiresAt - DAY))).toEqual({ ran: true, members: 0, points: 0 });
    const result = await runLifecycleJobs(gw.db, gw.services.coalition, new Date(expiresAt + 1000));
    expect(result.redemptionsExpired).toEqual({ ran: true, members: 1, points: 150 });
    expect(await balanceOf(gw, member.id)).toBe(500);
    expect((await lotsOf(gw, member.id)).map((l) => [l.points, l.remaining, l.expiresAt])).toEqual([[500, 500, lotsBefore[0]!.expiresAt]]);
    expect(await gw.sql(`SELECT stock FROM reward WHERE id = $1`, [reward.id])).toEqual([{ stock: 4 }]);
    const [back] = await gw.sql<{ type: string; points: number; reason: string }>(
      `SELECT type, points, reason FROM ledger_transaction WHERE reverses_id = $1`,
      [redemption.transaction.id],
    );
    expect(back).toEqual({ type: 'REVERSAL', points: 150, reason: 'redemption code expired unused' });
    const { redemptionByCode } = await gw.ok(RedemptionByCodeDocument, { code: redemption.code }, airline.apiKey);
    expect(redemptionByCode?.status).toBe('EXPIRED');
    expect((await fulfil(redemption.code, airline)).errors?.[0]?.extensions).toMatchObject({ code: 'REDEMPTION_NOT_ACTIVE', status: 'EXPIRED' });

    // A second run writes nothing.
    expect(await expireRedemptions(gw.db, new Date(expiresAt + 2000))).toEqual({ ran: true, members: 0, points: 0 });
    // Settlement: the airline never honoured it.
    const period = { from: new Date(Date.now() - DAY).toISOString(), to: new Date(Date.now() + DAY).toISOString() };
    const line = (await gw.ok(SettlementDocument, period, gw.adminToken)).settlement.find((l) => l.partner.id === airline.id);
    expect(line).toMatchObject({ pointsRedeemed: 0, owedToPartner: { amount: '0.00', currencyCode: 'IDR' } });
    expect(await ledgerViolations(gw)).toEqual([]);
  });

  it('past its expiry a code reads EXPIRED before the job runs: it can be neither used nor cancelled', async () => {
    const { airline, member, redemption } = await redeemed({ validDays: 1 });
    await gw.sql(`UPDATE redemption SET expires_at = now() - interval '1 minute' WHERE id = $1`, [redemption.id]);
    expect((await gw.ok(RedemptionByCodeDocument, { code: redemption.code }, airline.apiKey)).redemptionByCode?.status).toBe('EXPIRED');
    expect((await fulfil(redemption.code, airline)).errors?.[0]?.extensions).toMatchObject({ code: 'REDEMPTION_NOT_ACTIVE', status: 'EXPIRED' });
    const cancel = await gw.gql(ReverseTransactionDocument, { input: { transactionId: redemption.transaction.id, idempotencyKey: uniq('c') } }, airline.apiKey);
    expect(cancel.errors?.[0]?.extensions).toMatchObject({ code: 'REDEMPTION_NOT_ACTIVE', status: 'EXPIRED' });
    expect(await balanceOf(gw, member.id)).toBe(300);
    await expireRedemptions(gw.db);
    expect(await balanceOf(gw, member.id)).toBe(500);
  });

  it('a used code never expires; validDays is checked (1 to 3650) naming the field', async () => {
    const { airline, member, redemption } = await redeemed({ validDays: 2 });
    await gw.ok(FulfillRedemptionDocument, { code: redemption.code, key: uniq('k') }, airline.apiKey);
    expect(await expireRedemptions(gw.db, new Date(Date.now() + 10 * DAY))).toMatchObject({ points: 0 });
    expect(await balanceOf(gw, member.id)).toBe(300);
    for (const validDays of [0, 3651]) {
      const r = await gw.gql(UpsertRewardDocument, { input: { name: uniq('r'), pointsCost: 10, validDays } }, airline.apiKey);
      expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.validDays' });
    }
  });
});
