// What must hold after any crash, checked in SQL and through the API. Each function returns the
// violations it found, as sentences; an empty list is a pass.
import { Client } from 'pg';
import { send } from './client';
import { MEMBER_CHECK } from './operations';
import { ChaosReward, OpRecord, WRITE_KINDS } from './world';

type Sql = <T = Record<string, any>>(text: string, params?: unknown[]) => Promise<T[]>;

export function sqlOn(client: Client): Sql {
  return async (text, params = []) => (await client.query(text, params)).rows;
}

const listed = (what: string, ids: { id: unknown }[]) =>
  ids.length
    ? [
        `${what}: ${ids
          .slice(0, 5)
          .map((r) => r.id)
          .join(', ')}${ids.length > 5 ? ` (+${ids.length - 5} more)` : ''}`,
      ]
    : [];

/** The books: double entry, wallets, lots, stock, and nothing half-written. */
export async function bookViolations(sql: Sql, rewards: ChaosReward[]): Promise<string[]> {
  const v: string[] = [];
  v.push(
    ...listed(
      'transactions whose entries do not sum to zero',
      await sql(`SELECT transaction_id AS id FROM ledger_entry GROUP BY transaction_id HAVING sum(amount) <> 0`),
    ),
  );
  v.push(
    ...listed(
      'transactions without entries',
      await sql(`SELECT t.id FROM ledger_transaction t WHERE t.points <> 0 AND NOT EXISTS (SELECT 1 FROM ledger_entry e WHERE e.transaction_id = t.id)`),
    ),
  );
  v.push(
    ...listed(
      'transactions whose wallet entry is not their points',
      await sql(
        `SELECT t.id FROM ledger_transaction t JOIN account a ON a.member_id = t.member_id AND a.kind = 'MEMBER'
      WHERE t.points <> coalesce((SELECT sum(amount) FROM ledger_entry e WHERE e.transaction_id = t.id AND e.account_id = a.id), 0)`,
      ),
    ),
  );
  v.push(
    ...listed(
      'member accounts whose balance is not the sum of their entries',
      await sql(
        `SELECT a.id FROM account a WHERE a.kind = 'MEMBER'
        AND a.balance + a.pending <> coalesce((SELECT sum(amount) FROM ledger_entry e WHERE e.account_id = a.id), 0)`,
      ),
    ),
  );
  v.push(
    ...listed(
      'members whose remaining lots are not max(0, balance)',
      await sql(
        `SELECT a.member_id AS id FROM account a WHERE a.kind = 'MEMBER'
        AND greatest(a.balance, 0) <> coalesce((SELECT sum(remaining) FROM points_lot l WHERE l.member_id = a.member_id), 0)`,
      ),
    ),
  );
  v.push(...listed('lots with negative or excess remaining points', await sql(`SELECT id FROM points_lot WHERE remaining < 0 OR remaining > points`)));
  v.push(
    ...listed(
      "members whose last transaction's balance_after is not their balance",
      await sql(
        `SELECT a.member_id AS id FROM account a
       JOIN LATERAL (SELECT balance_after FROM ledger_transaction t WHERE t.member_id = a.member_id ORDER BY seq DESC LIMIT 1) last ON true
      WHERE a.kind = 'MEMBER' AND last.balance_after <> a.balance`,
      ),
    ),
  );
  v.push(
    ...listed(
      'redemptions that took a balance below zero (REDEEM balance_after < 0)',
      await sql(`SELECT id FROM ledger_transaction WHERE type = 'REDEEM' AND balance_after < 0`),
    ),
  );
  v.push(
    ...listed(
      'earns reversed by more than they earned',
      await sql(
        `SELECT e.id FROM ledger_transaction e WHERE e.type = 'EARN'
        AND e.points < coalesce((SELECT -sum(r.points) FROM ledger_transaction r WHERE r.reverses_id = e.id), 0)`,
      ),
    ),
  );
  v.push(...listed('rewards with stock below zero', await sql(`SELECT id FROM reward WHERE stock < 0`)));
  // Stock is conserved: what setup put in, less what active redemptions hold.
  const stock = await sql<{ id: string; stock: number | null; held: number }>(
    `SELECT r.id, r.stock::int AS stock, coalesce((SELECT sum(quantity) FROM redemption d WHERE d.reward_id = r.id AND d.status = 'ACTIVE'), 0)::int AS held FROM reward r`,
  );
  for (const reward of rewards.filter((r) => r.stock !== null)) {
    const row = stock.find((s) => s.id === reward.id);
    if (!row || row.stock !== reward.stock! - row.held)
      v.push(`reward ${reward.id}: stock ${row?.stock} but ${reward.stock} − ${row?.held} held by active redemptions`);
  }
  v.push(
    ...listed(
      'REDEEM transactions not paired with exactly one redemption',
      await sql(`SELECT t.id FROM ledger_transaction t WHERE t.type = 'REDEEM' AND (SELECT count(*) FROM redemption d WHERE d.transaction_id = t.id) <> 1`),
    ),
  );
  v.push(
    ...listed(
      'redemptions whose cancellation or expiry state disagrees with the ledger',
      await sql(
        `SELECT d.id FROM redemption d
      WHERE (d.status IN ('CANCELLED', 'EXPIRED')) <> EXISTS (SELECT 1 FROM ledger_transaction r WHERE r.reverses_id = d.transaction_id)
         OR (d.status = 'CANCELLED' AND d.cancelled_by_transaction IS NULL)
         OR (d.status = 'EXPIRED' AND d.expired_by_transaction IS NULL)`,
      ),
    ),
  );
  // The outbox row is written in the same transaction as the change it announces.
  v.push(
    ...listed(
      'ledger transactions without their balanceChanged event',
      await sql(
        `SELECT t.id FROM ledger_transaction t WHERE NOT EXISTS (
       SELECT 1 FROM outbox_event o WHERE o.topic = 'BALANCE_CHANGED' AND o.payload->>'transactionId' = t.id::text)`,
      ),
    ),
  );
  return v;
}

/**
 * Every acknowledged write exists exactly once, every refused one not at all, every unresolved one
 * at most once, and nothing exists that no client sent.
 */
export async function accountingViolations(sql: Sql, records: OpRecord[], setupMembers: number): Promise<string[]> {
  const v: string[] = [];
  const writes = records.filter((r) => WRITE_KINDS.includes(r.kind));
  const keyed = new Map(writes.filter((r) => r.kind !== 'enrol').map((r) => [`${r.scope}|${r.key}`, r]));
  const emails = new Map(writes.filter((r) => r.kind === 'enrol').map((r) => [r.key, r]));

  const keys = await sql<{ scope: string; key: string; operation: string; resultId: string | null }>(
    `SELECT caller AS scope, key, operation, result_id AS "resultId" FROM idempotency_key`,
  );
  const keyRows = new Map(keys.map((k) => [`${k.scope}|${k.key}`, k]));
  for (const k of keys) {
    if (!keyed.has(`${k.scope}|${k.key}`)) v.push(`idempotency key ${k.scope}/${k.key} (${k.operation}) that no client sent`);
    if (k.resultId === null) v.push(`idempotency key ${k.scope}/${k.key} without a result (half-written)`);
  }
  const earns = await sql<{ id: string; scope: string; ref: string }>(
    `SELECT id, 'partner:' || partner_id AS scope, external_ref AS ref FROM ledger_transaction WHERE type = 'EARN'`,
  );
  const earnsByRef = new Map<string, string[]>();
  for (const e of earns) earnsByRef.set(`${e.scope}|${e.ref}`, [...(earnsByRef.get(`${e.scope}|${e.ref}`) ?? []), e.id]);
  const results = new Map<string, number>();
  for (const k of keys) if (k.resultId) results.set(k.resultId, (results.get(k.resultId) ?? 0) + 1);

  for (const r of writes.filter((w) => w.kind !== 'enrol')) {
    const row = keyRows.get(`${r.scope}|${r.key}`);
    const what = `${r.kind} ${r.key}`;
    if (r.final === 'ok' && row?.resultId !== r.resultId) v.push(`${what} was acknowledged as ${r.resultId} but its key records ${row?.resultId ?? 'nothing'}`);
    if (r.final === 'failed' && row) v.push(`${what} was refused (${r.code}) yet its key was stored`);
    if (r.kind === 'earn') {
      const found = earnsByRef.get(`${r.scope}|${r.externalRef}`) ?? [];
      if (r.final === 'ok' && (found.length !== 1 || found[0] !== r.resultId)) v.push(`${what} acknowledged once, found ${found.length} times`);
      if (r.final === 'failed' && found.length > 0) v.push(`${what} refused (${r.code}) yet written`);
      if (found.length > 1) v.push(`${what} written ${found.length} times`);
    }
  }
  const receipts = new Set(writes.filter((w) => w.kind === 'earn').map((w) => `${w.scope}|${w.externalRef}`));
  for (const [ref, ids] of earnsByRef) {
    if (!receipts.has(ref)) v.push(`EARN ${ids.join(', ')} for receipt ${ref} that no client sent`);
    for (const id of ids) if (results.get(id) !== 1) v.push(`EARN ${id} is the result of ${results.get(id) ?? 0} idempotency keys, not 1`);
  }
  for (const [kind, table] of [
    ['REVERSAL', "ledger_transaction WHERE type = 'REVERSAL'"],
    ['redemption', 'redemption'],
  ] as const) {
    for (const { id } of await sql<{ id: string }>(`SELECT id FROM ${table}`)) {
      if (results.get(id) !== 1) v.push(`${kind} ${id} is the result of ${results.get(id) ?? 0} client keys, not exactly 1`);
    }
  }

  const members = await sql<{ id: string; email: string }>(`SELECT id, email FROM member`);
  const byEmail = new Map(members.map((m) => [m.email, m.id]));
  for (const m of members) if (!emails.has(m.email)) v.push(`member ${m.email} that no client enrolled`);
  for (const r of emails.values()) {
    if (r.final === 'ok' && byEmail.get(r.key) !== r.resultId)
      v.push(`enrolment ${r.key} acknowledged as ${r.resultId}, found ${byEmail.get(r.key) ?? 'nothing'}`);
    if (r.final === 'failed' && byEmail.has(r.key)) v.push(`enrolment ${r.key} refused (${r.code}) yet written`);
  }
  if (members.length < setupMembers) v.push(`only ${members.length} members, fewer than setup enrolled`);
  return v;
}

/** Every balance the API reports equals the database's, and so does every history's length. */
export async function apiViolations(sql: Sql, url: string, adminToken: string): Promise<string[]> {
  const v: string[] = [];
  const members = await sql<{ id: string; balance: number; transactions: number }>(
    `SELECT a.member_id AS id, a.balance::int AS balance, (SELECT count(*) FROM ledger_transaction t WHERE t.member_id = a.member_id)::int AS transactions
       FROM account a WHERE a.kind = 'MEMBER'`,
  );
  let next = 0;
  const worker = async () => {
    while (next < members.length) {
      const m = members[next++]!;
      const r = await send(url, MEMBER_CHECK, { id: m.id }, adminToken, 10_000);
      if (r.kind !== 'ok') v.push(`member ${m.id}: the API answered ${JSON.stringify(r).slice(0, 200)}`);
      else if (r.data.member.balance.available !== m.balance) v.push(`member ${m.id}: API balance ${r.data.member.balance.available}, database ${m.balance}`);
      else if (r.data.member.transactions.totalCount !== m.transactions)
        v.push(`member ${m.id}: API shows ${r.data.member.transactions.totalCount} transactions, database ${m.transactions}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return v;
}
