// Closed settlement periods: a month, once closed, never changes — not even as reversals of its
// transactions arrive (they count in the period in which they are made).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuditLogDocument,
  CloseSettlementPeriodDocument,
  RedeemRewardDocument,
  ReverseTransactionDocument,
  SettlementStatementDocument,
  SettlementStatementsDocument,
} from './generated/graphql';
import { startTestGateway, TestGateway } from './support/gateway';
import { earn, newMember, newPartner, newReward, TestPartner, uniq } from './support/factories';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw?.stop());

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const iso = (d: Date) => d.toISOString();

describe('closed settlement periods', () => {
  let cafe: TestPartner;
  let airline: TestPartner;
  let t0: Date;
  let t1: Date;
  let earnId: string;
  let statementId: string;
  let closedFirst: unknown;

  beforeAll(async () => {
    t0 = new Date(Date.now() - 1000);
    cafe = await newPartner(gw, { currencyCode: 'MYR', earnRate: '1', burnRate: '0.01' });
    airline = await newPartner(gw, { currencyCode: 'IDR', earnRate: '0.001', burnRate: '35' });
    const member = await newMember(gw, cafe);
    earnId = (await earn(gw, cafe, member, '1000.00')).id;
    const seat = await newReward(gw, airline, { pointsCost: 600 });
    await gw.ok(RedeemRewardDocument, { input: { memberId: member.id, rewardId: seat.id, idempotencyKey: uniq('r') } }, member.token);
    await pause(20);
    t1 = new Date();
    await pause(20);
  });

  it('stores the settlement and the matrix of the period, audited', async () => {
    const { closeSettlementPeriod: s } = await gw.ok(CloseSettlementPeriodDocument, { from: iso(t0), to: iso(t1), key: uniq('close') }, gw.adminToken);
    statementId = s.id;
    closedFirst = s;
    expect(s).toMatchObject({ from: iso(t0), to: iso(t1) });
    const cafeLine = s.lines.find((l) => l.partner.id === cafe.id);
    expect(cafeLine).toMatchObject({ pointsIssued: 1000, owedByPartner: { amount: '10.00', currencyCode: 'MYR' }, net: { amount: '-10.00' } });
    expect(s.lines.find((l) => l.partner.id === airline.id)).toMatchObject({ pointsRedeemed: 600, owedToPartner: { amount: '21000', currencyCode: 'IDR' } });
    expect(s.flows).toContainEqual({ issuer: { id: cafe.id }, redeemer: { id: airline.id }, points: 600, value: { amount: '21000', currencyCode: 'IDR' } });
    const { auditLog } = await gw.ok(AuditLogDocument, { first: 5 }, gw.adminToken);
    expect(auditLog.edges.map((e) => e.node)).toContainEqual(expect.objectContaining({ action: 'SETTLEMENT_PERIOD_CLOSED', targetId: s.id }));
  });

  it('answers a re-sent close with the same statement', async () => {
    const key = uniq('close');
    const from = new Date(t1.getTime());
    const to = new Date(t1.getTime() + 5);
    const first = (await gw.ok(CloseSettlementPeriodDocument, { from: iso(from), to: iso(to), key }, gw.adminToken)).closeSettlementPeriod;
    const again = (await gw.ok(CloseSettlementPeriodDocument, { from: iso(from), to: iso(to), key }, gw.adminToken)).closeSettlementPeriod;
    expect(again).toEqual(first);
    const other = await gw.gql(CloseSettlementPeriodDocument, { from: iso(to), to: iso(new Date(to.getTime() + 1)), key }, gw.adminToken);
    expect(other.errors?.[0]?.extensions?.code).toBe('IDEMPOTENCY_CONFLICT');
    t1 = to; // the ledger is closed up to here now
  });

  it('never changes once closed, even as reversals of its transactions arrive', async () => {
    await gw.ok(ReverseTransactionDocument, { input: { transactionId: earnId, points: 100, idempotencyKey: uniq('rev') } }, cafe.apiKey);
    const { settlementStatement } = await gw.ok(SettlementStatementDocument, { id: statementId }, gw.adminToken);
    expect(settlementStatement).toEqual(closedFirst);
    await expect(gw.sql(`UPDATE settlement_statement SET lines = '[]' WHERE id = $1`, [statementId])).rejects.toThrow(/immutable/);
    await expect(gw.sql(`DELETE FROM settlement_statement WHERE id = $1`, [statementId])).rejects.toThrow(/immutable/);
    // The reversal counts in the period it was made in.
    await pause(20);
    const t2 = new Date();
    const { closeSettlementPeriod: next } = await gw.ok(CloseSettlementPeriodDocument, { from: iso(t1), to: iso(t2), key: uniq('close') }, gw.adminToken);
    expect(next.lines.find((l) => l.partner.id === cafe.id)).toMatchObject({ pointsIssued: -100, owedByPartner: { amount: '-1.00' } });
    t1 = t2;
  });

  it('refuses overlapping periods, gaps, and periods not over yet', async () => {
    const overlap = await gw.gql(CloseSettlementPeriodDocument, { from: iso(new Date(t0.getTime() + 1)), to: iso(t1), key: uniq('close') }, gw.adminToken);
    expect(overlap.errors?.[0]?.extensions).toMatchObject({ code: 'PERIOD_OVERLAPS', field: 'from', statementId });
    await pause(30);
    const later = new Date(t1.getTime() + 10);
    const gap = await gw.gql(CloseSettlementPeriodDocument, { from: iso(later), to: iso(new Date(later.getTime() + 10)), key: uniq('close') }, gw.adminToken);
    expect(gap.errors?.[0]?.extensions).toMatchObject({ code: 'PERIOD_GAP', missingFrom: iso(t1), missingTo: iso(later) });
    const before = await gw.gql(
      CloseSettlementPeriodDocument,
      { from: '2020-01-01T00:00:00.000Z', to: '2020-02-01T00:00:00.000Z', key: uniq('close') },
      gw.adminToken,
    );
    expect(before.errors?.[0]?.extensions).toMatchObject({ code: 'PERIOD_GAP', missingFrom: '2020-02-01T00:00:00.000Z', missingTo: iso(t0) });
    const future = await gw.gql(CloseSettlementPeriodDocument, { from: iso(t1), to: iso(new Date(Date.now() + 60_000)), key: uniq('close') }, gw.adminToken);
    expect(future.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'to' });
    // Just before the first closed period, contiguous: allowed.
    const { closeSettlementPeriod: earlier } = await gw.ok(
      CloseSettlementPeriodDocument,
      { from: iso(new Date(t0.getTime() - 86_400_000)), to: iso(t0), key: uniq('close') },
      gw.adminToken,
    );
    expect(earlier.to).toBe(iso(t0));
  });

  it('shows a partner only its own line, row and column; members and partners cannot close', async () => {
    const { settlementStatement } = await gw.ok(SettlementStatementDocument, { id: statementId }, cafe.apiKey);
    expect(settlementStatement!.lines.map((l) => l.partner.id)).toEqual([cafe.id]);
    expect(settlementStatement!.flows.every((f) => f.issuer?.id === cafe.id || f.redeemer.id === cafe.id)).toBe(true);
    const { settlementStatements } = await gw.ok(SettlementStatementsDocument, { first: 10 }, airline.apiKey);
    expect(settlementStatements.totalCount).toBe(4);
    for (const e of settlementStatements.edges) expect(e.node.lines.map((l) => l.partner.id)).toEqual([airline.id]);
    const refused = await gw.gql(CloseSettlementPeriodDocument, { from: iso(t1), to: iso(new Date()), key: uniq('close') }, cafe.apiKey);
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const member = await newMember(gw, cafe);
    expect((await gw.gql(SettlementStatementDocument, { id: statementId }, member.token)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
