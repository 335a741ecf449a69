// The one place payWithPoints asks whether the member may spend at all. Member blocking
// (MEMBER_BLOCKED) is built in parallel; when it lands, this check calls it, and nothing else in
// the payment path changes.
import type { Tx } from '../../db/sql';

/** Throws when the member may not spend points (blocked); writes nothing either way. */
export async function assertMemberMaySpend(_m: Tx, _memberId: string, _field: string): Promise<void> {
  // Intentionally empty until member blocking is merged (see the module comment).
}
