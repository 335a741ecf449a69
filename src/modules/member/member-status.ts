// The one guard every points movement on a member asks (earn, redemption, payment at a till,
// transfer, merge, adjustment): may this member's points move? It judges the status read with
// the wallet lock (ledger/wallet.ts), so a blockMember that commits first is always seen, and one
// that waits for the lock sees the movement done. Reads never ask it: a blocked member's data is
// still readable.
import type { Tx } from '../../db/sql';
import { DomainError, ErrorCode } from '../../errors/domain-error';
import { Wallet, lockWallet } from '../ledger/wallet';
import { MemberStatus } from './member.entity';

/** Throws MEMBER_BLOCKED (blocked) or MEMBER_CLOSED (merged or erased), naming `field`; writes nothing. */
export function assertMemberMayMovePoints(wallet: Pick<Wallet, 'memberStatus'>, field: string): void {
  if (wallet.memberStatus === MemberStatus.ACTIVE) return;
  if (wallet.memberStatus === MemberStatus.BLOCKED) {
    throw new DomainError(ErrorCode.MEMBER_BLOCKED, `${field}: this member is blocked; its points cannot move until it is unblocked`, field);
  }
  throw new DomainError(ErrorCode.MEMBER_CLOSED, `${field}: this member's account is closed (${wallet.memberStatus})`, field, {
    status: wallet.memberStatus,
  });
}

/** Lock the member's wallet (or take the one this transaction holds) and apply the guard. */
export async function lockMovableWallet(m: Tx, memberId: string, field: string): Promise<Wallet> {
  const wallet = await lockWallet(m, memberId, field);
  assertMemberMayMovePoints(wallet, field);
  return wallet;
}
