// Ready to distribute by member_id (Citus): every table that grows with members carries
// member_id, and the hot paths — an earn, a redemption, a reversal, a payment with points, the
// member's dashboard — touch the rows of one member only, plus small reference tables. The
// statements are captured at the pg driver (every Client.query of this process, as in
// sql-economy.test.ts) while other members with histories at the same partners exist; each
// statement that names a member table must be anchored on the member (a parameter that is the
// member's id, or the id of one of its rows: its wallet, a transaction, a lot…), and no parameter
// may name another member or another member's row.
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EarnPointsDocument, MemberDashboardDocument, PayWithPointsDocument, RedeemRewardDocument, ReverseTransactionDocument } from './generated/graphql';
import { startTestGateway, TestGateway } from './support/gateway';
import { earn, earnInput, newMember, newPartner, newReward, TestMember, TestPartner } from './support/factories';

/** Tables whose rows grow with members: each carries member_id (member itself: id). */
const MEMBER_TABLES = [
  'member',
  'account',
  'ledger_transaction',
  'ledger_entry',
  'points_lot',
  'lot_consumption',
  'qualifying_points_day',
  'redemption',
  'points_payment',
  'member_bonus',
  'punch_card_progress',
  'challenge_progress',
  'badge',
  'membership',
  'member_partner_link',
  'member_partner_consent',
  'partner_link_code',
  'outbox_event',
  'webhook_delivery',
  'partner_member_ref',
  'earn_rule_member_usage',
  'survey_response',
  'insight_member_day',
  'insight_member_partner',
  'insight_member_month',
];
/**
 * Everything else: small reference tables (partners, rates, tiers, rules, rewards, settings),
 * per-caller tables (idempotency keys and rate-limit counters are keyed by the calling partner or
 * member, and expire), staff and the configuration audit trail, bookkeeping.
 */
const OTHER_TABLES = [
  'partner',
  'exchange_rate',
  'tier',
  'earn_rule',
  'punch_card',
  'challenge',
  'membership_plan',
  'program_settings',
  'reward',
  'ledger_transaction_type',
  'partner_api_key',
  'webhook_endpoint',
  'idempotency_key',
  'rate_limit_counter',
  'security_audit',
  'staff_user',
  'staff_session',
  'erased_member_email',
  'app_secret',
  'schema_migration',
  // Import jobs and their staged rows live only while a file is applied; statements, surveys and
  // the per-partner, per-day aggregates grow with time and partners, not with members.
  'import_job',
  'import_row',
  'import_row_error',
  'settlement_statement',
  'survey',
  'insight_partner_day',
  'insight_partner_month',
  'insight_survey_day',
  'insight_rollup',
  // Per scope (partner or coalition) and month, per day and partner: grow with time, not members.
  'insight_month',
  'insight_month_currency',
  'settlement_partner_day',
  'settlement_flow_day',
  'settlement_rollup',
];

// Background work of the gateway (the relay's polls and NOTIFY, the key stamp, the webhook dispatcher).
const BACKGROUND = [/FROM outbox_event WHERE id/, /pg_notify/, /SET last_used_at/, /FROM webhook_endpoint WHERE active/, /^\s*WITH due AS \(\s*SELECT d\.id/];
// Issuance and coalition accounts have no member: looked up by kind or partner, they are reference rows.
const NON_MEMBER_ACCOUNT = /FROM account WHERE kind = \$1|kind = '(PARTNER_ISSUANCE|COALITION_[A-Z]+)'/;
// A receipt is paid with points once per partner, whoever pays it: the one check keyed by the
// partner, not the member. On Citus it moves to a receipts table distributed by partner (README,
// Scaling); the earn's receipt rule is the same unique index and sends no statement of its own.
const PARTNER_SCOPED = [/^SELECT id FROM points_payment WHERE partner_id = \$1 AND external_ref = \$2$/];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Captured {
  text: string;
  values: unknown[];
}

let captured: Captured[] | null = null;
const original = Client.prototype.query;

beforeAll(() => {
  Client.prototype.query = function (this: Client, ...args: unknown[]) {
    const first = args[0] as string | { text?: string; values?: unknown[] };
    const text = typeof first === 'string' ? first : (first?.text ?? '');
    const values = (typeof first === 'string' ? args[1] : first?.values) as unknown[] | undefined;
    if (captured && !BACKGROUND.some((re) => re.test(text)))
      captured.push({ text: text.replace(/\s+/g, ' ').trim(), values: Array.isArray(values) ? values : [] });
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof Client.prototype.query;
});
afterAll(() => {
  Client.prototype.query = original;
});

async function capture(work: () => Promise<unknown>): Promise<Captured[]> {
  captured = [];
  try {
    await work();
    return captured;
  } finally {
    captured = null;
  }
}

function uuidsOf(values: unknown[]): string[] {
  return values.flatMap((v) => (Array.isArray(v) ? v : [v])).filter((v): v is string => typeof v === 'string' && UUID.test(v));
}

const tablesIn = (text: string) => MEMBER_TABLES.filter((t) => new RegExp(`\\b(FROM|JOIN|INTO|UPDATE)\\s+${t}\\b`, 'i').test(text));

let gw: TestGateway;
let cafe: TestPartner;
let others: TestMember[];

/** Which member owns each row id of the member tables with ids (null: a row with no member, e.g. an issuance account). */
async function owners(): Promise<Map<string, string | null>> {
  const rows = await gw.sql<{ id: string; member: string | null }>(
    `SELECT id::text, id::text AS member FROM member
     UNION ALL SELECT id::text, member_id::text FROM account
     UNION ALL SELECT id::text, member_id::text FROM ledger_transaction
     UNION ALL SELECT id::text, member_id::text FROM points_lot
     UNION ALL SELECT id::text, member_id::text FROM redemption
     UNION ALL SELECT id::text, member_id::text FROM points_payment`,
  );
  return new Map(rows.map((r) => [r.id, r.member]));
}

/** The statements that break "one member only", each with why. */
async function strayStatements(sql: Captured[], memberId: string): Promise<string[]> {
  const owner = await owners();
  const problems: string[] = [];
  for (const s of sql) {
    const ids = uuidsOf(s.values);
    const foreign = ids.filter((id) => owner.has(id) && owner.get(id) !== null && owner.get(id) !== memberId);
    if (foreign.length) problems.push(`names another member's rows (${foreign.join(', ')}): ${s.text}`);
    const tables = tablesIn(s.text);
    if (tables.length === 0 || PARTNER_SCOPED.some((re) => re.test(s.text))) continue;
    const anchored = ids.some((id) => owner.get(id) === memberId);
    const onlyNonMemberAccounts = tables.length === 1 && tables[0] === 'account' && NON_MEMBER_ACCOUNT.test(s.text);
    if (!anchored && !onlyNonMemberAccounts) problems.push(`reads ${tables.join(', ')} without naming the member or a row of it: ${s.text}`);
  }
  return problems;
}

beforeAll(async () => {
  gw = await startTestGateway();
  cafe = await newPartner(gw);
  // Other members with histories at the same partner: a statement that is not anchored on the
  // member would read (or lock, or count) their rows too.
  others = [await newMember(gw, cafe), await newMember(gw, cafe)];
  for (const o of others) for (let i = 0; i < 3; i++) await earn(gw, cafe, o, '40.00');
});
afterAll(() => gw?.stop());

describe('distributable by member_id', () => {
  it('every table that grows with members carries member_id, and every table is classified', async () => {
    const columns = await gw.sql<{ table: string; column: string }>(
      `SELECT table_name AS table, column_name AS column FROM information_schema.columns WHERE table_schema = 'public'`,
    );
    const tables = [...new Set(columns.map((c) => c.table))].sort();
    const unclassified = tables.filter((t) => !MEMBER_TABLES.includes(t) && !OTHER_TABLES.includes(t));
    expect(unclassified, 'a new table: add it to MEMBER_TABLES (with member_id) or OTHER_TABLES').toEqual([]);
    const without = MEMBER_TABLES.filter((t) => t !== 'member' && !columns.some((c) => c.table === t && c.column === 'member_id'));
    expect(without).toEqual([]);
  });

  it('an earn, a redemption, a reversal, a payment and the dashboard touch one member only', async () => {
    const member = await newMember(gw, cafe);
    await earn(gw, cafe, member, '500.00');
    const reward = await newReward(gw, cafe, { pointsCost: 50 });

    const earnSql = await capture(() => gw.ok(EarnPointsDocument, { input: earnInput(member, '30.00') }, cafe.apiKey));
    const [last] = await gw.sql<{ id: string }>(`SELECT id FROM ledger_transaction WHERE member_id = $1 AND type = 'EARN' ORDER BY seq DESC LIMIT 1`, [
      member.id,
    ]);
    const redeemSql = await capture(() =>
      gw.ok(RedeemRewardDocument, { input: { memberId: member.id, rewardId: reward.id, idempotencyKey: `r-${member.id}` } }, cafe.apiKey),
    );
    const reverseSql = await capture(() =>
      gw.ok(ReverseTransactionDocument, { input: { transactionId: last!.id, idempotencyKey: `v-${member.id}` } }, cafe.apiKey),
    );
    const paySql = await capture(() =>
      gw.ok(
        PayWithPointsDocument,
        {
          input: {
            memberId: member.id,
            points: 20,
            billAmount: '10.00',
            currencyCode: 'MYR',
            externalRef: `bill-${member.id}`,
            idempotencyKey: `p-${member.id}`,
          },
        },
        cafe.apiKey,
      ),
    );
    const dashboardSql = await capture(() => gw.ok(MemberDashboardDocument, { id: member.id }, member.token));

    for (const [name, sql] of Object.entries({ earn: earnSql, redemption: redeemSql, reversal: reverseSql, payment: paySql, dashboard: dashboardSql })) {
      expect(sql.length, `${name} sent no statement`).toBeGreaterThan(0);
      expect(await strayStatements(sql, member.id), name).toEqual([]);
    }
  });

  it('the check catches a statement that reads across members', async () => {
    const member = await newMember(gw, cafe);
    const stray = await capture(() => gw.sql(`SELECT count(*) FROM ledger_transaction WHERE partner_id = $1`, [cafe.id]));
    const foreign = await capture(() => gw.sql(`SELECT balance FROM account WHERE member_id = ANY($1::uuid[])`, [[member.id, others[0]!.id]]));
    expect(await strayStatements(stray, member.id)).toHaveLength(1);
    expect(await strayStatements(foreign, member.id)).toHaveLength(1);
  });
});
