// Model-based test (fast-check): random sequences of enrolments, earns, redemptions (limited and
// unlimited stock), partial and whole refunds, cancellations and balance reads, run against the
// real server and against test/support/ledger-model.ts. Every answer (balance after, or the error
// code) and the final balances, lots and stock must match. A failure prints the seed and the
// shrunk sequence of commands.
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  EarnPointsDocument,
  EnrollMemberDocument,
  IssueMemberTokenDocument,
  MemberBalanceDocument,
  RedeemRewardDocument,
  ReverseTransactionDocument,
} from './generated/graphql';
import { GqlResult, startTestGateway, TestGateway } from './support/gateway';
import { ledgerViolations, linkPartner, newPartner, newReward, TestPartner, uniq } from './support/factories';
import { Answer, LedgerModel, ModelMember } from './support/ledger-model';

let gw: TestGateway;
let partners: TestPartner[]; // earn rates 1 and 2, MYR

beforeAll(async () => {
  gw = await startTestGateway();
  partners = [await newPartner(gw, { earnRate: '1' }), await newPartner(gw, { earnRate: '2' })];
});
afterAll(() => gw?.stop());

type Cmd = fc.AsyncCommand<LedgerModel, TestGateway>;

function answerOf<T>(r: GqlResult<T>, balanceAfter: (data: T) => number): Answer {
  const code = r.errors?.[0]?.extensions?.code;
  if (r.errors?.length) return { code: typeof code === 'string' ? code : `uncoded: ${r.errors[0]!.message}` };
  return { balanceAfter: balanceAfter(r.data!) };
}

const at = <T>(items: T[], i: number) => items[i % items.length]!;

class Enrol implements Cmd {
  check = (m: Readonly<LedgerModel>) => m.members.length < 4;
  async run(m: LedgerModel, real: TestGateway) {
    const { enrollMember } = await real.ok(
      EnrollMemberDocument,
      { input: { email: `${uniq('model')}@example.com`, displayName: 'Model' } },
      partners[0]!.apiKey,
    );
    // Each reward's own partner redeems it for the member: the member links the second partner too.
    const { issueMemberToken } = await real.ok(IssueMemberTokenDocument, { memberId: enrollMember.id }, partners[0]!.apiKey);
    await linkPartner(real, { id: enrollMember.id, email: enrollMember.email, token: issueMemberToken }, partners[1]!);
    m.enrol(enrollMember.id);
  }
  toString = () => 'enrol';
}

class Earn implements Cmd {
  constructor(readonly a: { member: number; partner: number; amount: number; expiresInDays: number | null }) {}
  check = (m: Readonly<LedgerModel>) => m.members.length > 0;
  async run(m: LedgerModel, real: TestGateway) {
    const member = at(m.members, this.a.member);
    const partner = partners[this.a.partner]!;
    const input = { memberId: member.id, amount: `${this.a.amount}.00`, currencyCode: 'MYR', externalRef: uniq('rcpt'), idempotencyKey: uniq('key') };
    const r = await real.gql(EarnPointsDocument, { input }, partner.apiKey);
    const got = answerOf(r, (d) => d.earnPoints.balanceAfter);
    if (!r.data?.earnPoints) return expect(got).toEqual({ balanceAfter: 'an earn' });
    // Lots with their own expiry dates, so "oldest expiry first" is not just "oldest first".
    if (this.a.expiresInDays !== null) {
      await real.sql(`UPDATE points_lot SET expires_at = now() + make_interval(days => $2) WHERE earn_transaction_id = $1`, [
        r.data.earnPoints.id,
        this.a.expiresInDays,
      ]);
    }
    expect(r.data.earnPoints.points).toBe(this.a.amount * (this.a.partner + 1));
    expect(got).toEqual(m.earn(member, this.a.partner, r.data.earnPoints.points, r.data.earnPoints.id, this.a.expiresInDays));
  }
  toString = () => `earn(${JSON.stringify(this.a)})`;
}

class Redeem implements Cmd {
  constructor(readonly a: { member: number; reward: number; quantity: number }) {}
  check = (m: Readonly<LedgerModel>) => m.members.length > 0;
  async run(m: LedgerModel, real: TestGateway) {
    const member = at(m.members, this.a.member);
    const reward = at(m.rewards, this.a.reward);
    const input = { memberId: member.id, rewardId: reward.id, quantity: this.a.quantity, idempotencyKey: uniq('key') };
    const r = await real.gql(RedeemRewardDocument, { input }, partners[reward.partner]!.apiKey);
    const got = answerOf(r, (d) => d.redeemReward.transaction.balanceAfter);
    const refusal = m.redeemRefusal(member, reward, this.a.quantity);
    if (refusal) return expect(got).toEqual({ code: refusal });
    expect(got).toEqual(m.redeem(member, reward, this.a.quantity, r.data?.redeemReward.transaction.id ?? 'none'));
  }
  toString = () => `redeem(${JSON.stringify(this.a)})`;
}

class ReverseEarn implements Cmd {
  constructor(readonly a: { earn: number; points: number | null }) {}
  check = (m: Readonly<LedgerModel>) => m.earns.length > 0;
  async run(m: LedgerModel, real: TestGateway) {
    const earn = at(m.earns, this.a.earn);
    const input = { transactionId: earn.id, points: this.a.points, idempotencyKey: uniq('key') };
    const got = answerOf(await real.gql(ReverseTransactionDocument, { input }, partners[earn.partner]!.apiKey), (d) => d.reverseTransaction.balanceAfter);
    const refusal = m.reverseEarnRefusal(earn, this.a.points);
    expect(got).toEqual(refusal ? { code: refusal } : m.reverseEarn(earn, this.a.points));
  }
  toString = () => `reverseEarn(${JSON.stringify(this.a)})`;
}

class ReverseRedeem implements Cmd {
  constructor(readonly a: { redemption: number }) {}
  check = (m: Readonly<LedgerModel>) => m.redemptions.length > 0;
  async run(m: LedgerModel, real: TestGateway) {
    const redemption = at(m.redemptions, this.a.redemption);
    const input = { transactionId: redemption.transactionId, idempotencyKey: uniq('key') };
    const r = await real.gql(ReverseTransactionDocument, { input }, partners[redemption.reward.partner]!.apiKey);
    expect(answerOf(r, (d) => d.reverseTransaction.balanceAfter)).toEqual(m.reverseRedeem(redemption));
  }
  toString = () => `reverseRedeem(${JSON.stringify(this.a)})`;
}

class ReadBalance implements Cmd {
  constructor(readonly a: { member: number }) {}
  check = (m: Readonly<LedgerModel>) => m.members.length > 0;
  async run(m: LedgerModel, real: TestGateway) {
    const member = at(m.members, this.a.member);
    const { member: seen } = await real.ok(MemberBalanceDocument, { id: member.id }, partners[1]!.apiKey);
    expect(seen!.balance.available).toBe(member.balance);
  }
  toString = () => `read(${this.a.member})`;
}

const earnCmd = fc
  .record({
    member: fc.nat(3),
    partner: fc.nat(1),
    amount: fc.integer({ min: 1, max: 120 }),
    expiresInDays: fc.option(fc.integer({ min: 1, max: 400 }), { nil: null }),
  })
  .map((a) => new Earn(a));
const redeemCmd = fc.record({ member: fc.nat(3), reward: fc.nat(2), quantity: fc.integer({ min: 1, max: 2 }) }).map((a) => new Redeem(a));
const reverseEarnCmd = fc.record({ earn: fc.nat(15), points: fc.option(fc.integer({ min: 1, max: 150 }), { nil: null }) }).map((a) => new ReverseEarn(a));
const reverseRedeemCmd = fc.record({ redemption: fc.nat(7) }).map((a) => new ReverseRedeem(a));
// Listed more than once to weigh the mix towards writes that interact.
const commands = [
  fc.constant(new Enrol()),
  earnCmd,
  earnCmd,
  earnCmd,
  redeemCmd,
  redeemCmd,
  reverseEarnCmd,
  reverseEarnCmd,
  reverseRedeemCmd,
  reverseRedeemCmd,
  fc.record({ member: fc.nat(3) }).map((a) => new ReadBalance(a)),
];

async function expectFinalState(m: LedgerModel): Promise<void> {
  for (const member of m.members) {
    const lots = await gw.sql<{ earnId: string; remaining: number }>(
      `SELECT earn_transaction_id AS "earnId", remaining FROM points_lot WHERE member_id = $1 ORDER BY earned_at, id`,
      [member.id],
    );
    const [{ balance }] = await gw.sql<{ balance: number }>(`SELECT balance FROM account WHERE member_id = $1`, [member.id]);
    expect({ balance, lots }).toEqual({ balance: member.balance, lots: member.lots.map((l) => ({ earnId: l.earnId, remaining: l.remaining })) });
  }
  for (const reward of m.rewards) {
    expect(await gw.sql(`SELECT stock FROM reward WHERE id = $1`, [reward.id])).toEqual([{ stock: reward.stock }]);
  }
}

it('the server agrees with the model on every answer and on the final balances, lots and stock', async () => {
  await fc.assert(
    fc.asyncProperty(fc.commands(commands, { maxCommands: 24, size: 'max' }), async (cmds) => {
      // Fresh rewards (small stock) and a first member for every run.
      const rewards = [
        { ...(await newReward(gw, partners[0]!, { pointsCost: 30, stock: 2 })), partner: 0, cost: 30, stock: 2 },
        { ...(await newReward(gw, partners[1]!, { pointsCost: 50 })), partner: 1, cost: 50, stock: null },
        { ...(await newReward(gw, partners[0]!, { pointsCost: 20, stock: 1 })), partner: 0, cost: 20, stock: 1 },
      ];
      const model = new LedgerModel(rewards);
      await new Enrol().run(model, gw);
      await fc.asyncModelRun(() => ({ model, real: gw }), cmds);
      await expectFinalState(model);
    }),
    { numRuns: 25 },
  );
  expect(await ledgerViolations(gw)).toEqual([]);
}, 120_000);

// The model's rules on a worked example, so a reader can check them against the README.
it('the model tells consumption orders apart (oldest expiry first, own lot first on a refund)', () => {
  const m = new LedgerModel([{ id: 'r', partner: 0, cost: 10, stock: null }]);
  const member: ModelMember = m.enrol('m');
  m.earn(member, 0, 10, 'late', 300);
  m.earn(member, 0, 10, 'soon', 5);
  m.earn(member, 0, 10, 'never', null);
  m.redeem(member, m.rewards[0]!, 1, 't1');
  expect(member.lots.map((l) => l.remaining)).toEqual([10, 0, 10]);
  m.reverseEarn(m.earns[2]!, 4);
  expect(member.lots.map((l) => l.remaining)).toEqual([10, 0, 6]);
  m.reverseEarn(m.earns[1]!, 10); // its own lot is empty: taken from the soonest-expiring other
  expect(member.lots.map((l) => l.remaining)).toEqual([0, 0, 6]);
  m.reverseRedeem(m.redemptions[0]!); // back into the lot it came from
  expect(member.lots.map((l) => l.remaining)).toEqual([0, 10, 6]);
  expect(member.balance).toBe(16);
});
