// What one partner may see of another partner's dealings with a shared member: not the payment
// reference it recorded for the member's membership, not the member's progress, badges or
// completions in its own challenges (its spend, its bonuses). Through the real HTTP server and,
// for challengeCompleted, over graphql-ws.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ChallengeCompletedDocument,
  CreateChallengeDocument,
  CreateMembershipPlanDocument,
  MemberChallengesDocument,
  MemberPaymentRefDocument,
  StartMembershipDocument,
} from './generated/graphql';
import { startTestGateway, TestGateway } from './support/gateway';
import { earn, newMember, newPartner, TestMember, TestPartner, uniq } from './support/factories';
import { liveClient, settle, subscribe } from './support/live-client';

let gw: TestGateway;
let a: TestPartner; // enrols the members, runs its own SPEND_TOTAL challenge
let b: TestPartner; // another partner the members also shop at

beforeAll(async () => {
  gw = await startTestGateway();
  [a, b] = [await newPartner(gw), await newPartner(gw)];
});
afterAll(() => gw?.stop());

async function newPlan() {
  const { createMembershipPlan } = await gw.ok(
    CreateMembershipPlanDocument,
    { input: { name: uniq('plan'), price: '19.00', currencyCode: 'MYR', periodMonths: 1, earnMultiplier: '1.5' } },
    gw.adminToken,
  );
  return createMembershipPlan.id;
}

const paymentRef = async (member: TestMember, token: string) =>
  (await gw.ok(MemberPaymentRefDocument, { id: member.id }, token)).member!.membership!.externalPaymentRef ?? null;

describe('Membership.externalPaymentRef', () => {
  it('only the partner that recorded it and admins see it; other partners and the member token get null', async () => {
    const member = await newMember(gw, a);
    await gw.ok(StartMembershipDocument, { memberId: member.id, planId: await newPlan(), ref: 'pi_3Abc_at_A', key: uniq('k') }, a.apiKey);
    expect(await paymentRef(member, a.apiKey)).toBe('pi_3Abc_at_A');
    expect(await paymentRef(member, gw.adminToken)).toBe('pi_3Abc_at_A');
    expect(await paymentRef(member, b.apiKey)).toBeNull();
    expect(await paymentRef(member, member.token)).toBeNull();
    // The rest of the membership stays visible to B (it serves the member): only the reference is A's.
    const seen = (await gw.ok(MemberPaymentRefDocument, { id: member.id }, b.apiKey)).member!.membership!;
    expect(seen.status).toBe('ACTIVE');
  });

  it('a renewal recorded by another partner makes its reference (and only its) the visible one', async () => {
    const member = await newMember(gw, a);
    const planId = await newPlan();
    await gw.ok(StartMembershipDocument, { memberId: member.id, planId, ref: 'pay-at-A', key: uniq('k') }, a.apiKey);
    await gw.ok(StartMembershipDocument, { memberId: member.id, planId, ref: 'pay-at-B', key: uniq('k') }, b.apiKey);
    expect(await paymentRef(member, b.apiKey)).toBe('pay-at-B');
    expect(await paymentRef(member, a.apiKey)).toBeNull();
    expect(await paymentRef(member, gw.adminToken)).toBe('pay-at-B');
  });
});

describe("another partner's challenges", () => {
  it("Member.challenges and badges: B sees the coalition's and its own, not A's SPEND_TOTAL spend", async () => {
    const member = await newMember(gw, a);
    const { createChallenge: spendAtA } = await gw.ok(
      CreateChallengeDocument,
      { input: { name: 'Spend 100 at A', kind: 'SPEND_TOTAL', target: '100.00', windowDays: 30, bonusPoints: 10, badgeName: 'A regular' } },
      a.apiKey,
    );
    const { createChallenge: atB } = await gw.ok(
      CreateChallengeDocument,
      { input: { name: 'Three visits to B', kind: 'EARN_COUNT', target: '3', windowDays: 30, bonusPoints: 0, badgeName: 'B regular' } },
      b.apiKey,
    );
    const { createChallenge: coalition } = await gw.ok(
      CreateChallengeDocument,
      { input: { name: 'Ten purchases anywhere', kind: 'EARN_COUNT', target: '10', windowDays: 30, bonusPoints: 0, badgeName: 'Coalition regular' } },
      gw.adminToken,
    );
    try {
      await earn(gw, a, member, '123.45');
      await earn(gw, b, member, '5.00');
      const view = async (token: string) => {
        const m = (await gw.ok(MemberChallengesDocument, { id: member.id }, token)).member!;
        return {
          progress: Object.fromEntries(m.challenges.map((c) => [c.challenge.name, c.progress])),
          badges: m.badges.map((x) => x.name),
        };
      };
      const everything = { progress: { [spendAtA.name]: '123.45', [atB.name]: '1', [coalition.name]: '2' }, badges: ['A regular'] };
      expect(await view(gw.adminToken)).toEqual(everything);
      expect(await view(member.token)).toEqual(everything);
      expect(await view(a.apiKey)).toEqual({ progress: { [spendAtA.name]: '123.45', [coalition.name]: '2' }, badges: ['A regular'] });
      expect(await view(b.apiKey)).toEqual({ progress: { [atB.name]: '1', [coalition.name]: '2' }, badges: [] });
    } finally {
      await gw.sql(`UPDATE challenge SET active = false WHERE id = ANY($1::uuid[])`, [[spendAtA.id, atB.id, coalition.id]]);
    }
  });

  it("challengeCompleted: B's subscription gets the coalition's completions, never A's (live and replayed); A gets both", async () => {
    const member = await newMember(gw, a);
    const { createChallenge: own } = await gw.ok(
      CreateChallengeDocument,
      { input: { name: 'First visit', kind: 'EARN_COUNT', target: '1', windowDays: 7, bonusPoints: 25, badgeName: 'Welcome at A' } },
      a.apiKey,
    );
    const { createChallenge: coalition } = await gw.ok(
      CreateChallengeDocument,
      { input: { name: 'Two purchases', kind: 'EARN_COUNT', target: '2', windowDays: 7, bonusPoints: 0, badgeName: 'Coalition starter' } },
      gw.adminToken,
    );
    const liveB = subscribe(liveClient(gw.wsUrl, b.apiKey), ChallengeCompletedDocument, { memberId: member.id });
    const liveA = subscribe(liveClient(gw.wsUrl, a.apiKey), ChallengeCompletedDocument, { memberId: member.id });
    try {
      await settle();
      await earn(gw, a, member, '10.00'); // completes A's challenge (bonus paid by A)
      await earn(gw, b, member, '10.00'); // completes the coalition's
      expect((await liveA.waitFor(2)).map((e) => e.challengeCompleted.badgeName)).toEqual(['Welcome at A', 'Coalition starter']);
      const [first] = await liveB.waitFor(1);
      expect(first!.challengeCompleted).toMatchObject({ badgeName: 'Coalition starter', challenge: { id: coalition.id } });
      await settle(300);
      expect(liveB.events.map((e) => e.challengeCompleted.badgeName)).toEqual(['Coalition starter']);
      expect(liveB.errors).toEqual([]);

      // Replayed from the start: the same.
      const replayB = subscribe(liveClient(gw.wsUrl, b.apiKey), ChallengeCompletedDocument, { memberId: member.id, after: '0' });
      const replayMember = subscribe(liveClient(gw.wsUrl, member.token), ChallengeCompletedDocument, { memberId: member.id, after: '0' });
      try {
        expect((await replayMember.waitFor(2)).map((e) => e.challengeCompleted.badgeName)).toEqual(['Welcome at A', 'Coalition starter']);
        await replayB.waitFor(1);
        await settle(300);
        expect(replayB.events.map((e) => e.challengeCompleted.challenge.id)).toEqual([coalition.id]);
      } finally {
        await replayB.stop();
        await replayMember.stop();
      }
      expect(own.partner).toEqual({ id: a.id });
    } finally {
      await liveA.stop();
      await liveB.stop();
      await gw.sql(`UPDATE challenge SET active = false WHERE id = ANY($1::uuid[])`, [[own.id, coalition.id]]);
    }
  });
});
