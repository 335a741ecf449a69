import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedeemRewardDocument } from './generated/graphql';
import { startTestGateway, TestGateway } from './support/gateway';
import { earn, ledgerViolations, newMember, newPartner, newReward, uniq } from './support/factories';

let gw: TestGateway;
let earnId: string;
let redeemId: string;
beforeAll(async () => {
  gw = await startTestGateway();
  const cafe = await newPartner(gw);
  const member = await newMember(gw, cafe);
  earnId = (await earn(gw, cafe, member, '100.00')).id;
  const reward = await newReward(gw, cafe, { pointsCost: 30 });
  const { redeemReward } = await gw.ok(RedeemRewardDocument, { input: { memberId: member.id, rewardId: reward.id, idempotencyKey: uniq('r') } }, member.token);
  redeemId = redeemReward.transaction.id;
});
afterAll(() => gw?.stop());

const count = async (table: string) => (await gw.sql<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`))[0]!.n;

describe('the database guards the ledger: append-only and zero-sum', () => {
  it('refuses UPDATE, DELETE and TRUNCATE of ledger transactions, even to the database owner', async () => {
    for (const statement of [
      `UPDATE ledger_transaction SET points = points + 1 WHERE id = '${earnId}'`,
      `UPDATE ledger_transaction SET created_at = now() - interval '1 year' WHERE id = '${earnId}'`,
      `UPDATE ledger_transaction SET reason = 'edited' WHERE id = '${earnId}'`,
      `DELETE FROM ledger_transaction WHERE id = '${redeemId}'`,
      'TRUNCATE ledger_transaction CASCADE',
    ]) {
      await expect(gw.sql(statement), statement).rejects.toThrow(/ledger_transaction is append-only/);
    }
    const [tx] = await gw.sql<{ points: number; reason: string | null }>(`SELECT points, reason FROM ledger_transaction WHERE id = $1`, [earnId]);
    expect(tx).toEqual({ points: 100, reason: null });
  });

  it('refuses UPDATE, DELETE and TRUNCATE of ledger entries', async () => {
    const before = await count('ledger_entry');
    for (const statement of [
      `UPDATE ledger_entry SET amount = amount * 2 WHERE transaction_id = '${earnId}'`,
      `DELETE FROM ledger_entry WHERE transaction_id = '${redeemId}'`,
      'TRUNCATE ledger_entry',
    ]) {
      await expect(gw.sql(statement), statement).rejects.toThrow(/ledger_entry is append-only/);
    }
    expect(await count('ledger_entry')).toBe(before);
  });

  it('refuses UPDATE, DELETE and TRUNCATE of lot consumption', async () => {
    const before = await count('lot_consumption');
    expect(before).toBeGreaterThan(0);
    for (const statement of [
      `UPDATE lot_consumption SET points = 1 WHERE transaction_id = '${redeemId}'`,
      `DELETE FROM lot_consumption WHERE transaction_id = '${redeemId}'`,
      'TRUNCATE lot_consumption',
    ]) {
      await expect(gw.sql(statement), statement).rejects.toThrow(/lot_consumption is append-only/);
    }
    expect(await count('lot_consumption')).toBe(before);
  });

  it('refuses at COMMIT a transaction whose entries do not sum to zero, written past the journal with raw SQL', async () => {
    const [wallet] = await gw.sql<{ id: string; memberId: string }>(`SELECT id, member_id AS "memberId" FROM account WHERE kind = 'MEMBER' LIMIT 1`);
    const before = await count('ledger_transaction');
    const forge = (amounts: number[]) =>
      gw.sql(
        `WITH tx AS (INSERT INTO ledger_transaction (type, member_id, points, balance_after) VALUES ('ADJUSTMENT', $1, $2, 0) RETURNING id)
         INSERT INTO ledger_entry (transaction_id, account_id, amount, member_id)
         SELECT tx.id, a.id, x.amount, $1 FROM tx, unnest($3::bigint[]) WITH ORDINALITY AS x(amount, n)
           JOIN LATERAL (SELECT id FROM account WHERE (x.n = 1 AND id = $4) OR (x.n = 2 AND kind = 'COALITION_BREAKAGE')) a ON true`,
        [wallet!.memberId, amounts[0], amounts, wallet!.id],
      );
    // One-sided: points out of nowhere.
    await expect(forge([500])).rejects.toThrow(/does not balance: its entries sum to 500/);
    // Two-sided but not zero.
    await expect(forge([500, -499])).rejects.toThrow(/does not balance: its entries sum to 1/);
    expect(await count('ledger_transaction')).toBe(before);
  });

  it('still writes new transactions, and the books still balance', async () => {
    expect(await ledgerViolations(gw)).toEqual([]);
  });
});
