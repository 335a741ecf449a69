// The member's wallet: the one account with a running balance, and the lock every write on a
// member takes first (wallet, then — only for limited rewards — the reward's stock row). A single
// lock order means redemptions, earns and reversals of one member serialise and never deadlock.
// A locked wallet is what a posting moves (see journal.ts): the journal updates it in place, so
// several postings of one member in one transaction chain their balances.
import { notFound } from '../../errors/domain-error';
import { Db, Tx, query, queryOne } from '../../db/sql';
import { qualifyingPointsOf } from './qualifying';

export interface Wallet {
  accountId: string;
  memberId: string;
  /** Spendable points (negative after a clawback of points already spent). */
  balance: number;
  lifetimeEarned: number;
  /** Points issued but still inside a partner's return window. */
  pending: number;
  /** Qualifying points over the rolling 12 months. */
  qualifying: number;
  tierId: string;
  tierRank: number;
  tierMultiplier: string;
  /** The member's status (ACTIVE, BLOCKED, MERGED, ERASED), read under the lock: member/member-status.ts judges it. */
  memberStatus: string;
}

/** Kept for the features that only read these fields; every Wallet is one. */
export type LockedWallet = Wallet;

export const WALLET_COLUMNS = `a.id AS "accountId", a.member_id AS "memberId", a.balance, a.lifetime_earned AS "lifetimeEarned", a.pending,
       ${qualifyingPointsOf('a.member_id')} AS qualifying,
       mb.tier_id AS "tierId", t.rank AS "tierRank", t.earn_multiplier::text AS "tierMultiplier", mb.status AS "memberStatus"`;
const WALLET_FROM = `account a JOIN member mb ON mb.id = a.member_id JOIN tier t ON t.id = mb.tier_id`;

// One wallet object per member and transaction: whoever locks a wallet the transaction already
// holds gets the same object, so postings made by different steps of one transaction (an earn,
// then the bonus a plug-in gives) always start from the balance the previous one left.
const lockedIn = new WeakMap<object, Map<string, Wallet>>();

function held(m: Tx): Map<string, Wallet> {
  let wallets = lockedIn.get(m);
  if (!wallets) lockedIn.set(m, (wallets = new Map()));
  return wallets;
}

export async function lockWallet(m: Tx, memberId: string, field = 'input.memberId'): Promise<Wallet> {
  const mine = held(m).get(memberId);
  if (mine) return mine;
  const wallet = await queryOne<Wallet>(m, `SELECT ${WALLET_COLUMNS} FROM ${WALLET_FROM} WHERE a.member_id = $1 FOR UPDATE OF a`, [memberId]);
  if (!wallet) throw notFound(field, 'member');
  held(m).set(memberId, wallet);
  return wallet;
}

/**
 * Lock several wallets in one statement, in member order (the unique index's order: no sort, no
 * scan, and two batches never deadlock). `extraColumns` lets the earn read what its plug-ins need
 * of each member in the same statement (a select list over `a`, `mb`).
 */
export async function lockWallets<X = unknown>(m: Tx, memberIds: readonly string[], extraColumns = ''): Promise<(Wallet & X)[]> {
  const wallets = await query<Wallet & X>(
    m,
    `SELECT ${WALLET_COLUMNS}${extraColumns ? `, ${extraColumns}` : ''}
       FROM ${WALLET_FROM} WHERE a.member_id = ANY($1::uuid[]) ORDER BY a.member_id FOR UPDATE OF a`,
    [memberIds],
  );
  for (const w of wallets) held(m).set(w.memberId, w);
  return wallets;
}

/** The same read without the lock (a preview writes nothing). */
export async function readWallets<X = unknown>(db: Db, memberIds: readonly string[], extraColumns = ''): Promise<(Wallet & X)[]> {
  return query<Wallet & X>(db, `SELECT ${WALLET_COLUMNS}${extraColumns ? `, ${extraColumns}` : ''} FROM ${WALLET_FROM} WHERE a.member_id = ANY($1::uuid[])`, [
    memberIds,
  ]);
}

/** The member's number of ledger transactions, kept on the wallet by the journal (a scalar subquery; $1: the member). */
export const TRANSACTION_COUNT = `SELECT transaction_count FROM account WHERE member_id = $1 AND kind = 'MEMBER'`;

/** A new member's empty wallet. */
export async function openWallet(m: Tx, memberId: string): Promise<void> {
  await openWallets(m, [memberId]);
}

/** The empty wallets of new members, one statement for any number (a members import's batch). */
export async function openWallets(m: Tx, memberIds: readonly string[]): Promise<void> {
  await query(m, `INSERT INTO account (kind, member_id, balance, lifetime_earned, pending) SELECT 'MEMBER', id, 0, 0, 0 FROM unnest($1::uuid[]) AS id`, [
    memberIds,
  ]);
}

export async function coalitionAccountId(m: Tx, kind: 'COALITION_REDEMPTION' | 'COALITION_BREAKAGE' | 'COALITION_TRANSFER'): Promise<string> {
  return (await queryOne<{ id: string }>(m, `SELECT id FROM account WHERE kind = $1`, [kind]))!.id;
}
