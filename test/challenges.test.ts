import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChallengeCompletedDocument, ChallengesDocument, CreateChallengeDocument, MemberChallengesDocument } from './generated/graphql';
import { startTestGateway, TestGateway } from './support/gateway';
import { earn, ledgerViolations, newMember, newPartner } from './support/factories';
import { liveClient, settle, subscribe } from './support/live-client';
import { seedDemoCoalition } from '../src/seed/demo-seed';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw?.stop());

const DAY = 86_400_000;

async function seen(memberId: string) {
  return (await gw.ok(MemberChallengesDocument, { id: memberId }, gw.adminToken)).member!;
}

describe('challenges', () => {
  it('refuses members, and DISTINCT_PARTNERS for a partner (it counts only its own purchases); bad windows name the field', async () => {
    const cafe = await newPartner(gw);
    const member = await newMember(gw, cafe);
    const input = { name: 'x', kind: 'EARN_COUNT' as const, target: '2', windowDays: 7, bonusPoints: 10, badgeName: 'X' };
    expect((await gw.gql(CreateChallengeDocument, { input }, member.token)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const distinct = await gw.gql(CreateChallengeDocument, { input: { ...input, kind: 'DISTINCT_PARTNERS' } }, cafe.apiKey);
    expect(distinct.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.kind' });
    const noWindow = await gw.gql(CreateChallengeDocument, { input: { ...input, windowDays: undefined } }, cafe.apiKey);
    expect(noWindow.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.windowDays' });
  });

  it('DISTINCT_PARTNERS completes on the third partner, not on a repeat of the same one; bonus, badge and event once', async () => {
    const [a, b, c, d] = [await newPartner(gw), await newPartner(gw), await newPartner(gw), await newPartner(gw)];
    const { createChallenge: challenge } = await gw.ok(
      CreateChallengeDocument,
      {
        input: {
          name: 'Shop at three different partners this month',
          kind: 'DISTINCT_PARTNERS',
          target: '3',
          startsAt: new Date(Date.now() - DAY).toISOString(),
          endsAt: new Date(Date.now() + 30 * DAY).toISOString(),
          bonusPoints: 300,
          badgeName: 'Explorer',
        },
      },
      gw.adminToken,
    );
    expect(challenge).toMatchObject({ kind: 'DISTINCT_PARTNERS', target: '3', partner: null });
    expect((await gw.ok(ChallengesDocument, {}, null)).challenges.map((x) => x.id)).toContain(challenge.id);
    try {
      const member = await newMember(gw, a);
      const other = await newMember(gw, a);
      const sub = subscribe(liveClient(gw.wsUrl, member.token), ChallengeCompletedDocument, { memberId: member.id });
      const refused = subscribe(liveClient(gw.wsUrl, other.token), ChallengeCompletedDocument, { memberId: member.id });
      expect((await refused.waitForError())[0]!.extensions?.code).toBe('FORBIDDEN');
      await refused.stop();
      await settle();

      await earn(gw, a, member, '10.00');
      await earn(gw, a, member, '10.00');
      await earn(gw, b, member, '10.00');
      await earn(gw, b, member, '10.00');
      let m = await seen(member.id);
      expect(m.challenges).toEqual([
        expect.objectContaining({ challenge: { id: challenge.id, name: challenge.name }, progress: '2', target: '3', completedAt: null }),
      ]);
      expect(m.badges).toEqual([]);

      await earn(gw, c, member, '10.00');
      await earn(gw, d, member, '10.00');
      m = await seen(member.id);
      expect(m.challenges[0]).toMatchObject({ progress: '3', completedAt: expect.any(String) });
      expect(m.badges).toEqual([expect.objectContaining({ name: 'Explorer', challenge: { id: challenge.id } })]);
      expect(m.balance.available).toBe(60 + 300);
      const bonuses = m.transactions.edges.map((e) => e.node).filter((t) => t.type === 'BONUS');
      expect(bonuses).toEqual([
        expect.objectContaining({
          points: 300,
          partner: { id: gw.services.coalition.partnerId },
          breakdown: [{ source: 'CHALLENGE', ruleId: challenge.id, points: 300, funder: 'COALITION' }],
        }),
      ]);

      const [event] = await sub.waitFor(1);
      expect(event!.challengeCompleted).toMatchObject({
        badgeName: 'Explorer',
        bonusPoints: 300,
        member: { id: member.id },
        challenge: { id: challenge.id },
        transaction: { type: 'BONUS', points: 300, breakdown: [{ source: 'CHALLENGE', points: 300, funder: 'COALITION' }] },
      });
      await settle(200);
      expect(sub.events).toHaveLength(1);
      await sub.stop();
      expect(await ledgerViolations(gw)).toEqual([]);
    } finally {
      await gw.sql(`UPDATE challenge SET active = false WHERE id = $1`, [challenge.id]);
    }
  });

  it("a partner's challenge counts only its purchases, is partner-funded, and gives its badge once per window", async () => {
    const cafe = await newPartner(gw);
    const elsewhere = await newPartner(gw);
    const { createChallenge: challenge } = await gw.ok(
      CreateChallengeDocument,
      { input: { name: 'Two coffees a week', kind: 'EARN_COUNT', target: '2', windowDays: 7, bonusPoints: 50, badgeName: 'Regular' } },
      cafe.apiKey,
    );
    expect(challenge.partner).toEqual({ id: cafe.id });
    const member = await newMember(gw, cafe);
    await earn(gw, elsewhere, member, '5.00');
    await earn(gw, cafe, member, '5.00');
    expect((await seen(member.id)).badges).toEqual([]);
    await earn(gw, cafe, member, '5.00');
    await earn(gw, cafe, member, '5.00'); // already done this window
    let m = await seen(member.id);
    expect(m.badges.map((b) => b.name)).toEqual(['Regular']);
    expect(m.balance.available).toBe(20 + 50);
    const bonus = m.transactions.edges.map((e) => e.node).find((t) => t.type === 'BONUS')!;
    expect(bonus).toMatchObject({ partner: { id: cafe.id }, breakdown: [{ source: 'CHALLENGE', points: 50, funder: 'PARTNER' }] });

    // A week later (the clock moved: everything about this challenge happened a week earlier).
    await gw.sql(`UPDATE challenge SET created_at = created_at - interval '7 days' WHERE id = $1`, [challenge.id]);
    await gw.sql(`UPDATE challenge_progress SET window_start = window_start - interval '7 days' WHERE challenge_id = $1`, [challenge.id]);
    await gw.sql(`UPDATE badge SET window_start = window_start - interval '7 days' WHERE challenge_id = $1`, [challenge.id]);
    await earn(gw, cafe, member, '5.00');
    await earn(gw, cafe, member, '5.00');
    await earn(gw, cafe, member, '5.00');
    m = await seen(member.id);
    expect(m.badges).toHaveLength(2);
    expect(new Set(m.badges.map((b) => b.windowStart)).size).toBe(2);
    expect(m.challenges.map((c) => [c.progress, c.completedAt !== null])).toEqual([
      ['2', true],
      ['2', true],
    ]);
    expect(m.balance.available).toBe(35 + 100);
    expect(await ledgerViolations(gw)).toEqual([]);
  });

  it('SPEND_TOTAL adds up purchase amounts in its currency', async () => {
    const shop = await newPartner(gw);
    const { createChallenge: challenge } = await gw.ok(
      CreateChallengeDocument,
      { input: { name: 'Spend 100', kind: 'SPEND_TOTAL', target: '100.00', windowDays: 30, bonusPoints: 25, badgeName: 'Big spender' } },
      shop.apiKey,
    );
    expect(challenge.currencyCode).toBe('MYR');
    const member = await newMember(gw, shop);
    await earn(gw, shop, member, '60.00');
    expect((await seen(member.id)).challenges[0]).toMatchObject({ progress: '60', completedAt: null });
    await earn(gw, shop, member, '45.50');
    const m = await seen(member.id);
    expect(m.challenges[0]).toMatchObject({ progress: '105.5', completedAt: expect.any(String) });
    expect(m.badges.map((b) => b.name)).toEqual(['Big spender']);
  });

  it('the demo seed includes a running coalition challenge', async () => {
    await seedDemoCoalition(gw.services);
    const { challenges } = await gw.ok(ChallengesDocument, {}, null);
    const seeded = challenges.find((c) => c.name === 'Shop at three different partners within 30 days');
    expect(seeded).toMatchObject({ kind: 'DISTINCT_PARTNERS', target: '3' });
    // Rolling windows: still running next month on a database kept across restarts.
    const [row] = await gw.sql<{ windowDays: number | null; endsAt: Date | null }>(
      `SELECT window_days AS "windowDays", ends_at AS "endsAt" FROM challenge WHERE id = $1`,
      [seeded!.id],
    );
    expect(row).toEqual({ windowDays: 30, endsAt: null });
  });
});
