// Challenges and badges. Progress is updated in the earn's own transaction by one upsert over
// every active challenge the purchase counts for (coalition-wide ones, and the earning partner's
// own), which also marks the ones it completes. A completion credits the bonus (source
// CHALLENGE: coalition-funded for a coalition challenge, partner-funded for a partner's),
// awards the badge and announces CHALLENGE_COMPLETED — all in that same transaction, so a
// member completes each challenge at most once per window (challenge_progress and badge are
// keyed by member, challenge and window).
//
// Windows: windowDays gives repeating windows of that many days counted from the challenge's
// creation; startsAt/endsAt give one window. A repeat purchase at a partner already counted does
// not advance DISTINCT_PARTNERS. SPEND_TOTAL counts purchase amounts in the challenge's currency.
import type { Pool, Tx } from '../../db/sql';
import { badInput, forbidden } from '../../errors/domain-error';
import { requireText } from '../../errors/text';
import { Exact } from '../../money/decimal';
import { query, queryOne } from '../../db/sql';
import { publish } from '../../db/outbox';
import { withTransaction } from '../../db/transaction';
import { AuditAction, AuditActor, AuditTargetType, auditActorOf, recordAudit } from '../audit/audit-trail';
import { Capability, requireActivePartnerOrStaff } from '../auth/policy';
import { Caller } from '../auth/viewer';
import { Funder, PointsSource } from '../earning/earning.types';
import { creditBonus } from '../lifecycle/bonus';
import { lockWallet } from '../ledger/wallet';
import type { CoalitionIssuer } from '../partner/coalition';
import { Badge, Challenge, ChallengeInput, ChallengeKind, ChallengeProgress } from './challenge.types';

const COLUMNS = `id, partner_id AS "partnerId", name, kind, target::text AS target, currency_code AS "currencyCode",
  window_days AS "windowDays", starts_at AS "startsAt", ends_at AS "endsAt", bonus_points AS "bonusPoints",
  badge_name AS "badgeName", active, created_at AS "createdAt"`;

// The start of the window `now()` falls in (NULL: outside a fixed window).
const WINDOW_START = `CASE WHEN c.window_days IS NULL THEN c.starts_at
  ELSE c.created_at + make_interval(days => c.window_days * floor(extract(epoch FROM now() - c.created_at) / (c.window_days * 86400.0))::int) END`;

const MAX_BONUS = 1_000_000;

export interface Purchase {
  memberId: string;
  partnerId: string;
  /** The earning partner as an issuer: it funds its own challenges' bonuses. */
  partnerIssuanceAccountId: string;
  amount: string;
  currencyCode: string;
}

export class ChallengeService {
  constructor(private readonly db: Pool) {}

  /** actor: who the audit trail names (start-up work such as the demo seed passes SYSTEM_ACTOR). */
  async create(caller: Caller, input: ChallengeInput, actor?: AuditActor): Promise<Challenge> {
    if (caller.kind === 'member') throw forbidden('Only staff (coalition-wide) and partners (their own) create challenges');
    const manager = requireActivePartnerOrStaff(caller, Capability.MANAGE_CATALOG);
    const partnerId = caller.kind === 'partner' ? caller.partnerId : null;
    const name = requireText(input.name.trim(), 'input.name');
    if (name.length < 1 || name.length > 255) throw badInput('input.name', 'must be 1 to 255 characters');
    const badgeName = requireText(input.badgeName.trim(), 'input.badgeName');
    if (badgeName.length < 1 || badgeName.length > 100) throw badInput('input.badgeName', 'must be 1 to 100 characters');
    const target = new Exact(input.target);
    if (target.lte(0) || target.gt('1e12')) throw badInput('input.target', 'must be greater than 0 (and at most 1000000000000)');
    if (input.kind !== ChallengeKind.SPEND_TOTAL && !target.isInteger()) throw badInput('input.target', 'must be a whole number for this kind');
    if (input.kind === ChallengeKind.DISTINCT_PARTNERS && partnerId)
      throw badInput('input.kind', "a partner's challenge counts only its own purchases: DISTINCT_PARTNERS is for coalition challenges");
    if (!Number.isInteger(input.bonusPoints) || input.bonusPoints < 0 || input.bonusPoints > MAX_BONUS) {
      throw badInput('input.bonusPoints', `must be a whole number from 0 to ${MAX_BONUS}`);
    }
    const windowDays = input.windowDays ?? null;
    const startsAt = input.startsAt ?? null;
    const endsAt = input.endsAt ?? null;
    if (windowDays !== null) {
      if (startsAt || endsAt) throw badInput('input.windowDays', 'give windowDays or startsAt and endsAt, not both');
      if (!Number.isInteger(windowDays) || windowDays < 1 || windowDays > 366) throw badInput('input.windowDays', 'must be 1 to 366 days');
    } else {
      if (!startsAt || !endsAt) throw badInput('input.windowDays', 'give windowDays, or both startsAt and endsAt');
      if (!(endsAt.getTime() > startsAt.getTime())) throw badInput('input.endsAt', 'must be after startsAt');
    }
    return withTransaction(this.db, async (m) => {
      let currencyCode: string | null = null;
      if (input.kind === ChallengeKind.SPEND_TOTAL) {
        const own = partnerId ? (await queryOne<{ c: string }>(m, `SELECT currency_code AS c FROM partner WHERE id = $1`, [partnerId]))?.c : null;
        currencyCode = (input.currencyCode?.trim().toUpperCase() || own) ?? null;
        if (!currencyCode || !/^[A-Z]{3}$/.test(currencyCode)) throw badInput('input.currencyCode', 'SPEND_TOTAL needs an ISO 4217 currency code');
        if (own && currencyCode !== own) throw badInput('input.currencyCode', `purchases here are in ${own}`);
      }
      const challenge = (await queryOne<Challenge>(
        m,
        `INSERT INTO challenge (partner_id, name, kind, target, currency_code, window_days, starts_at, ends_at, bonus_points, badge_name)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${COLUMNS}`,
        [partnerId, name, input.kind, target.toString(), currencyCode, windowDays, startsAt, endsAt, input.bonusPoints, badgeName],
      ))!;
      await recordAudit(m, {
        actor: actor ?? auditActorOf(manager),
        action: AuditAction.CHALLENGE_CREATED,
        targetType: AuditTargetType.CHALLENGE,
        targetId: challenge.id,
        partnerId,
        previous: null,
        current: { ...challenge },
      });
      return challenge;
    });
  }

  /** Active challenges open now: coalition-wide, or one partner's. */
  list(partnerId: string | null): Promise<Challenge[]> {
    return query<Challenge>(
      this.db,
      `SELECT ${COLUMNS} FROM challenge c WHERE active AND partner_id IS NOT DISTINCT FROM $1
          AND (window_days IS NOT NULL OR ends_at > now()) ORDER BY seq`,
      [partnerId],
    );
  }

  byIds(ids: readonly string[]): Promise<Challenge[]> {
    return query<Challenge>(this.db, `SELECT ${COLUMNS} FROM challenge WHERE id = ANY($1::uuid[])`, [ids]);
  }

  /** The member's progress, current windows first. partnerScope: only coalition challenges and that partner's. */
  progress(memberId: string, partnerScope: string | null = null): Promise<ChallengeProgress[]> {
    return query<ChallengeProgress>(
      this.db,
      `SELECT cp.challenge_id AS "challengeId", cp.progress::text AS progress, cp.target::text AS target, cp.window_start AS "windowStart",
              cp.completed_at AS "completedAt"
         FROM challenge_progress cp JOIN challenge c ON c.id = cp.challenge_id
        WHERE cp.member_id = $1 AND ($2::uuid IS NULL OR c.partner_id IS NULL OR c.partner_id = $2)
        ORDER BY cp.window_start DESC, cp.challenge_id`,
      [memberId, partnerScope],
    );
  }

  badges(memberId: string, partnerScope: string | null = null): Promise<Badge[]> {
    return query<Badge>(
      this.db,
      `SELECT b.challenge_id AS "challengeId", b.name, b.awarded_at AS "awardedAt", b.window_start AS "windowStart"
         FROM badge b JOIN challenge c ON c.id = b.challenge_id
        WHERE b.member_id = $1 AND ($2::uuid IS NULL OR c.partner_id IS NULL OR c.partner_id = $2)
        ORDER BY b.awarded_at DESC, b.challenge_id`,
      [memberId, partnerScope],
    );
  }
}

/**
 * In the earn's transaction, under the member's wallet lock: advance every challenge this
 * purchase counts for, and complete the ones it finishes.
 */
export async function trackChallenges(m: Tx, coalition: CoalitionIssuer, p: Purchase): Promise<void> {
  const completed = await query<{ challengeId: string; partnerId: string | null; windowStart: Date; bonusPoints: number; badgeName: string }>(
    m,
    `WITH ch AS (
       SELECT c.id, c.kind, c.target, ${WINDOW_START} AS window_start
         FROM challenge c
        WHERE c.active AND (c.partner_id IS NULL OR c.partner_id = $2)
          AND (c.window_days IS NOT NULL OR (now() >= c.starts_at AND now() < c.ends_at))
          AND (c.kind <> 'SPEND_TOTAL' OR c.currency_code = $4)),
     up AS (
       INSERT INTO challenge_progress AS cp (member_id, challenge_id, window_start, kind, target, progress, partners, completed_at)
       SELECT $1, ch.id, ch.window_start, ch.kind, ch.target, x.step, ARRAY[$2::uuid], CASE WHEN x.step >= ch.target THEN now() END
         FROM ch, LATERAL (SELECT CASE ch.kind WHEN 'SPEND_TOTAL' THEN $3::numeric ELSE 1 END AS step) x
       ON CONFLICT (member_id, challenge_id, window_start) DO UPDATE SET
         partners = CASE WHEN $2::uuid = ANY(cp.partners) THEN cp.partners ELSE cp.partners || $2::uuid END,
         progress = CASE cp.kind
                      WHEN 'DISTINCT_PARTNERS' THEN cardinality(cp.partners) + CASE WHEN $2::uuid = ANY(cp.partners) THEN 0 ELSE 1 END
                      ELSE cp.progress + EXCLUDED.progress END,
         completed_at = CASE WHEN (CASE cp.kind
                      WHEN 'DISTINCT_PARTNERS' THEN cardinality(cp.partners) + CASE WHEN $2::uuid = ANY(cp.partners) THEN 0 ELSE 1 END
                      ELSE cp.progress + EXCLUDED.progress END) >= cp.target THEN now() END,
         updated_at = now()
       WHERE cp.completed_at IS NULL
       RETURNING cp.challenge_id, cp.window_start, cp.completed_at)
     SELECT up.challenge_id AS "challengeId", c.partner_id AS "partnerId", up.window_start AS "windowStart",
            c.bonus_points AS "bonusPoints", c.badge_name AS "badgeName"
       FROM up JOIN challenge c ON c.id = up.challenge_id WHERE up.completed_at IS NOT NULL`,
    [p.memberId, p.partnerId, p.amount, p.currencyCode],
  );
  for (const c of completed) await completeChallenge(m, coalition, p, c);
}

async function completeChallenge(
  m: Tx,
  coalition: CoalitionIssuer,
  p: Purchase,
  c: { challengeId: string; partnerId: string | null; windowStart: Date; bonusPoints: number; badgeName: string },
): Promise<void> {
  let transactionId: string | null = null;
  if (c.bonusPoints > 0) {
    const issuer = c.partnerId ? { partnerId: p.partnerId, issuanceAccountId: p.partnerIssuanceAccountId } : coalition;
    // The earn's own wallet (lockWallet returns the one this transaction holds).
    const wallet = await lockWallet(m, p.memberId);
    transactionId = await creditBonus(m, issuer, wallet, {
      source: PointsSource.CHALLENGE,
      points: c.bonusPoints,
      ruleId: c.challengeId,
      reason: `challenge completed: ${c.badgeName}`,
      funder: c.partnerId ? Funder.PARTNER : Funder.COALITION,
    });
  }
  const badge = await queryOne<{ awardedAt: Date }>(
    m,
    `INSERT INTO badge (member_id, challenge_id, window_start, name, transaction_id) VALUES ($1, $2, $3, $4, $5)
     RETURNING awarded_at AS "awardedAt"`,
    [p.memberId, c.challengeId, c.windowStart, c.badgeName, transactionId],
  );
  await publish(m, {
    topic: 'CHALLENGE_COMPLETED',
    memberId: p.memberId,
    partnerId: c.partnerId,
    payload: {
      challengeId: c.challengeId,
      windowStart: c.windowStart,
      transactionId,
      badgeName: c.badgeName,
      bonusPoints: c.bonusPoints,
      completedAt: badge!.awardedAt,
    },
  });
}
