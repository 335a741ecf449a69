// The member's wallet: the one account with a running balance, and the lock every write on a
// member takes first (wallet, then — only for limited rewards — the reward's stock row). A single
// lock order means redemptions, earns and reversals of one member serialise and never deadlock.
import { EntityManager } from 'typeorm';
import { notFound } from '../../errors/domain-error';
import { query, queryOne } from '../../db/sql';
import { QUALIFYING_WINDOW } from '../tier/tier.service';

export interface LockedWallet {
  accountId: string;
  balance: number;
  tierId: string;
  tierRank: number;
  tierMultiplier: string;
}

export async function lockWallet(m: EntityManager, memberId: string, field = 'input.memberId'): Promise<LockedWallet> {
  const wallet = await queryOne<LockedWallet>(
    m,
    `SELECT a.id AS "accountId", a.balance, mb.tier_id AS "tierId", t.rank AS "tierRank", t.earn_multiplier::text AS "tierMultiplier"
       FROM account a JOIN member mb ON mb.id = a.member_id JOIN tier t ON t.id = mb.tier_id
      WHERE a.member_id = $1 FOR UPDATE OF a`,
    [memberId],
  );
  if (!wallet) throw notFound(field, 'member');
  return wallet;
}

export async function coalitionAccountId(m: EntityManager, kind: 'COALITION_REDEMPTION' | 'COALITION_BREAKAGE'): Promise<string> {
  return (await queryOne<{ id: string }>(m, `SELECT id FROM account WHERE kind = $1`, [kind]))!.id;
}

/**
 * Record a balance change for live subscribers, in the writer's transaction (relayed after
 * commit; see live/outbox-relay.ts). The payload is the balance as of this transaction, so a
 * subscriber replaying missed events sees each balance as it was.
 */
export async function announceBalance(m: EntityManager, memberId: string, partnerId: string | null, transactionId: string): Promise<void> {
  await query(
    m,
    `INSERT INTO outbox_event (topic, member_id, partner_id, payload)
     SELECT 'BALANCE_CHANGED', $1, $2, jsonb_build_object(
              'transactionId', $3::uuid, 'available', a.balance, 'lifetimeEarned', a.lifetime_earned, 'pending', a.pending,
              'qualifyingPoints', (SELECT coalesce(sum(t.qualifying_points), 0) FROM ledger_transaction t
                                    WHERE t.member_id = $1 AND t.created_at > now() - ${QUALIFYING_WINDOW}))
       FROM account a WHERE a.member_id = $1`,
    [memberId, partnerId, transactionId],
  );
}

export async function announceTierChange(m: EntityManager, memberId: string, fromTierId: string, toTierId: string, transactionId: string | null) {
  await query(m, `INSERT INTO outbox_event (topic, member_id, payload) VALUES ('TIER_CHANGED', $1, $2)`, [
    memberId,
    JSON.stringify({ fromTierId, toTierId, transactionId }),
  ]);
}
