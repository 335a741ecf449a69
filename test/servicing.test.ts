// Member servicing (issue 17): blocks refused everywhere points move, staff adjustments,
// member-to-member transfers and merges that keep every lot's issuer (so settlement reads the
// same), updates, exports and erasure that leaves no email or name anywhere in the database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AdjustPointsDocument,
  BlockMemberDocument,
  EarnPointsDocument,
  EnrollMemberDocument,
  EraseMemberDocument,
  ExportMemberDataDocument,
  IssueMemberTokenDocument,
  MergeMembersDocument,
  PayWithPointsDocument,
  RedeemRewardDocument,
  ServicedMemberByIdDocument,
  SetServicingSettingsDocument,
  SettlementDocument,
  SettlementMatrixDocument,
  TransferPointsDocument,
  UnblockMemberDocument,
  UpdateMemberDocument,
} from './generated/graphql';
import { startTestGateway, TestGateway } from './support/gateway';
import { balanceOf, earn, earnInput, ledgerViolations, lotsOf, newMember, newPartner, newReward, TestMember, TestPartner, uniq } from './support/factories';

/**
 * Every table of the database (whatever its columns' types) whose rows, as text, contain
 * `needle`: what a grep of a pg_dump would find (the machine's pg_dump may be older than the
 * test server, so the rows are read directly).
 */
async function tablesContaining(needle: string): Promise<string[]> {
  const tables = await gw.sql<{ name: string }>(
    `SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) AS name FROM information_schema.tables
      WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`,
  );
  expect(tables.length).toBeGreaterThan(20);
  const found: string[] = [];
  for (const { name } of tables) {
    const [row] = await gw.sql<{ n: number }>(`SELECT count(*)::int AS n FROM ${name} t WHERE strpos(lower(t::text), lower($1)) > 0`, [needle]);
    if (row!.n > 0) found.push(name);
  }
  return found;
}

let gw: TestGateway;
let a: TestPartner;
let b: TestPartner;
beforeAll(async () => {
  gw = await startTestGateway();
  a = await newPartner(gw, { burnRate: '0.01' });
  b = await newPartner(gw, { burnRate: '0.02' });
});
afterAll(() => gw?.stop());

const period = () => ({ from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date(Date.now() + 3_600_000).toISOString() });
const settlement = async () => (await gw.ok(SettlementDocument, period(), gw.adminToken)).settlement;
const matrix = async () => (await gw.ok(SettlementMatrixDocument, period(), gw.adminToken)).settlementMatrix;
const lotsByIssuer = async (memberId: string) =>
  (await lotsOf(gw, memberId))
    .filter((l) => l.remaining > 0)
    .map((l) => ({ partnerId: l.partnerId, remaining: l.remaining, expiresAt: l.expiresAt?.toISOString() ?? null }))
    .sort((x, y) => x.partnerId.localeCompare(y.partnerId));
const transfer = (from: TestMember, to: TestMember, points: number, token = from.token) =>
  gw.gql(TransferPointsDocument, { input: { fromMemberId: from.id, toMemberId: to.id, points, idempotencyKey: uniq('transfer') } }, token);
const adjust = (member: TestMember, points: number, extra: Record<string, unknown> = {}) =>
  gw.gql(
    AdjustPointsDocument,
    { input: { memberId: member.id, points, reason: 'goodwill: late flight', idempotencyKey: uniq('adjust'), ...extra } },
    gw.adminToken,
  );
const limits = (input: Record<string, number>) => gw.ok(SetServicingSettingsDocument, { input }, gw.adminToken);

async function memberWith(at: TestPartner, amount: string): Promise<TestMember> {
  const member = await newMember(gw, at);
  await earn(gw, at, member, amount);
  return member;
}

describe('blockMember', () => {
  it('refuses earns, redemptions, payments and transfers with MEMBER_BLOCKED, writes nothing; reads work; unblock restores', async () => {
    const m = await memberWith(a, '500.00');
    const friend = await memberWith(a, '10.00');
    const reward = await newReward(gw, a, { pointsCost: 50 });
    const blocked = await gw.ok(BlockMemberDocument, { memberId: m.id, reason: 'card fraud reported' }, gw.adminToken);
    expect(blocked.blockMember.status).toBe('BLOCKED');
    const before = await gw.sql(`SELECT count(*)::int AS n FROM ledger_transaction`);

    const refusals = [
      await gw.gql(EarnPointsDocument, { input: earnInput(m, '10.00') }, a.apiKey),
      await gw.gql(RedeemRewardDocument, { input: { memberId: m.id, rewardId: reward.id, idempotencyKey: uniq('r') } }, m.token),
      await gw.gql(
        PayWithPointsDocument,
        { input: { memberId: m.id, points: 10, billAmount: '5.00', currencyCode: 'MYR', externalRef: uniq('bill'), idempotencyKey: uniq('p') } },
        a.apiKey,
      ),
      await transfer(m, friend, 10),
      await transfer(friend, m, 1),
    ];
    for (const r of refusals) expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'MEMBER_BLOCKED' });
    expect(refusals[4]!.errors![0]!.extensions!.field).toBe('input.toMemberId');
    expect(await gw.sql(`SELECT count(*)::int AS n FROM ledger_transaction`)).toEqual(before);

    // Reads still work, for the member itself too.
    const read = await gw.ok(ServicedMemberByIdDocument, { id: m.id }, m.token);
    expect(read.member).toMatchObject({ status: 'BLOCKED', balance: { available: 500 } });

    await gw.ok(UnblockMemberDocument, { memberId: m.id }, gw.adminToken);
    const again = await gw.gql(EarnPointsDocument, { input: earnInput(m, '10.00') }, a.apiKey);
    expect(again.errors).toBeUndefined();
    expect(await balanceOf(gw, m.id)).toBe(510);
    expect(await ledgerViolations(gw)).toEqual([]);
  });

  it('needs a reason', async () => {
    const m = await newMember(gw, a);
    const r = await gw.gql(BlockMemberDocument, { memberId: m.id, reason: '  ' }, gw.adminToken);
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'reason' });
  });
});

describe('adjustPoints', () => {
  it('credits as ADJUSTMENT funded by the coalition, or by a named partner, each on its settlement line', async () => {
    const m = await newMember(gw, a);
    const lines0 = await settlement();
    const coalition = (await gw.sql<{ id: string }>(`SELECT id FROM partner WHERE is_coalition`))[0]!.id;
    const credit = await adjust(m, 120);
    expect(credit.errors).toBeUndefined();
    expect(credit.data!.adjustPoints).toMatchObject({ type: 'ADJUSTMENT', points: 120, balanceAfter: 120, reason: 'goodwill: late flight' });
    await adjust(m, 30, { partnerId: b.id });
    expect(await lotsByIssuer(m.id)).toEqual(
      [
        { partnerId: coalition, remaining: 120, expiresAt: null },
        { partnerId: b.id, remaining: 30, expiresAt: null },
      ].sort((x, y) => x.partnerId.localeCompare(y.partnerId)),
    );
    const lines1 = await settlement();
    const issued = (lines: typeof lines0, id: string) => lines.find((l) => l.partner.id === id)?.pointsIssued ?? 0;
    expect(issued(lines1, b.id) - issued(lines0, b.id)).toBe(30);

    const debit = await adjust(m, -100);
    expect(debit.data!.adjustPoints).toMatchObject({ points: -100, balanceAfter: 50 });
    const tooMuch = await adjust(m, -51);
    expect(tooMuch.errors?.[0]?.extensions).toMatchObject({ code: 'INSUFFICIENT_POINTS' });
    expect(await ledgerViolations(gw)).toEqual([]);
  });

  it('refuses no reason, 0 points and an unknown partner, writing nothing; a retry replays', async () => {
    const m = await newMember(gw, a);
    expect((await adjust(m, 10, { reason: ' ' })).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.reason' });
    expect((await adjust(m, 0)).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.points' });
    expect((await adjust(m, 10, { partnerId: '00000000-0000-4000-8000-000000000000' })).errors?.[0]?.extensions).toMatchObject({
      code: 'NOT_FOUND',
      field: 'input.partnerId',
    });
    expect(await balanceOf(gw, m.id)).toBe(0);
    const key = uniq('adjust');
    const first = await adjust(m, 10, { idempotencyKey: key });
    const second = await adjust(m, 10, { idempotencyKey: key });
    expect(second.data!.adjustPoints.id).toBe(first.data!.adjustPoints.id);
    expect(await balanceOf(gw, m.id)).toBe(10);
  });
});

describe('transferPoints', () => {
  it('moves lots with their issuer and expiry; settlement lines are identical; a later redemption settles with the original issuer', async () => {
    const from = await memberWith(a, '300.00');
    const to = await newMember(gw, b);
    const lotsBefore = await lotsByIssuer(from.id);
    const lines0 = await settlement();
    const r = await transfer(from, to, 200);
    expect(r.errors).toBeUndefined();
    expect(r.data!.transferPoints).toMatchObject({ type: 'TRANSFER', points: -200, balanceAfter: 100 });
    expect(await settlement()).toEqual(lines0);
    expect(await lotsByIssuer(to.id)).toEqual([{ ...lotsBefore[0]!, remaining: 200 }]);
    const received = await gw.ok(ServicedMemberByIdDocument, { id: to.id }, to.token);
    expect(received.member!.transactions.edges.map((e) => e.node)).toMatchObject([{ type: 'TRANSFER', points: 200, balanceAfter: 200 }]);

    const reward = await newReward(gw, b, { pointsCost: 150 });
    await gw.ok(RedeemRewardDocument, { input: { memberId: to.id, rewardId: reward.id, idempotencyKey: uniq('r') } }, to.token);
    expect(await matrix()).toContainEqual(expect.objectContaining({ issuer: { id: a.id }, redeemer: { id: b.id }, points: 150 }));
    expect(await ledgerViolations(gw)).toEqual([]);
  });

  it('holds to the monthly limits (defaults: 2 transfers, 5,000 points) and the balance', async () => {
    const from = await memberWith(a, '9000.00');
    const to = await newMember(gw, a);
    expect((await transfer(from, to, 5001)).errors?.[0]?.extensions).toMatchObject({ code: 'TRANSFER_LIMIT_EXCEEDED', limit: 5000 });
    expect((await transfer(from, to, 4000)).errors).toBeUndefined();
    expect((await transfer(from, to, 1001)).errors?.[0]?.extensions).toMatchObject({ code: 'TRANSFER_LIMIT_EXCEEDED', limit: 5000, used: 4000 });
    expect((await transfer(from, to, 1000)).errors).toBeUndefined();
    expect((await transfer(from, to, 1)).errors?.[0]?.extensions).toMatchObject({ code: 'TRANSFER_LIMIT_EXCEEDED', limit: 2, used: 2 });
    const poor = await memberWith(a, '5.00');
    expect((await transfer(poor, to, 6)).errors?.[0]?.extensions).toMatchObject({ code: 'INSUFFICIENT_POINTS' });
    expect((await transfer(poor, poor, 1)).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.toMemberId' });
    expect(await balanceOf(gw, to.id)).toBe(5000);
  });

  it('concurrent transfers between two members in both directions never deadlock or lose a point', async () => {
    await limits({ transfersPerMonth: 1000, transferPointsPerMonth: 1_000_000 });
    try {
      const x = await memberWith(a, '1000.00');
      const y = await memberWith(b, '1000.00');
      const n = 30;
      const results = await Promise.all(Array.from({ length: n }, (_, i) => (i % 2 === 0 ? transfer(x, y, 7 + (i % 5)) : transfer(y, x, 3 + (i % 7)))));
      expect(results.filter((r) => r.errors).map((r) => r.errors![0]!.extensions?.code)).toEqual([]);
      expect((await balanceOf(gw, x.id)) + (await balanceOf(gw, y.id))).toBe(2000);
      const [clearing] = await gw.sql<{ sum: number }>(
        `SELECT coalesce(sum(e.amount), 0)::bigint AS sum FROM ledger_entry e JOIN account a ON a.id = e.account_id WHERE a.kind = 'COALITION_TRANSFER'`,
      );
      expect(clearing!.sum).toBe(0);
      expect(await ledgerViolations(gw)).toEqual([]);
    } finally {
      await limits({ transfersPerMonth: 2, transferPointsPerMonth: 5000 });
    }
  });
});

describe('mergeMembers', () => {
  it("moves the source's balance and lots (issuers, expiry) to the target; the source is MERGED, its token stops; history on both; settlement unchanged", async () => {
    const source = await memberWith(a, '120.00');
    await earn(gw, b, source, '30.00');
    await adjust(source, 25, { partnerId: b.id });
    const target = await memberWith(b, '40.00');
    const sourceLots = await lotsByIssuer(source.id);
    const targetLots = await lotsByIssuer(target.id);
    const lines0 = await settlement();
    const merged = await gw.ok(MergeMembersDocument, { source: source.id, target: target.id, key: uniq('merge') }, gw.adminToken);
    expect(merged.mergeMembers).toMatchObject({ id: target.id, status: 'ACTIVE', balance: { available: 40 + 120 + 30 + 25 } });
    expect(await settlement()).toEqual(lines0);
    const issuers = (lots: { partnerId: string; remaining: number }[]) =>
      lots.reduce<Record<string, number>>((s, l) => ({ ...s, [l.partnerId]: (s[l.partnerId] ?? 0) + l.remaining }), {});
    const expected = issuers([...sourceLots, ...targetLots]);
    expect(issuers(await lotsByIssuer(target.id))).toEqual(expected);
    expect(await lotsByIssuer(source.id)).toEqual([]);

    const sourceNow = await gw.ok(ServicedMemberByIdDocument, { id: source.id }, gw.adminToken);
    expect(sourceNow.member).toMatchObject({ status: 'MERGED', balance: { available: 0 } });
    expect(sourceNow.member!.transactions.edges[0]!.node).toMatchObject({ type: 'MERGE', points: -175 });
    const targetNow = await gw.ok(ServicedMemberByIdDocument, { id: target.id }, gw.adminToken);
    expect(targetNow.member!.transactions.edges[0]!.node).toMatchObject({ type: 'MERGE', points: 175 });

    const stale = await gw.gql(ServicedMemberByIdDocument, { id: source.id }, source.token);
    expect(stale.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const token = await gw.gql(IssueMemberTokenDocument, { memberId: source.id }, a.apiKey);
    expect(token.errors?.[0]?.extensions).toMatchObject({ code: 'MEMBER_CLOSED', status: 'MERGED' });
    const earnOnMerged = await gw.gql(EarnPointsDocument, { input: earnInput(source, '10.00') }, a.apiKey);
    expect(earnOnMerged.errors?.[0]?.extensions).toMatchObject({ code: 'MEMBER_CLOSED' });
    const again = await gw.gql(MergeMembersDocument, { source: source.id, target: target.id, key: uniq('merge') }, gw.adminToken);
    expect(again.errors?.[0]?.extensions).toMatchObject({ code: 'MEMBER_CLOSED', field: 'sourceMemberId' });
    expect(await ledgerViolations(gw)).toEqual([]);
  });

  it('refuses merging a member into itself', async () => {
    const m = await newMember(gw, a);
    const r = await gw.gql(MergeMembersDocument, { source: m.id, target: m.id, key: uniq('merge') }, gw.adminToken);
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'targetMemberId' });
  });
});

describe('updateMember', () => {
  it('the member changes its own profile; a taken email is BAD_USER_INPUT naming input.email', async () => {
    const m = await newMember(gw, a);
    const other = await newMember(gw, a);
    const email = `${uniq('new')}@example.com`;
    const r = await gw.ok(UpdateMemberDocument, { input: { memberId: m.id, email, displayName: 'New Name', birthDate: '1990-02-03' } }, m.token);
    expect(r.updateMember).toMatchObject({ email, displayName: 'New Name', birthDate: '1990-02-03' });
    const taken = await gw.gql(UpdateMemberDocument, { input: { memberId: m.id, email: other.email } }, gw.adminToken);
    expect(taken.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.email' });
    const bad = await gw.gql(UpdateMemberDocument, { input: { memberId: m.id, birthDate: '2999-01-01' } }, gw.adminToken);
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.birthDate' });
  });
});

describe('exportMemberData and eraseMember', () => {
  it('exports one JSON document with profile, transactions, lots, redemptions and audit entries', async () => {
    const m = await memberWith(a, '100.00');
    const reward = await newReward(gw, a, { pointsCost: 10 });
    await gw.ok(RedeemRewardDocument, { input: { memberId: m.id, rewardId: reward.id, idempotencyKey: uniq('r') } }, m.token);
    await adjust(m, 5);
    const { exportMemberData } = await gw.ok(ExportMemberDataDocument, { memberId: m.id }, m.token);
    const doc = JSON.parse(exportMemberData);
    expect(doc.profile).toMatchObject({ id: m.id, email: m.email, status: 'ACTIVE', balance: 95 });
    expect(doc.transactions.map((t: { type: string }) => t.type)).toEqual(['EARN', 'REDEEM', 'ADJUSTMENT']);
    expect(doc.lots.length).toBeGreaterThanOrEqual(2);
    expect(doc.redemptions).toHaveLength(1);
    expect(doc.auditEntries.map((e: { action: string }) => e.action)).toEqual(['MEMBER_POINTS_ADJUSTED']);
  });

  it('leaves no email or name in any row of any table, forfeits the points, stops the token, keeps the books, refuses re-enrolment', async () => {
    const name = `Zelda ${uniq('Quixote')}`;
    const email = `${uniq('erase-me')}@example.com`;
    const { enrollMember } = await gw.ok(EnrollMemberDocument, { input: { email, displayName: name, birthDate: '1985-05-05' } }, a.apiKey);
    const { issueMemberToken: token } = await gw.ok(IssueMemberTokenDocument, { memberId: enrollMember.id }, a.apiKey);
    const m = { id: enrollMember.id, email, token };
    await earn(gw, a, m, '80.00');
    await gw.ok(UpdateMemberDocument, { input: { memberId: m.id, displayName: `${name} Jr` } }, m.token);
    // A sent MEMBER_ENROLLED webhook's body carries the email and name (webhook-body.ts); an event of
    // another member may quote the email too. Written as the dispatcher would leave them.
    const [endpoint] = await gw.sql<{ id: string }>(
      `INSERT INTO webhook_endpoint (url, events, secret, active) VALUES ('https://hooks.example.com/x', '{MEMBER_ENROLLED}', '\\x00', false) RETURNING id`,
    );
    const body = JSON.stringify({ type: 'MEMBER_ENROLLED', data: { member: { id: m.id, email, displayName: name } } });
    await gw.sql(
      `INSERT INTO webhook_delivery (endpoint_id, event_id, event_type, member_id, payload, body_ready, status) VALUES ($1, 0, 'MEMBER_ENROLLED', $2, $3, true, 'FAILED')`,
      [endpoint!.id, m.id, body],
    );
    await gw.sql(`INSERT INTO outbox_event (topic, member_id, payload) VALUES ('NOTE', $1, $2)`, [m.id, JSON.stringify({ displayName: name })]);
    await gw.sql(`INSERT INTO outbox_event (topic, payload) VALUES ('NOTE', $1)`, [JSON.stringify({ quoted: `mail ${email} please` })]);
    expect(await tablesContaining(email)).toEqual(expect.arrayContaining(['public.member', 'public.webhook_delivery', 'public.outbox_event']));
    const lines0 = await settlement();

    const erased = await gw.ok(EraseMemberDocument, { memberId: m.id, key: uniq('erase') }, m.token);
    expect(erased.eraseMember).toMatchObject({ id: m.id, status: 'ERASED', birthDate: null, balance: { available: 0 } });
    expect(erased.eraseMember.email).not.toContain('erase-me');

    for (const needle of [email, name, email.split('@')[0]!]) expect({ needle, tables: await tablesContaining(needle) }).toEqual({ needle, tables: [] });

    const forfeited = await gw.sql<{ points: number }>(`SELECT points FROM ledger_transaction WHERE member_id = $1 AND type = 'ERASURE'`, [m.id]);
    expect(forfeited).toEqual([{ points: -80 }]);
    const breakage = (lines: typeof lines0) => lines.find((l) => l.partner.id === a.id)!;
    expect(breakage(await settlement()).pointsIssued).toBe(breakage(lines0).pointsIssued);
    expect(await ledgerViolations(gw)).toEqual([]);

    expect((await gw.gql(ServicedMemberByIdDocument, { id: m.id }, m.token)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const reenrol = await gw.gql(EnrollMemberDocument, { input: { email: email.toUpperCase(), displayName: 'Again' } }, b.apiKey);
    expect(reenrol.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.email' });
    const [hash] = await gw.sql<{ n: number }>(`SELECT count(*)::int AS n FROM erased_member_email`);
    expect(hash!.n).toBeGreaterThanOrEqual(1);
  });
});
