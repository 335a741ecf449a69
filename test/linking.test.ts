import { createMigrator } from '../src/db/data-source';
// Partner links (issue: "any partner can act as any member"): a partner issues member tokens
// for, and spends the points of, only a member linked to it — the partner it enrolled at, or one
// the member gave a one-time code. Through the real HTTP server.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CancelMembershipDocument,
  CreateMembershipPlanDocument,
  CreatePartnerLinkCodeDocument,
  IssueMemberTokenDocument,
  LinkedPartnersDocument,
  LinkMemberDocument,
  MemberTransactionsDocument,
  RedeemRewardDocument,
  StartMembershipDocument,
  ViewerDocument,
} from './generated/graphql';
import { startTestGateway, TestGateway } from './support/gateway';
import { balanceOf, earn, linkPartner, newMember, newPartner, newReward, TestMember, TestPartner, uniq } from './support/factories';
import { PartnerLinks1764000720000 } from '../migrations/1764000720000-PartnerLinks';
import { DEMO_PARTNERS, mintDemoCredentials, seedDemoCoalition } from '../src/seed/demo-seed';

let gw: TestGateway;
let cafe: TestPartner; // enrols the members
let airline: TestPartner; // another partner, which wants to act for them

beforeAll(async () => {
  gw = await startTestGateway();
  [cafe, airline] = [await newPartner(gw), await newPartner(gw)];
});
afterAll(() => gw?.stop());

const newCode = async (member: TestMember) => (await gw.ok(CreatePartnerLinkCodeDocument, { memberId: member.id }, member.token)).createPartnerLinkCode;
const linkedIds = async (memberId: string, token = gw.adminToken) => (await gw.ok(LinkedPartnersDocument, { memberId }, token)).linkedPartners.map((p) => p.id);
const links = (memberId: string) =>
  gw.sql<{ partnerId: string; via: string }>(`SELECT partner_id AS "partnerId", via FROM member_partner_link WHERE member_id = $1 ORDER BY linked_at`, [
    memberId,
  ]);

describe('a partner acts only for members linked to it', () => {
  it('another partner gets no token for a member enrolled at the café: FORBIDDEN naming memberId', async () => {
    const member = await newMember(gw, cafe);
    await earn(gw, cafe, member, '25.00'); // a receipt at the café the airline must not read
    const r = await gw.gql(IssueMemberTokenDocument, { memberId: member.id }, airline.apiKey);
    expect(r.errors?.map((e) => e.extensions)).toEqual([expect.objectContaining({ code: 'FORBIDDEN', field: 'memberId' })]);
    expect(r.data?.issueMemberToken ?? null).toBeNull();
    // The enrolling partner is linked by its enrolment, and an admin needs no link.
    expect(await links(member.id)).toEqual([{ partnerId: cafe.id, via: 'ENROLMENT' }]);
    expect((await gw.ok(IssueMemberTokenDocument, { memberId: member.id }, cafe.apiKey)).issueMemberToken).toBeTruthy();
    expect((await gw.ok(IssueMemberTokenDocument, { memberId: member.id }, gw.adminToken)).issueMemberToken).toBeTruthy();
  });

  it("another partner cannot spend the member's points on its own reward: FORBIDDEN naming input.memberId, nothing spent", async () => {
    const member = await newMember(gw, cafe);
    await earn(gw, cafe, member, '100.00');
    const reward = await newReward(gw, airline, { pointsCost: 40 });
    const r = await gw.gql(RedeemRewardDocument, { input: { memberId: member.id, rewardId: reward.id, idempotencyKey: uniq('r') } }, airline.apiKey);
    expect(r.errors?.map((e) => e.extensions)).toEqual([expect.objectContaining({ code: 'FORBIDDEN', field: 'input.memberId' })]);
    expect(await balanceOf(gw, member.id)).toBe(100);
    expect(await gw.sql(`SELECT id FROM redemption WHERE member_id = $1`, [member.id])).toEqual([]);
  });

  it("nor end the member's paid membership", async () => {
    const member = await newMember(gw, cafe);
    const { createMembershipPlan: plan } = await gw.ok(
      CreateMembershipPlanDocument,
      { input: { name: uniq('plan'), price: '9.90', currencyCode: 'MYR', periodMonths: 1, earnMultiplier: '1.5' } },
      gw.adminToken,
    );
    await gw.ok(StartMembershipDocument, { memberId: member.id, planId: plan.id, ref: uniq('pay'), key: uniq('k') }, cafe.apiKey);
    const r = await gw.gql(CancelMembershipDocument, { memberId: member.id }, airline.apiKey);
    expect(r.errors?.map((e) => e.extensions)).toEqual([expect.objectContaining({ code: 'FORBIDDEN', field: 'memberId' })]);
    expect(await gw.sql(`SELECT status FROM membership WHERE member_id = $1`, [member.id])).toEqual([{ status: 'ACTIVE' }]);
  });

  it('once the member gives it a code, the partner issues tokens and redeems; the token sees what the member sees', async () => {
    const member = await newMember(gw, cafe);
    const atCafe = (await earn(gw, cafe, member, '100.00')).id;
    const reward = await newReward(gw, airline, { pointsCost: 40 });

    // The member, signed in at the café's app, asks for a code and reads it out at the airline.
    const { code, expiresAt } = await newCode(member);
    expect(code).toMatch(/^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}$/);
    expect(new Date(expiresAt).getTime() - Date.now()).toBeGreaterThan(590_000);
    // Typed in lower case, with a space and a dash: still the code.
    const typed = `${code.slice(0, 4).toLowerCase()} -${code.slice(4).toLowerCase()}`;
    const { linkMember } = await gw.ok(LinkMemberDocument, { code: typed }, airline.apiKey);
    expect(linkMember).toEqual({ id: member.id, email: member.email });
    expect(await links(member.id)).toEqual([
      { partnerId: cafe.id, via: 'ENROLMENT' },
      { partnerId: airline.id, via: 'CODE' },
    ]);

    const { issueMemberToken: token } = await gw.ok(IssueMemberTokenDocument, { memberId: member.id }, airline.apiKey);
    expect((await gw.ok(ViewerDocument, {}, token)).viewer).toBe(`member:${member.id}`);
    // The member token is the member's: its history everywhere (the café's receipt too).
    const history = (await gw.ok(MemberTransactionsDocument, { id: member.id }, token)).member!.transactions;
    expect(history.edges.map((e) => e.node.id)).toEqual([atCafe]);
    const { redeemReward } = await gw.ok(
      RedeemRewardDocument,
      { input: { memberId: member.id, rewardId: reward.id, idempotencyKey: uniq('r') } },
      airline.apiKey,
    );
    expect(redeemReward).toMatchObject({ pointsSpent: 40, transaction: { balanceAfter: 60 } });
  });

  it('a code works once: another partner gets BAD_USER_INPUT naming code; the same partner retrying gets the same member', async () => {
    const member = await newMember(gw, cafe);
    const third = await newPartner(gw);
    const { code } = await newCode(member);
    expect((await gw.ok(LinkMemberDocument, { code }, airline.apiKey)).linkMember.id).toBe(member.id);
    // A retried request (the answer was lost): same member, nothing new.
    expect((await gw.ok(LinkMemberDocument, { code }, airline.apiKey)).linkMember.id).toBe(member.id);
    const r = await gw.gql(LinkMemberDocument, { code }, third.apiKey);
    expect(r.errors?.map((e) => e.extensions)).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'code' })]);
    expect(r.data).toBeNull();
    expect(await linkedIds(member.id)).toEqual([cafe.id, airline.id]);
    expect((await gw.gql(IssueMemberTokenDocument, { memberId: member.id }, third.apiKey)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('an expired, unknown or malformed code links nothing and names code', async () => {
    const member = await newMember(gw, cafe);
    const { code } = await newCode(member);
    await gw.sql(`UPDATE partner_link_code SET expires_at = now() - interval '1 second' WHERE member_id = $1`, [member.id]);
    const unknown = code === '22222222' ? '33333333' : '22222222';
    for (const attempt of [code, unknown, 'abc', 'O0O0O0O0', '']) {
      const r = await gw.gql(LinkMemberDocument, { code: attempt }, airline.apiKey);
      expect(r.status).toBe(200);
      expect(r.errors?.map((e) => e.extensions)).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'code' })]);
    }
    expect(await linkedIds(member.id)).toEqual([cafe.id]);
    expect(await gw.sql(`SELECT used_at FROM partner_link_code WHERE member_id = $1`, [member.id])).toEqual([{ used_at: null }]);
  });

  it('two partners racing to redeem one code: exactly one is linked', async () => {
    const member = await newMember(gw, cafe);
    const rivals = [await newPartner(gw), await newPartner(gw), await newPartner(gw)];
    const { code } = await newCode(member);
    const answers = await Promise.all(rivals.map((p) => gw.gql(LinkMemberDocument, { code }, p.apiKey)));
    expect(answers.filter((a) => !a.errors).length).toBe(1);
    expect(answers.filter((a) => a.errors?.[0]?.extensions?.code === 'BAD_USER_INPUT').length).toBe(2);
    const winner = rivals[answers.findIndex((a) => !a.errors)]!;
    expect(await linkedIds(member.id)).toEqual([cafe.id, winner.id]);
  });

  it('only the member itself makes codes, at most five open at a time (then RATE_LIMITED until one is used or expires)', async () => {
    const member = await newMember(gw, cafe);
    const other = await newMember(gw, cafe);
    for (const token of [cafe.apiKey, gw.adminToken, other.token]) {
      const r = await gw.gql(CreatePartnerLinkCodeDocument, { memberId: member.id }, token);
      expect(r.errors?.map((e) => e.extensions)).toEqual([expect.objectContaining({ code: 'FORBIDDEN', field: 'memberId' })]);
    }
    const codes = [];
    for (let i = 0; i < 5; i++) codes.push((await newCode(member)).code);
    expect(new Set(codes).size).toBe(5);
    const sixth = await gw.gql(CreatePartnerLinkCodeDocument, { memberId: member.id }, member.token);
    expect(sixth.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) });
    await gw.ok(LinkMemberDocument, { code: codes[0]! }, airline.apiKey);
    // Codes are kept as their SHA-256 hashes, never as themselves.
    const [used] = (await gw.sql(`SELECT * FROM partner_link_code WHERE member_id = $1 AND used_at IS NOT NULL`, [member.id])) as [Record<string, unknown>];
    expect(used.code_hash).toEqual(createHash('sha256').update(codes[0]!).digest());
    expect(JSON.stringify(used)).not.toContain(codes[0]!);
    // Using one freed its place.
    expect((await newCode(member)).code).toMatch(/^[2-9A-HJKMNP-Z]{8}$/);
  });

  it('linkMember is for partners: an admin and a member are FORBIDDEN, and the code stays unused', async () => {
    const member = await newMember(gw, cafe);
    const { code } = await newCode(member);
    for (const token of [gw.adminToken, member.token]) {
      const r = await gw.gql(LinkMemberDocument, { code }, token);
      expect(r.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    expect((await gw.ok(LinkMemberDocument, { code }, airline.apiKey)).linkMember.id).toBe(member.id);
  });

  it("linkedPartners: a partner learns only whether it is linked itself, not the member's other partners", async () => {
    const member = await newMember(gw, cafe);
    const stranger = await newPartner(gw);
    await linkPartner(gw, member, airline);
    expect(await linkedIds(member.id, member.token)).toEqual([cafe.id, airline.id]);
    expect(await linkedIds(member.id, airline.apiKey)).toEqual([airline.id]);
    expect(await linkedIds(member.id, cafe.apiKey)).toEqual([cafe.id]);
    expect(await linkedIds(member.id, stranger.apiKey)).toEqual([]);
  });
});

describe('existing members and the demo', () => {
  it('the migration links every member already enrolled to the partner it enrolled at', async () => {
    const members = [await newMember(gw, cafe), await newMember(gw, airline)];
    const migrator = createMigrator(gw.dbUrl);
    await migrator.initialize();
    const runner = migrator.createQueryRunner();
    try {
      // As before links existed: the tables gone, the members there; then the migration runs.
      await new PartnerLinks1764000720000().down(runner);
      await new PartnerLinks1764000720000().up(runner);
    } finally {
      await runner.release();
      await migrator.destroy();
    }
    expect(await links(members[0]!.id)).toEqual([{ partnerId: cafe.id, via: 'ENROLMENT' }]);
    expect(await links(members[1]!.id)).toEqual([{ partnerId: airline.id, via: 'ENROLMENT' }]);
    const [{ unlinked }] = (await gw.sql(
      `SELECT count(*)::int AS unlinked FROM member m WHERE m.enrolled_by_partner IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM member_partner_link l WHERE l.member_id = m.id AND l.partner_id = m.enrolled_by_partner)`,
    )) as [{ unlinked: number }];
    expect(unlinked).toBe(0);
    expect((await gw.ok(IssueMemberTokenDocument, { memberId: members[1]!.id }, airline.apiKey)).issueMemberToken).toBeTruthy();
    expect((await gw.gql(IssueMemberTokenDocument, { memberId: members[1]!.id }, cafe.apiKey)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('the demo seed links each demo member to the partners it shops at; the café (which enrolled them) issues the tour token', async () => {
    await seedDemoCoalition(gw.services);
    const creds = await mintDemoCredentials(gw.services);
    const slugOf = new Map(creds.partners.map((p) => [p.id, p.slug]));
    const linked = async (email: string) => {
      const [{ id }] = (await gw.sql(`SELECT id FROM member WHERE email = $1`, [email])) as [{ id: string }];
      return (await linkedIds(id)).map((p) => slugOf.get(p));
    };
    expect(await linked('aisyah@example.com')).toEqual(DEMO_PARTNERS.map((p) => p.slug));
    expect(await linked('somchai@example.com')).toEqual(['kopi-kita', 'siam-style']);
    expect(await linked('budi@example.com')).toEqual(['kopi-kita', 'nusantara-air']);
    expect((await gw.ok(ViewerDocument, {}, creds.member!.token)).viewer).toBe(`member:${creds.member!.id}`);
    // The airline's app may issue Aisyah a token (she shops there); for a member it never served, no.
    const airlineKey = creds.partners.find((p) => p.slug === 'nusantara-air')!.apiKey;
    expect((await gw.ok(IssueMemberTokenDocument, { memberId: creds.member!.id }, airlineKey)).issueMemberToken).toBeTruthy();
    const [{ id: somchai }] = (await gw.sql(`SELECT id FROM member WHERE email = 'somchai@example.com'`)) as [{ id: string }];
    expect((await gw.gql(IssueMemberTokenDocument, { memberId: somchai }, airlineKey)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
