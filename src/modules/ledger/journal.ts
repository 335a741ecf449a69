// The journal: the one code that moves points. Every movement — earn, redemption, reversal,
// bonus, expiry, punch-card reward, … — is a Posting, and only this file writes what a posting
// touches: ledger_transaction, ledger_entry, points_lot, lot_consumption, the wallet's running
// balance, the qualifying-points buckets and the BALANCE_CHANGED event. Features say *what*
// moves; the journal checks that it balances, works out the lots, writes it and announces it, in
// the caller's transaction and under the wallet lock the caller holds (wallet.ts).
//
// The books it keeps (checked by the tests' ledgerViolations, zero-sum also by the database):
//   Σ entries of a transaction = 0
//   Σ entries of a wallet      = balance + pending
//   Σ lot.remaining            = max(0, balance)   (a wallet in debt holds no lot points)
//   Σ lot.pending              = pending
// Lots follow the balance: a credit fills new lots with only what lifts the balance above zero
// (debt is paid first); a debit takes from lots only what the balance held above zero.
import { randomUUID } from 'node:crypto';
import { Tx, query } from '../../db/sql';
import { NewOutboxEvent, outboxCtes, outboxInsertParams, publish } from '../../db/outbox';
import { PointsTransaction, TRANSACTION_COLUMNS, TransactionType } from './points-transaction.entity';
import type { Wallet } from './wallet';

/** A lot a credit issues: who funds the points (settlement reads it) and how many. */
export interface LotIssue {
  partnerId: string;
  points: number;
}

/** Which lots a debit (or a return of points) touches; the amount follows from the balance change. */
export type LotUse =
  /** Oldest expiry first (the lots of `preferEarnId` first, for a refund of that earn). */
  | { kind: 'consume'; preferEarnId?: string | null }
  /** Back into the very lots `transactionId` took from, latest expiry first. */
  | { kind: 'restore'; transactionId: string }
  /** Every lot of the member past its expiry at `asOf`, taken whole. */
  | { kind: 'expire'; asOf: Date }
  /** A refund inside the return window: each issuer's pending lot of `earnId` gives back its share. */
  | { kind: 'cancelPending'; earnId: string; shares: LotIssue[] }
  /**
   * Points arriving from another wallet (a transfer, a merge): copies of the lots the posting
   * `fromTransactionId` (posted earlier in the same postMany) took from the sender, each with
   * its issuer, expiry, earn date and issuing transaction, so settlement, breakage and expiry
   * treat them exactly as before the move. Debt is paid first, as for any credit.
   */
  | { kind: 'receive'; fromTransactionId: string };

export interface Posting {
  /** Preassigned when the caller needs the id before the write (the batched earn). */
  id?: string;
  type: TransactionType;
  /** The locked wallet; updated in place by the posting. */
  wallet: Wallet;
  partnerId: string | null;
  /** The signed change to the wallet's entries (spendable and pending together). */
  points: number;
  /** The other side: accounts and signed amounts that together cancel `points`. */
  counter: { accountId: string; amount: number }[];
  /** How much of `points` changes pending rather than spendable points (a credit in a return window, a refund in one). */
  pendingDelta?: number;
  lifetimeDelta?: number;
  /** Points that count towards tier status (purchases and their refunds only). */
  qualifyingPoints?: number;
  /** New lots for a credit, with the expiry and return window they get. */
  issue?: {
    lots: LotIssue[];
    expireAfterMonths: number | null;
    pendingDays: number;
    /** A fixed expiry instead of expireAfterMonths (opening balances a joining partner brings, with the expiry they had there). */
    expiresAt?: Date | null;
  };
  use?: LotUse;
  /** Activity that moves the member's unexpired lots to at least now + this many months. */
  extendExpiryMonths?: number | null;
  exchangeRateId?: string | null;
  /** upsellAmount: the revenue of the purchase's lines marked as upsell (program insight), when any. */
  purchase?: { amount: string; currencyCode: string; channel: string | null; externalRef: string | null; upsellAmount?: string | null };
  tierMultiplier?: string | null;
  reversesId?: string | null;
  reason?: string | null;
  breakdown?: unknown[];
  /** The partner the balance event is attributed to (default: partnerId); false: no event (a zero-point posting). */
  announce?: { partnerId: string | null } | false;
}

/** What the posting does to the wallet's figures. */
function movement(p: Posting) {
  const pendingDelta = p.pendingDelta ?? 0;
  const before = p.wallet.balance;
  const after = before + p.points - pendingDelta;
  return { after, pendingDelta, lotIn: Math.max(0, after) - Math.max(0, before) };
}

function check(p: Posting): void {
  const ints = [p.points, p.pendingDelta ?? 0, p.lifetimeDelta ?? 0, p.qualifyingPoints ?? 0, ...p.counter.map((c) => c.amount)];
  if (!ints.every(Number.isSafeInteger)) throw new Error(`journal: a ${p.type} posting has a non-integer amount`);
  const sum = p.counter.reduce((s, c) => s + c.amount, p.points);
  if (sum !== 0) throw new Error(`journal: a ${p.type} posting does not balance (entries sum to ${sum})`);
  if (p.issue && p.issue.lots.reduce((s, l) => s + l.points, 0) !== p.points) {
    throw new Error(`journal: a ${p.type} posting issues lots that do not add up to its points`);
  }
}

/** Post one movement; returns its transaction. */
export async function post(m: Tx, posting: Posting): Promise<PointsTransaction> {
  return (await postMany(m, [posting]))[0]!;
}

/**
 * Post many movements in one set-based statement (plus one per posting that consumes or
 * returns lots), in list order; returns their transactions in that order.
 */
// postMany's parameters: $1–$37 the rows, then outboxCtes' five, then the entries' members, the
// wallets' transaction counts and the members whose qualifying points went down.
const OUTBOX_FIRST = 38;
const OUTBOX_PARAMS = 5;

export async function postMany(m: Tx, postings: Posting[]): Promise<PointsTransaction[]> {
  if (postings.length === 0) return [];
  const txIds: string[] = [];
  const entries: [string, string, number, string][] = [];
  const lots: [string, string, string, number, number, number | null, number, number, Date | null][] = [];
  const extend: [string, number][] = [];
  const buckets: [string, number][] = [];
  const events: NewOutboxEvent[] = [];
  const wallets = new Map<string, Wallet>();
  const postingsOf = new Map<string, number>();
  const lotUses: { posting: Posting; txId: string; points: number }[] = [];
  const balancesAfter: number[] = [];

  for (const p of postings) {
    check(p);
    const id = p.id ?? randomUUID();
    txIds.push(id);
    const w = p.wallet;
    const { after, pendingDelta, lotIn } = movement(p);
    balancesAfter.push(after);
    // Every entry carries its transaction's member, the counter-account's too: the schema stays
    // distributable by member_id, a transaction's entries on its member's shard.
    entries.push([id, w.accountId, p.points, w.memberId]);
    for (const c of p.counter) entries.push([id, c.accountId, c.amount, w.memberId]);
    if (p.issue) {
      const pending = p.issue.pendingDays > 0;
      let surplus = pending ? 0 : lotIn;
      for (const lot of p.issue.lots) {
        if (lot.points <= 0) continue;
        const remaining = Math.min(lot.points, surplus);
        surplus -= remaining;
        lots.push([
          w.memberId,
          lot.partnerId,
          id,
          lot.points,
          remaining,
          p.issue.expireAfterMonths,
          pending ? lot.points : 0,
          p.issue.pendingDays,
          p.issue.expiresAt ?? null,
        ]);
      }
    }
    if (p.extendExpiryMonths) extend.push([w.memberId, p.extendExpiryMonths]);
    if (p.use) lotUses.push({ posting: p, txId: id, points: lotIn });
    if (p.qualifyingPoints) buckets.push([w.memberId, p.qualifyingPoints]);
    w.balance = after;
    w.pending += pendingDelta;
    w.lifetimeEarned += p.lifetimeDelta ?? 0;
    w.qualifying += p.qualifyingPoints ?? 0;
    wallets.set(w.accountId, w);
    postingsOf.set(w.accountId, (postingsOf.get(w.accountId) ?? 0) + 1);
    if (p.announce !== false) {
      events.push({
        topic: 'BALANCE_CHANGED',
        memberId: w.memberId,
        partnerId: p.announce ? p.announce.partnerId : p.partnerId,
        // The balance as of this transaction, so a subscriber replaying missed events sees each as it was.
        payload: {
          transactionId: id,
          transactionType: p.type,
          available: w.balance,
          lifetimeEarned: w.lifetimeEarned,
          pending: w.pending,
          qualifyingPoints: w.qualifying,
        },
      });
    }
  }
  const finalWallets = [...wallets.values()];
  const col = <T>(rows: T[][], i: number) => rows.map((r) => r[i]);
  const rows = await query<PointsTransaction>(
    m,
    `WITH tx AS (
       INSERT INTO ledger_transaction (id, type, member_id, partner_id, points, balance_after, purchase_amount, purchase_currency,
         channel, external_ref, exchange_rate_id, tier_multiplier, reverses_id, reason, qualifying_points, breakdown, upsell_amount)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::uuid[], $5::bigint[], $6::bigint[], $7::numeric[], $8::text[],
                            $9::text[], $10::text[], $11::uuid[], $12::numeric[], $13::uuid[], $14::text[], $15::bigint[], $16::jsonb[], $17::numeric[])
       RETURNING *),
     entries AS (
       INSERT INTO ledger_entry (transaction_id, account_id, amount, member_id)
       SELECT * FROM unnest($18::uuid[], $19::uuid[], $20::bigint[], $${OUTBOX_FIRST + OUTBOX_PARAMS}::uuid[])),
     extended AS (
       UPDATE points_lot l SET expires_at = now() + make_interval(months => e.months)
         FROM unnest($21::uuid[], $22::int[]) AS e(member_id, months)
        WHERE l.member_id = e.member_id AND (l.remaining > 0 OR l.pending > 0) AND l.expires_at IS NOT NULL
          AND l.expires_at > now() AND l.expires_at < now() + make_interval(months => e.months)),
     lots AS (
       INSERT INTO points_lot (member_id, partner_id, earn_transaction_id, points, remaining, earned_at, expires_at, pending, pending_until)
       SELECT member_id, partner_id, tx_id, points, remaining, now(), coalesce(expires_at, now() + make_interval(months => months)), pending,
              CASE WHEN pending_days > 0 THEN now() + make_interval(days => pending_days) END
         FROM unnest($23::uuid[], $24::uuid[], $25::uuid[], $26::bigint[], $27::bigint[], $28::int[], $29::bigint[], $30::int[], $37::timestamptz[])
           AS l(member_id, partner_id, tx_id, points, remaining, months, pending, pending_days, expires_at)),
     wallets AS (
       UPDATE account a SET balance = w.balance, lifetime_earned = w.lifetime, pending = w.pending, transaction_count = a.transaction_count + w.n
         FROM unnest($31::uuid[], $32::bigint[], $33::bigint[], $34::bigint[], $${OUTBOX_FIRST + OUTBOX_PARAMS + 1}::int[]) AS w(id, balance, lifetime, pending, n)
        WHERE a.id = w.id),
     buckets AS (
       INSERT INTO qualifying_points_day (member_id, day, points)
       SELECT member_id, (now() AT TIME ZONE 'UTC')::date, sum(points) FROM unnest($35::uuid[], $36::bigint[]) AS q(member_id, points)
        GROUP BY member_id
       ON CONFLICT (member_id, day) DO UPDATE SET points = qualifying_points_day.points + EXCLUDED.points),
     reviews AS (
       -- Qualifying points taken back (a refund): the member's tier is due for review today.
       UPDATE member mb SET tier_review_at = (now() AT TIME ZONE 'UTC')::date FROM unnest($${OUTBOX_FIRST + OUTBOX_PARAMS + 2}::uuid[]) AS r(id)
        WHERE mb.id = r.id AND mb.tier_review_at > (now() AT TIME ZONE 'UTC')::date),
     ${outboxCtes(OUTBOX_FIRST)}
     SELECT ${TRANSACTION_COLUMNS} FROM tx`,
    [
      txIds,
      postings.map((p) => p.type),
      postings.map((p) => p.wallet.memberId),
      postings.map((p) => p.partnerId),
      postings.map((p) => p.points),
      balancesAfter,
      postings.map((p) => p.purchase?.amount ?? null),
      postings.map((p) => p.purchase?.currencyCode ?? null),
      postings.map((p) => p.purchase?.channel ?? null),
      postings.map((p) => p.purchase?.externalRef ?? null),
      postings.map((p) => p.exchangeRateId ?? null),
      postings.map((p) => p.tierMultiplier ?? null),
      postings.map((p) => p.reversesId ?? null),
      postings.map((p) => p.reason ?? null),
      postings.map((p) => p.qualifyingPoints ?? 0),
      postings.map((p) => JSON.stringify(p.breakdown ?? [])),
      postings.map((p) => p.purchase?.upsellAmount ?? null),
      col(entries, 0),
      col(entries, 1),
      col(entries, 2),
      col(extend, 0),
      col(extend, 1),
      col(lots, 0),
      col(lots, 1),
      col(lots, 2),
      col(lots, 3),
      col(lots, 4),
      col(lots, 5),
      col(lots, 6),
      col(lots, 7),
      finalWallets.map((w) => w.accountId),
      finalWallets.map((w) => w.balance),
      finalWallets.map((w) => w.lifetimeEarned),
      finalWallets.map((w) => w.pending),
      col(buckets, 0),
      col(buckets, 1),
      col(lots, 8),
      ...outboxInsertParams(m, events),
      col(entries, 3),
      finalWallets.map((w) => postingsOf.get(w.accountId)!),
      [...new Set(postings.filter((p) => (p.qualifyingPoints ?? 0) < 0).map((p) => p.wallet.memberId))],
    ],
  );
  // Expiries (the job posts many at once) take their lots in one statement; other uses one each.
  const expiries = lotUses.filter((u) => u.posting.use!.kind === 'expire');
  if (expiries.length > 0) await expireLots(m, expiries);
  for (const u of lotUses) if (u.posting.use!.kind !== 'expire') await useLots(m, u.posting, u.txId, u.points);
  const byId = new Map(rows.map((r) => [r.id, r]));
  return txIds.map((id) => byId.get(id)!);
}

/** Every lot past its expiry of each expiring posting's member, taken to 0 and logged against that posting: one statement. */
async function expireLots(m: Tx, uses: { posting: Posting; txId: string }[]): Promise<void> {
  const asOf = (uses[0]!.posting.use as { asOf: Date }).asOf;
  for (const u of uses) {
    if ((u.posting.use as { asOf: Date }).asOf.getTime() !== asOf.getTime()) throw new Error('journal: expiries posted together share one asOf');
  }
  await query(
    m,
    `WITH due AS (
       SELECT l.id, l.remaining, u.member_id, u.tx_id FROM unnest($1::uuid[], $2::uuid[]) AS u(member_id, tx_id)
         JOIN points_lot l ON l.member_id = u.member_id AND l.remaining > 0 AND l.expires_at <= $3),
     expired AS (UPDATE points_lot l SET remaining = 0 FROM due WHERE l.id = due.id RETURNING l.id, due.remaining AS points, due.member_id, due.tx_id)
     INSERT INTO lot_consumption (transaction_id, lot_id, points, member_id) SELECT tx_id, id, points, member_id FROM expired`,
    [uses.map((u) => u.posting.wallet.memberId), uses.map((u) => u.txId), asOf],
  );
}

/**
 * The lots side of a debit or return: `points` > 0 puts points back, < 0 takes them. The wallet
 * figures are already written; this keeps Σ remaining = max(0, balance) and logs every take in
 * lot_consumption (negative: given back), which is what settlement and reversals read.
 */
async function useLots(m: Tx, p: Posting, txId: string, points: number): Promise<void> {
  const use = p.use!;
  const memberId = p.wallet.memberId;
  if (use.kind === 'cancelPending') {
    await query(
      m,
      `UPDATE points_lot l SET pending = l.pending - s.points
         FROM unnest($2::uuid[], $3::bigint[]) AS s(partner_id, points)
        WHERE l.earn_transaction_id = $1 AND l.partner_id = s.partner_id AND l.member_id = $4`,
      [use.earnId, use.shares.map((s) => s.partnerId), use.shares.map((s) => s.points), memberId],
    );
    return;
  }
  if (use.kind === 'expire') {
    await query(
      m,
      `WITH due AS (SELECT id, remaining FROM points_lot WHERE member_id = $1 AND remaining > 0 AND expires_at <= $2),
       expired AS (UPDATE points_lot l SET remaining = 0 FROM due WHERE l.id = due.id RETURNING l.id, due.remaining AS points)
       INSERT INTO lot_consumption (transaction_id, lot_id, points, member_id) SELECT $3, id, points, $1 FROM expired`,
      [memberId, use.asOf, txId],
    );
    return;
  }
  if (use.kind === 'receive') {
    // Every moved lot arrives whole (points); what lifts the balance above zero (`points`) is
    // spendable, latest expiry first being the last to fill (oldest first, like an earn's lots).
    await query(
      m,
      `WITH moved AS (
         SELECT c.lot_id, c.points, l.partner_id, l.earn_transaction_id, l.earned_at, l.expires_at,
                sum(c.points) OVER (ORDER BY l.expires_at ASC NULLS LAST, l.earned_at, l.id) AS running
           FROM lot_consumption c JOIN points_lot l ON l.id = c.lot_id
          WHERE c.transaction_id = $1 AND c.points > 0)
       INSERT INTO points_lot (member_id, partner_id, earn_transaction_id, points, remaining, earned_at, expires_at, moved_from_lot)
       SELECT $2, partner_id, earn_transaction_id, points, GREATEST(0, LEAST(points, $3::bigint - (running - points))), earned_at, expires_at, lot_id
         FROM moved`,
      [use.fromTransactionId, memberId, points],
    );
    return;
  }
  if (points === 0) return;
  if (use.kind === 'consume') {
    if (points > 0) throw new Error('journal: a posting that consumes lots must not raise the balance');
    await query(
      m,
      `WITH ordered AS (
         SELECT id, remaining,
                sum(remaining) OVER (ORDER BY (earn_transaction_id = $4::uuid) DESC, expires_at ASC NULLS LAST, earned_at ASC, id ASC) AS running
           FROM points_lot WHERE member_id = $1 AND remaining > 0),
       take AS (
         SELECT id, LEAST(remaining, $2::bigint - (running - remaining)) AS points FROM ordered WHERE running - remaining < $2::bigint),
       spent AS (
         UPDATE points_lot l SET remaining = l.remaining - take.points FROM take WHERE l.id = take.id RETURNING l.id, take.points)
       INSERT INTO lot_consumption (transaction_id, lot_id, points, member_id) SELECT $3, id, points, $1 FROM spent`,
      [memberId, -points, txId, use.preferEarnId ?? null],
    );
    return;
  }
  if (points < 0) throw new Error('journal: a posting that restores lots must not lower the balance');
  await query(
    m,
    `WITH consumed AS (
       SELECT c.lot_id AS id, sum(c.points) AS points, min(l.expires_at) AS expires_at, min(l.earned_at) AS earned_at
         FROM lot_consumption c JOIN points_lot l ON l.id = c.lot_id
        WHERE c.transaction_id = $1 GROUP BY c.lot_id HAVING sum(c.points) > 0),
     ordered AS (
       SELECT id, points, sum(points) OVER (ORDER BY expires_at DESC NULLS FIRST, earned_at DESC, id DESC) AS running FROM consumed),
     back AS (
       SELECT id, LEAST(points, $2::bigint - (running - points)) AS points FROM ordered WHERE running - points < $2::bigint),
     restored AS (
       UPDATE points_lot l SET remaining = l.remaining + back.points FROM back WHERE l.id = back.id RETURNING l.id, back.points)
     INSERT INTO lot_consumption (transaction_id, lot_id, points, member_id) SELECT $3, id, -points, $4 FROM restored`,
    [use.transactionId, points, txId, memberId],
  );
}

/**
 * The end of a return window: the member's pending points that are due at `asOf` become
 * spendable (debt from a clawback paid first, like an earn). No ledger transaction: the entries
 * were written when the points were earned (Σ entries = balance + pending holds before and
 * after). Returns the points released (0: nothing was due).
 */
export async function releasePending(m: Tx, wallet: Wallet, asOf: Date): Promise<number> {
  return (await releasePendingMany(m, [wallet], asOf))[0]!;
}

/** releasePending for many locked wallets at once: three statements whatever their number. */
export async function releasePendingMany(m: Tx, wallets: readonly Wallet[], asOf: Date): Promise<number[]> {
  if (wallets.length === 0) return [];
  const lots = await query<{ id: string; memberId: string; pending: number; earnId: string }>(
    m,
    `SELECT id, member_id AS "memberId", pending, earn_transaction_id AS "earnId" FROM points_lot
      WHERE member_id = ANY($1::uuid[]) AND pending > 0 AND pending_until <= $2
      ORDER BY member_id, expires_at ASC NULLS LAST, earned_at, id`,
    [wallets.map((w) => w.memberId), asOf],
  );
  const lotIds: string[] = [];
  const adds: number[] = [];
  const released: number[] = [];
  const moved: Wallet[] = [];
  const events: NewOutboxEvent[] = [];
  for (const wallet of wallets) {
    const mine = lots.filter((l) => l.memberId === wallet.memberId);
    const n = mine.reduce((s, l) => s + l.pending, 0);
    released.push(n);
    if (n === 0) continue;
    const balanceAfter = wallet.balance + n;
    let surplus = Math.max(0, balanceAfter) - Math.max(0, wallet.balance);
    for (const lot of mine) {
      const take = Math.min(lot.pending, surplus);
      surplus -= take;
      lotIds.push(lot.id);
      adds.push(take);
    }
    wallet.balance = balanceAfter;
    wallet.pending -= n;
    moved.push(wallet);
    // The event names the (latest) earn whose points became spendable.
    events.push({
      topic: 'BALANCE_CHANGED',
      memberId: wallet.memberId,
      partnerId: null,
      payload: {
        transactionId: mine[mine.length - 1]!.earnId,
        available: wallet.balance,
        lifetimeEarned: wallet.lifetimeEarned,
        pending: wallet.pending,
        qualifyingPoints: wallet.qualifying,
      },
    });
  }
  if (moved.length === 0) return released;
  await query(
    m,
    `WITH lots AS (
       UPDATE points_lot l SET remaining = l.remaining + r.add, pending = 0, pending_until = NULL
         FROM unnest($1::uuid[], $2::bigint[]) AS r(id, add) WHERE l.id = r.id)
     UPDATE account a SET balance = w.balance, pending = a.pending - w.n FROM unnest($3::uuid[], $4::bigint[], $5::bigint[]) AS w(id, balance, n) WHERE a.id = w.id`,
    [lotIds, adds, moved.map((w) => w.accountId), moved.map((w) => w.balance), released.filter((n) => n > 0)],
  );
  await publish(m, ...events);
  return released;
}
