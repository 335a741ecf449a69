// Redemption codes at the honouring partner's till: look a code up, and use it once. Only the
// partner whose reward it is (or an admin) finds a code; for anyone else it does not exist, so
// codes cannot be probed. Fulfilment locks the redemption row: of any number of tills racing on
// one code exactly one fulfils it, and a cancellation or expiry (which lock the wallet, then the
// row) either happened first — the code is no longer ACTIVE — or waits and then finds it used.
import type { Pool } from '../../db/sql';
import { badInput, notFound } from '../../errors/domain-error';
import { queryOne } from '../../db/sql';
import { withTransaction } from '../../db/transaction';
import { publish } from '../../db/outbox';
import { Capability, canHonourRedemption, requireActivePartnerOrStaff } from '../auth/policy';
import { Caller, Viewer, callerScope } from '../auth/viewer';
import { claimKey, recordResult, requestHash, validKey } from '../ledger/idempotency';
import { normalizeRedemptionCode } from './redemption-code';
import { REDEMPTION_COLUMNS, Redemption, RedemptionStatus } from './redemption.entity';
import { redemptionNotActive } from './redemption-return';

const MAX_CODE_LENGTH = 64;

function validCode(code: string): string {
  if (code.length > MAX_CODE_LENGTH) throw badInput('code', `at most ${MAX_CODE_LENGTH} characters`);
  const key = normalizeRedemptionCode(code);
  if (key.length === 0) throw badInput('code', 'must not be empty');
  return key;
}

const BY_CODE = `SELECT ${REDEMPTION_COLUMNS} FROM redemption WHERE replace(code, '-', '') = $1`;

export class RedemptionTillService {
  constructor(private readonly db: Pool) {}

  /** The redemption behind a code, for its reward's partner or staff; null for anyone else. */
  async byCode(viewer: Viewer, code: string): Promise<Redemption | null> {
    const found = await queryOne<Redemption>(this.db, BY_CODE, [validCode(code)]);
    return found && canHonourRedemption(viewer, found.partnerId) ? found : null;
  }

  /** Use a code once: ACTIVE → FULFILLED, announced as REDEMPTION_FULFILLED. */
  async fulfil(caller: Caller, code: string, idempotencyKey: string): Promise<Redemption> {
    requireActivePartnerOrStaff(caller, Capability.SERVE_MEMBERS);
    const key = validKey(idempotencyKey, 'idempotencyKey');
    const codeKey = validCode(code);
    const hash = requestHash('fulfillRedemption', { code: codeKey });
    return withTransaction(this.db, async (m) => {
      const claim = await claimKey(m, callerScope(caller), key, 'fulfillRedemption', hash);
      if (claim.replay) return (await queryOne<Redemption>(m, `SELECT ${REDEMPTION_COLUMNS} FROM redemption WHERE id = $1`, [claim.resultId]))!;

      const found = await queryOne<Redemption>(m, `${BY_CODE} FOR UPDATE`, [codeKey]);
      // Another partner's code answers exactly like an unknown one.
      if (!found || !canHonourRedemption(caller, found.partnerId)) throw notFound('code', 'redemption');
      if (found.status !== RedemptionStatus.ACTIVE) throw redemptionNotActive(found.status, 'code', 'fulfilled');
      const fulfilled = (await queryOne<Redemption>(
        m,
        `UPDATE redemption SET status = 'FULFILLED', fulfilled_at = now() WHERE id = $1 RETURNING ${REDEMPTION_COLUMNS}`,
        [found.id],
      ))!;
      await publish(m, {
        topic: 'REDEMPTION_FULFILLED',
        memberId: fulfilled.memberId,
        partnerId: fulfilled.partnerId,
        payload: {
          redemptionId: fulfilled.id,
          rewardId: fulfilled.rewardId,
          quantity: fulfilled.quantity,
          pointsSpent: fulfilled.pointsSpent,
          fulfilledAt: fulfilled.fulfilledAt!,
        },
      });
      await recordResult(m, callerScope(caller), key, fulfilled.id);
      return fulfilled;
    });
  }
}
