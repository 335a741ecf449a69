import type { Pool } from '../../db/sql';
import { badInput, notFound } from '../../errors/domain-error';
import { requireId } from '../../errors/ids';
import { Exact } from '../../money/decimal';
import { query, queryOne } from '../../db/sql';
import { publish } from '../../db/outbox';
import { withTransaction } from '../../db/transaction';
import { RATE_COLUMNS, ExchangeRate } from './exchange-rate.entity';
import { AuditAction, AuditActor, AuditTargetType, SYSTEM_ACTOR, recordAudit } from '../audit/audit-trail';

export interface SetExchangeRate {
  partnerId: string;
  earnRate: string;
  burnRate: string;
  effectiveFrom?: Date | null;
}

const MAX_RATE = new Exact('1000000');
const MAX_RATE_DECIMALS = 8;
// Clock skew allowance: "now" from a client may be a moment behind ours.
const PAST_TOLERANCE_MS = 60_000;

function validRate(value: string, field: string): string {
  const rate = new Exact(value);
  if (rate.lte(0)) throw badInput(field, 'must be greater than 0');
  if (rate.gt(MAX_RATE)) throw badInput(field, `must be at most ${MAX_RATE.toString()}`);
  if (rate.decimalPlaces() > MAX_RATE_DECIMALS) throw badInput(field, `at most ${MAX_RATE_DECIMALS} decimal places`);
  return rate.toString();
}

/** A version as the audit trail shows it. */
function rateValue(rate: ExchangeRate): Record<string, unknown> {
  return { version: rate.version, earnRate: rate.earnRate, burnRate: rate.burnRate, effectiveFrom: rate.effectiveFrom };
}

/**
 * Settlement values another issuer's points at that issuer's version created before the
 * transaction (settlement-facts.ts), and its rollup folds transactions into aggregates once. A
 * version still uncommitted when a rollup takes its snapshot would apply to transactions folded
 * without it, and the aggregates would disagree with the ledger for good. So a rate change holds
 * this lock shared from its first statement and stamps created_at after taking it; the rollup
 * takes it exclusively before its snapshot: it waits for versions in flight, and a version begun
 * during a rollup is stamped after everything that rollup folds.
 */
export const RATE_VERSIONS_LOCK = `hashtext('exchange_rate_versions')`;

export class ExchangeRateService {
  constructor(private readonly db: Pool) {}

  /** A new version; never an edit. Past versions stay exactly as they were used. */
  async set(input: SetExchangeRate, actor: AuditActor = SYSTEM_ACTOR): Promise<ExchangeRate> {
    const partnerId = requireId(input.partnerId, 'input.partnerId');
    const earnRate = validRate(input.earnRate, 'input.earnRate');
    const burnRate = validRate(input.burnRate, 'input.burnRate');
    const effectiveFrom = input.effectiveFrom ?? new Date();
    if (Number.isNaN(effectiveFrom.getTime())) throw badInput('input.effectiveFrom', 'not a valid date-time');
    if (effectiveFrom.getTime() < Date.now() - PAST_TOLERANCE_MS) {
      // Back-dating would re-price purchases already made under the old rate.
      throw badInput('input.effectiveFrom', 'cannot be in the past; rates apply from now or a future moment');
    }
    const rate = await withTransaction(this.db, async (m) => {
      // First, so the version's created_at below comes after any settlement rollup in progress.
      await query(m, `SELECT pg_advisory_xact_lock_shared(${RATE_VERSIONS_LOCK})`);
      // Serialises rate changes of one partner so versions are gap-free; admin-only, never hot.
      const partner = await queryOne(m, `SELECT id FROM partner WHERE id = $1 FOR UPDATE`, [partnerId]);
      if (!partner) throw notFound('input.partnerId', 'partner');
      const previous = await queryOne<ExchangeRate>(m, `SELECT ${RATE_COLUMNS} FROM exchange_rate WHERE partner_id = $1 ORDER BY version DESC LIMIT 1`, [
        partnerId,
      ]);
      const rate = (await queryOne<ExchangeRate>(
        m,
        `INSERT INTO exchange_rate (partner_id, version, earn_rate, burn_rate, effective_from, created_at)
         SELECT $1, coalesce(max(version), 0) + 1, $2, $3, $4, clock_timestamp() FROM exchange_rate WHERE partner_id = $1
         RETURNING ${RATE_COLUMNS}`,
        [partnerId, earnRate, burnRate, effectiveFrom],
      ))!;
      // Announces the new version now, effectiveFrom included (a future one is for frontends to schedule).
      await publish(m, { topic: 'EXCHANGE_RATE_CHANGED', partnerId, payload: { exchangeRateId: rate.id } });
      await recordAudit(m, {
        actor,
        action: AuditAction.EXCHANGE_RATE_SET,
        targetType: AuditTargetType.EXCHANGE_RATE,
        targetId: rate.id,
        partnerId,
        previous: previous ? rateValue(previous) : null,
        current: rateValue(rate),
      });
      return rate;
    });
    return rate;
  }

  /** The version in force now for each partner (latest effectiveFrom not in the future). */
  async currentFor(partnerIds: readonly string[]): Promise<ExchangeRate[]> {
    return query<ExchangeRate>(
      this.db,
      `SELECT DISTINCT ON (partner_id) ${RATE_COLUMNS} FROM exchange_rate
        WHERE partner_id = ANY($1::uuid[]) AND effective_from <= now()
        ORDER BY partner_id, effective_from DESC, version DESC`,
      [partnerIds],
    );
  }

  async byIds(ids: readonly string[]): Promise<ExchangeRate[]> {
    return query<ExchangeRate>(this.db, `SELECT ${RATE_COLUMNS} FROM exchange_rate WHERE id = ANY($1::uuid[])`, [ids]);
  }

  /** Every version, newest first (scheduled future versions included). */
  async historyFor(partnerIds: readonly string[]): Promise<ExchangeRate[]> {
    return query<ExchangeRate>(this.db, `SELECT ${RATE_COLUMNS} FROM exchange_rate WHERE partner_id = ANY($1::uuid[]) ORDER BY partner_id, version DESC`, [
      partnerIds,
    ]);
  }
}
