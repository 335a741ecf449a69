// The one place payWithPoints asks whether the member may spend at all: the member guard every
// points movement asks (member/member-status.ts), under the wallet lock it takes.
import type { Tx } from '../../db/sql';
import { lockMovableWallet } from '../member/member-status';

/** Throws when the member may not spend points (blocked, merged, erased); writes nothing either way. */
export async function assertMemberMaySpend(m: Tx, memberId: string, field: string): Promise<void> {
  await lockMovableWallet(m, memberId, field);
}
