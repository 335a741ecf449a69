import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EnrollWithCodeDocument,
  IssueMemberTokenDocument,
  MemberLifecycleDocument,
  ReverseTransactionDocument,
  SetPartnerBirthdayRewardDocument,
  SetExchangeRateDocument,
  SetProgramSettingsDocument,
  SettlementBreakageDocument,
} from './generated/graphql';
import { startTestGateway, TestGateway } from './support/gateway';
import { earn, ledgerViolations, newPartner, rewriteLedgerHistory, TestMember, TestPartner, uniq } from './support/factories';
import { grantBirthdayBonuses } from '../src/modules/lifecycle/birthday';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
  await gw.ok(SetProgramSettingsDocument, { input: { birthdayBonusPoints: 500, referralBonusPoints: 200 } }, gw.adminToken);
});
afterAll(() => gw?.stop());

async function enroll(by: TestPartner, extra: { birthDate?: string; referralCode?: string } = {}): Promise<TestMember & { referralCode: string }> {
  const email = `${uniq('member')}@example.com`;
  const { enrollMember } = await gw.ok(EnrollWithCodeDocument, { input: { email, displayName: 'Test Member', ...extra } }, by.apiKey);
  const { issueMemberToken } = await gw.ok(IssueMemberTokenDocument, { memberId: enrollMember.id }, by.apiKey);
  return { id: enrollMember.id, email, token: issueMemberToken, referralCode: enrollMember.referralCode };
}

async function history(memberId: string) {
  const { member } = await gw.ok(MemberLifecycleDocument, { id: memberId, withinDays: 0 }, gw.adminToken);
  return { balance: member!.balance.available, txs: member!.transactions.edges.map((e) => e.node).reverse() };
}

const bonuses = (txs: { type: string; points: number; breakdown: { source: string; funder?: string | null }[] }[]) =>
  txs
    .filter((t) => t.type === 'BONUS' || (t.type === 'REVERSAL' && t.breakdown[0]?.source !== 'REVERSAL'))
    .map((t) => [t.type, t.breakdown[0]!.source, t.points]);

describe('birthday bonus', () => {
  it('credits the configured coalition-funded bonus on the birthday, once per year even if the job runs twice', async () => {
    const cafe = await newPartner(gw);
    const member = await enroll(cafe, { birthDate: '1990-06-15' });
    const stranger = await enroll(cafe, { birthDate: '1990-06-16' });
    const before = new Date(Date.now() - 1000);

    expect(await grantBirthdayBonuses(gw.db, gw.services.coalition, new Date('2027-06-14T23:59:00Z'))).toMatchObject({ ran: true, members: 0 });
    const first = await grantBirthdayBonuses(gw.db, gw.services.coalition, new Date('2027-06-15T08:00:00Z'));
    const again = await grantBirthdayBonuses(gw.db, gw.services.coalition, new Date('2027-06-15T20:00:00Z'));
    expect(first).toMatchObject({ ran: true, members: 1, points: 500 });
    expect(again).toMatchObject({ ran: true, members: 0 });
    let seen = await history(member.id);
    expect(seen.balance).toBe(500);
    expect(seen.txs).toEqual([expect.objectContaining({ type: 'BONUS', points: 500, breakdown: [{ source: 'BIRTHDAY', points: 500, funder: 'COALITION' }] })]);
    expect((await history(stranger.id)).balance).toBe(0);

    // Next year, again once.
    await grantBirthdayBonuses(gw.db, gw.services.coalition, new Date('2028-06-15T08:00:00Z'));
    await grantBirthdayBonuses(gw.db, gw.services.coalition, new Date('2028-06-15T09:00:00Z'));
    seen = await history(member.id);
    expect(seen.balance).toBe(1000);

    // Counted in settlement as issuance by the coalition.
    const { settlement } = await gw.ok(
      SettlementBreakageDocument,
      { from: before.toISOString(), to: new Date(Date.now() + 60_000).toISOString() },
      gw.adminToken,
    );
    expect(settlement.find((l) => l.partner.id === gw.services.coalition.partnerId)!.pointsIssued).toBeGreaterThanOrEqual(1000);
    expect(await ledgerViolations(gw)).toEqual([]);
  });

  it("adds a partner's own birthday reward (partner-funded) for its customers, once a year too", async () => {
    const cafe = await newPartner(gw);
    const shop = await newPartner(gw);
    const set = await gw.ok(SetPartnerBirthdayRewardDocument, { partnerId: cafe.id, points: 100 }, cafe.apiKey);
    expect(set.setPartnerSettings).toMatchObject({ birthdayBonusPoints: 100, pendingDays: 0 });
    const refused = await gw.gql(SetPartnerBirthdayRewardDocument, { partnerId: cafe.id, points: 5 }, shop.apiKey);
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const enrolledThere = await enroll(cafe, { birthDate: '1985-09-10' });
    const shoppedThere = await enroll(shop, { birthDate: '1985-09-10' });
    const neither = await enroll(shop, { birthDate: '1985-09-10' });
    await earn(gw, cafe, shoppedThere, '1.00');
    for (let i = 0; i < 2; i++) await grantBirthdayBonuses(gw.db, gw.services.coalition, new Date(`2027-09-10T0${i}:00:00Z`));

    const gifts = async (id: string) =>
      (await history(id)).txs.filter((t) => t.type === 'BONUS').map((t) => [t.points, t.breakdown[0]!.source, t.breakdown[0]!.funder]);
    expect(await gifts(enrolledThere.id)).toEqual([
      [500, 'BIRTHDAY', 'COALITION'],
      [100, 'BIRTHDAY', 'PARTNER'],
    ]);
    expect(await gifts(shoppedThere.id)).toEqual([
      [500, 'BIRTHDAY', 'COALITION'],
      [100, 'BIRTHDAY', 'PARTNER'],
    ]);
    expect(await gifts(neither.id)).toEqual([[500, 'BIRTHDAY', 'COALITION']]);
    expect(await ledgerViolations(gw)).toEqual([]);
  });

  it("a partner with no exchange rate in force is skipped; everyone else's birthday bonuses are still given", async () => {
    const rated = await newPartner(gw);
    const unrated = await newPartner(gw, { earnRate: null });
    await gw.ok(SetPartnerBirthdayRewardDocument, { partnerId: rated.id, points: 100 }, rated.apiKey);
    await gw.ok(SetPartnerBirthdayRewardDocument, { partnerId: unrated.id, points: 70 }, unrated.apiKey);
    // Several of each, so the unrated partner's gifts fall before and after the others in the run.
    const atRated = [];
    const atUnrated = [];
    for (let i = 0; i < 3; i++) {
      atRated.push(await enroll(rated, { birthDate: '1991-11-05' }));
      atUnrated.push(await enroll(unrated, { birthDate: '1991-11-05' }));
    }
    const gifts = async (id: string) => (await history(id)).txs.filter((t) => t.type === 'BONUS').map((t) => [t.points, t.breakdown[0]!.funder]);

    const run = await grantBirthdayBonuses(gw.db, gw.services.coalition, new Date('2027-11-05T08:00:00Z'));
    expect(run).toMatchObject({ ran: true, members: 6, points: 6 * 500 + 3 * 100, skippedPartnerIds: [unrated.id] });
    for (const m of atRated)
      expect(await gifts(m.id)).toEqual([
        [500, 'COALITION'],
        [100, 'PARTNER'],
      ]);
    for (const m of atUnrated) expect(await gifts(m.id)).toEqual([[500, 'COALITION']]);

    // Once the partner has a rate, a later run that day gives its gifts, and only those.
    await gw.ok(SetExchangeRateDocument, { input: { partnerId: unrated.id, earnRate: '1', burnRate: '0.01' } }, gw.adminToken);
    const later = await grantBirthdayBonuses(gw.db, gw.services.coalition, new Date('2027-11-05T20:00:00Z'));
    expect(later).toMatchObject({ ran: true, members: 3, points: 3 * 70, skippedPartnerIds: [] });
    for (const m of atUnrated)
      expect(await gifts(m.id)).toEqual([
        [500, 'COALITION'],
        [70, 'PARTNER'],
      ]);
    expect(await ledgerViolations(gw)).toEqual([]);
  });

  it('celebrates 29 February on 28 February in other years', async () => {
    const cafe = await newPartner(gw);
    const leapling = await enroll(cafe, { birthDate: '2000-02-29' });
    await grantBirthdayBonuses(gw.db, gw.services.coalition, new Date('2027-02-28T12:00:00Z'));
    await grantBirthdayBonuses(gw.db, gw.services.coalition, new Date('2027-03-01T12:00:00Z'));
    expect((await history(leapling.id)).balance).toBe(500);
  });
});

describe('referral bonus', () => {
  it('links the referrer at enrolment; an unknown code is refused and nothing is enrolled', async () => {
    const cafe = await newPartner(gw);
    const referrer = await enroll(cafe);
    expect(referrer.referralCode).toMatch(/^[0-9A-F]{15}$/);
    const email = `${uniq('member')}@example.com`;
    const bad = await gw.gql(EnrollWithCodeDocument, { input: { email, displayName: 'X', referralCode: 'NOPE' } }, cafe.apiKey);
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.referralCode' });
    expect(await gw.sql(`SELECT 1 FROM member WHERE email = $1`, [email])).toEqual([]);
    const referred = await enroll(cafe, { referralCode: referrer.referralCode.toLowerCase() });
    const [row] = await gw.sql<{ referredBy: string }>(`SELECT referred_by AS "referredBy" FROM member WHERE id = $1`, [referred.id]);
    expect(row!.referredBy).toBe(referrer.id);
    // A member cannot refer itself, even by a direct write.
    await expect(gw.sql(`UPDATE member SET referred_by = id WHERE id = $1`, [referrer.id])).rejects.toThrow(/member_not_self_referred/);
  });

  it("credits both on the referred member's first earn only; the referrer's own earns give nothing", async () => {
    const cafe = await newPartner(gw);
    const referrer = await enroll(cafe);
    const referred = await enroll(cafe, { referralCode: referrer.referralCode });
    await earn(gw, cafe, referrer, '10.00');
    expect((await history(referrer.id)).balance).toBe(10);

    await earn(gw, cafe, referred, '30.00');
    await earn(gw, cafe, referred, '20.00');
    const r = await history(referred.id);
    expect(r.balance).toBe(30 + 200 + 20);
    expect(bonuses(r.txs)).toEqual([['BONUS', 'REFERRAL', 200]]);
    const a = await history(referrer.id);
    expect(a.balance).toBe(10 + 200);
    expect(bonuses(a.txs)).toEqual([['BONUS', 'REFERRAL', 200]]);
    expect(await ledgerViolations(gw)).toEqual([]);
  });

  it('takes both bonuses back when the first earn is refunded in full within the return window', async () => {
    const cafe = await newPartner(gw);
    const referrer = await enroll(cafe);
    const referred = await enroll(cafe, { referralCode: referrer.referralCode });
    const first = await earn(gw, cafe, referred, '50.00');
    const reverse = (points?: number) =>
      gw.ok(ReverseTransactionDocument, { input: { transactionId: first.id, points, idempotencyKey: uniq('rev') } }, cafe.apiKey);

    await reverse(20); // partly refunded: the purchase still stands
    expect((await history(referrer.id)).balance).toBe(200);
    await reverse();
    const r = await history(referred.id);
    const a = await history(referrer.id);
    expect(r.balance).toBe(0);
    expect(a.balance).toBe(0);
    expect(bonuses(a.txs)).toEqual([
      ['BONUS', 'REFERRAL', 200],
      ['REVERSAL', 'REFERRAL', -200],
    ]);
    expect(bonuses(r.txs)).toEqual([
      ['BONUS', 'REFERRAL', 200],
      ['REVERSAL', 'REFERRAL', -200],
    ]);
    // A later earn is not a first earn: no new bonus.
    await earn(gw, cafe, referred, '10.00');
    expect((await history(referrer.id)).balance).toBe(0);
    expect((await history(referred.id)).balance).toBe(10);
    expect(await ledgerViolations(gw)).toEqual([]);
  });

  it('keeps the bonuses when the refund comes after the return window', async () => {
    const cafe = await newPartner(gw);
    const referrer = await enroll(cafe);
    const referred = await enroll(cafe, { referralCode: referrer.referralCode });
    const first = await earn(gw, cafe, referred, '50.00');
    await rewriteLedgerHistory(gw, `UPDATE ledger_transaction SET created_at = now() - interval '31 days' WHERE id = $1`, [first.id]);
    await gw.ok(ReverseTransactionDocument, { input: { transactionId: first.id, idempotencyKey: uniq('rev') } }, cafe.apiKey);
    expect((await history(referrer.id)).balance).toBe(200);
    expect((await history(referred.id)).balance).toBe(200);
    expect(await ledgerViolations(gw)).toEqual([]);
  });
});
