// SQL economy: how many statements the main operations send, counted at the pg driver (every
// Client.query of this process: the gateway's pool, its rate limiter, its relay). A change that
// adds a query per row (a missing DataLoader) or a round trip to the earn fails here. Background
// work the gateway does on its own (the outbox relay's polls and NOTIFY, the throttled API-key
// last-use stamp) is left out of the count.
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EarnPointsAtTillDocument, MemberDashboardDocument } from './generated/graphql';
import { startTestGateway, TestGateway } from './support/gateway';
import { earn, earnInput, newMember, newPartner, TestPartner } from './support/factories';

// The webhook dispatcher's polls and the import sweep (open jobs to resume) are background work too.
const BACKGROUND = [
  /FROM outbox_event WHERE id/,
  /pg_notify/,
  /SET last_used_at/,
  /FROM webhook_endpoint WHERE active/,
  /^\s*WITH due AS/,
  /FROM import_job WHERE status IN/,
];

let statements: string[] | null = null;
const original = Client.prototype.query;

beforeAll(() => {
  Client.prototype.query = function (this: Client, ...args: unknown[]) {
    const first = args[0] as string | { text?: string };
    const text = typeof first === 'string' ? first : (first?.text ?? '');
    if (statements && !BACKGROUND.some((re) => re.test(text))) statements.push(text.replace(/\s+/g, ' ').trim());
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof Client.prototype.query;
});
afterAll(() => {
  Client.prototype.query = original;
});

async function counted<T>(work: () => Promise<T>): Promise<{ result: T; sql: string[] }> {
  statements = [];
  try {
    const result = await work();
    return { result, sql: statements };
  } finally {
    statements = null;
  }
}

let gw: TestGateway;
let partners: TestPartner[];
beforeAll(async () => {
  gw = await startTestGateway();
  partners = [await newPartner(gw), await newPartner(gw, { currencyCode: 'THB' }), await newPartner(gw, { currencyCode: 'IDR', earnRate: '0.01' })];
});
afterAll(() => gw?.stop());

async function memberWithHistory(transactions: number) {
  const member = await newMember(gw, partners[0]!);
  const amounts: Record<string, string> = { MYR: '10.00', THB: '100.00', IDR: '50000' };
  for (let i = 0; i < transactions; i++) {
    const p = partners[i % partners.length]!;
    await earn(gw, p, member, amounts[p.currencyCode]!);
  }
  return member;
}

describe('statements per operation', () => {
  it('the member dashboard sends the same 5 statements for 3 or 20 transactions at 3 partners (no query per row)', async () => {
    const small = await memberWithHistory(3);
    const large = await memberWithHistory(25);
    const few = await counted(() => gw.ok(MemberDashboardDocument, { id: small.id }, small.token));
    const many = await counted(() => gw.ok(MemberDashboardDocument, { id: large.id }, large.token));
    expect(few.result.member?.transactions.edges).toHaveLength(3);
    expect(many.result.member?.transactions.edges).toHaveLength(20);
    expect(new Set(many.result.member!.transactions.edges.map((e) => e.node.partner?.name)).size).toBe(3);
    expect(many.sql.length, many.sql.join('\n')).toBe(few.sql.length);
    // member, balance, the page with its count, the tier ladder, the partners.
    expect(many.sql.length, many.sql.join('\n')).toBeLessThanOrEqual(5);
  });

  it('an earn is a small fixed number of round trips: key lookup, rate limit, and one batch transaction', async () => {
    const member = await newMember(gw, partners[0]!);
    await earn(gw, partners[0]!, member, '5.00'); // warm: the first earn of a member is no different, but prepared statements are
    const one = await counted(() => gw.ok(EarnPointsAtTillDocument, { input: earnInput(member, '10.00') }, partners[0]!.apiKey));
    expect(one.result.earnPoints.points).toBe(10);
    // authentication (API key), the write rate limit, BEGIN, partners/rules/tiers, idempotency claim,
    // wallet lock, the write, COMMIT.
    expect(one.sql.length, one.sql.join('\n')).toBeLessThanOrEqual(8);
    const again = await counted(() => gw.ok(EarnPointsAtTillDocument, { input: earnInput(member, '11.00') }, partners[0]!.apiKey));
    expect(again.sql.length, again.sql.join('\n')).toBe(one.sql.length);
  });

  it('concurrent earns share transactions: 30 earns on 30 members send far fewer than 30 × one earn', async () => {
    const members = await Promise.all(Array.from({ length: 30 }, () => newMember(gw, partners[1]!)));
    const single = await counted(() =>
      gw.ok(EarnPointsAtTillDocument, { input: earnInput(members[0]!, '100.00', { currencyCode: 'THB' }) }, partners[1]!.apiKey),
    );
    const burst = await counted(() =>
      Promise.all(members.map((m) => gw.ok(EarnPointsAtTillDocument, { input: earnInput(m, '100.00', { currencyCode: 'THB' }) }, partners[1]!.apiKey))),
    );
    expect(burst.result.every((r) => r.earnPoints.points === 100)).toBe(true);
    const transactions = burst.sql.filter((s) => /^(BEGIN|START TRANSACTION)/i.test(s)).length;
    expect(transactions).toBeLessThan(30);
    expect(burst.sql.length).toBeLessThan(30 * single.sql.length * 0.75);
  });
});
