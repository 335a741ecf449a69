// Operators edit the tier ladder (upsertTier): program managers (MANAGE_CATALOG), each change
// audited with the tier as it was. The ladder stays ordered — a higher rank always needs strictly
// more qualifying points — and its lowest tier needs 0, so every member always has a tier it
// qualifies for. Edits are serialised (an advisory lock) and checked on the ladder as it will be.
// Members move on their next earn (upgrades) or the next evaluation (downgrades), not here.
import type { Pool } from '../../db/sql';
import { badInput, notFound } from '../../errors/domain-error';
import { requireId } from '../../errors/ids';
import { requireText } from '../../errors/text';
import { Exact } from '../../money/decimal';
import { query, queryOne } from '../../db/sql';
import { withTransaction } from '../../db/transaction';
import { markEveryTierReviewDueToday } from '../ledger/qualifying';
import { AuditAction, AuditTargetType, auditActorOf, recordAudit } from '../audit/audit-trail';
import { Capability, requireStaff } from '../auth/policy';
import type { Caller } from '../auth/viewer';
import { MAX_POINTS_PER_TRANSACTION } from '../ledger/transaction-limit';
import { TIER_COLUMNS, Tier, TierInput } from './tier.entity';

const MAX_TIERS = 20;
const MAX_THRESHOLD = 1_000 * MAX_POINTS_PER_TRANSACTION;

/** The ladder with `tier` put in (or replaced): ordered, the lowest at 0; throws naming the field. */
export function checkLadder(ladder: readonly Tier[], tier: Tier): Tier[] {
  const next = [...ladder.filter((t) => t.id !== tier.id), tier].sort((a, b) => a.rank - b.rank);
  if (next.some((t) => t.id !== tier.id && t.rank === tier.rank)) throw badInput('input.rank', `rank ${tier.rank} is taken by another tier`);
  if (next.some((t) => t.id !== tier.id && t.name.toLowerCase() === tier.name.toLowerCase())) throw badInput('input.name', `"${tier.name}" is taken`);
  if (next.length > MAX_TIERS) throw badInput('input.rank', `a ladder has at most ${MAX_TIERS} tiers`);
  if (next[0]!.qualifyingPoints !== 0) {
    throw badInput('input.qualifyingPoints', "the lowest tier's threshold must be 0 (every member holds at least it)");
  }
  for (let i = 1; i < next.length; i++) {
    if (next[i]!.qualifyingPoints <= next[i - 1]!.qualifyingPoints) {
      const [lower, higher] = [next[i - 1]!, next[i]!];
      throw badInput(
        'input.qualifyingPoints',
        `the ladder must stay ordered: ${higher.name} (rank ${higher.rank}) needs more than ${lower.name} (rank ${lower.rank}, ${lower.qualifyingPoints} points)`,
      );
    }
  }
  return next;
}

export class TierLadderService {
  constructor(private readonly db: Pool) {}

  async upsert(caller: Caller, input: TierInput): Promise<Tier> {
    const staff = requireStaff(caller, Capability.MANAGE_CATALOG);
    const id = input.id ? requireId(input.id, 'input.id') : null;
    const name = requireText(input.name.trim(), 'input.name');
    if (name.length < 1 || name.length > 64) throw badInput('input.name', 'must be 1 to 64 characters');
    if (!Number.isInteger(input.rank) || input.rank < 0 || input.rank > 100) throw badInput('input.rank', 'must be a whole number from 0 to 100');
    if (!Number.isInteger(input.qualifyingPoints) || input.qualifyingPoints < 0 || input.qualifyingPoints > MAX_THRESHOLD) {
      throw badInput('input.qualifyingPoints', `must be a whole number from 0 to ${MAX_THRESHOLD}`);
    }
    const multiplier = new Exact(input.earnMultiplier);
    if (multiplier.lte(0) || multiplier.gt(10) || multiplier.decimalPlaces() > 4) {
      throw badInput('input.earnMultiplier', 'must be above 0 and at most 10, with at most 4 decimal places');
    }
    return withTransaction(this.db, async (m) => {
      await query(m, `SELECT pg_advisory_xact_lock(hashtext('tier_ladder'))`);
      const ladder = await query<Tier>(m, `SELECT ${TIER_COLUMNS} FROM tier ORDER BY rank`);
      const previous = id ? ladder.find((t) => t.id === id) : undefined;
      if (id && !previous) throw notFound('input.id', 'tier');
      const proposed: Tier = { id: id ?? '', name, rank: input.rank, qualifyingPoints: input.qualifyingPoints, earnMultiplier: multiplier.toString() };
      checkLadder(ladder, proposed);
      const values = [name, input.rank, input.qualifyingPoints, proposed.earnMultiplier];
      const tier = (
        id
          ? await queryOne<Tier>(
              m,
              `UPDATE tier SET name = $2, rank = $3, qualifying_points = $4, earn_multiplier = $5 WHERE id = $1 RETURNING ${TIER_COLUMNS}`,
              [id, ...values],
            )
          : await queryOne<Tier>(
              m,
              `INSERT INTO tier (name, rank, qualifying_points, earn_multiplier) VALUES ($1, $2, $3, $4) RETURNING ${TIER_COLUMNS}`,
              values,
            )
      )!;
      // What each member qualifies for may have changed: every member above the lowest tier is reviewed by the next run.
      await markEveryTierReviewDueToday(m);
      await recordAudit(m, {
        actor: auditActorOf(staff),
        action: id ? AuditAction.TIER_CHANGED : AuditAction.TIER_CREATED,
        targetType: AuditTargetType.TIER,
        targetId: tier.id,
        partnerId: null,
        previous: previous ? { ...previous } : null,
        current: { ...tier },
      });
      return tier;
    });
  }
}
