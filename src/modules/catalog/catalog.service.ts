import type { Pool, Tx } from '../../db/sql';
import { badInput, forbidden, notFound } from '../../errors/domain-error';
import { requireId } from '../../errors/ids';
import { Db, query, queryOne } from '../../db/sql';
import { withTransaction } from '../../db/transaction';
import { requireText } from '../../errors/text';
import { Page, decodeCursor, lazyCount, pageSize, toPage } from '../../db/pagination';
import type { Caller, Viewer } from '../auth/viewer';
import { Capability, actingPartnerId, requireMemberAccess } from '../auth/policy';
import { REWARD_COLUMNS, Reward } from './reward.entity';
import { MAX_SEARCH_LENGTH, RewardFieldsInput, containsPattern, validRewardFields } from './reward-rules';
import { AuditAction, AuditActor, AuditTargetType, auditActorOf, recordAudit } from '../audit/audit-trail';

export interface UpsertReward extends RewardFieldsInput {
  id?: string | null;
  partnerId?: string | null;
}

export interface CatalogFilter {
  partnerId?: string | null;
  category?: string | null;
  maxPointsCost?: number | null;
  affordableFor?: string | null;
  search?: string | null;
}

type Manager = Extract<Caller, { kind: 'staff' | 'partner' }>;

// A reward is listed publicly while it is active and its partner is not suspended.
const LISTED = `active AND EXISTS (SELECT 1 FROM partner p WHERE p.id = reward.partner_id AND p.status = 'ACTIVE')`;

/**
 * The catalog's conditions for the filters given, and their parameters. Only the filters present
 * go into the statement (a few texts, each planned for what it filters on), so each can use its
 * index — the trigram index for search, (partner, seq), (lower(category), seq), (cost, seq) —
 * where one text with "($n IS NULL OR …)" for every filter gets a generic plan that reads them all.
 * Patterns escape with \.
 */
function catalogWhere(f: {
  partnerId: string | null;
  category: string | null;
  maxCost: number | null;
  pattern: string | null;
  tierRank: number | null;
  inStock: boolean;
}) {
  const params: unknown[] = [];
  const conditions = [LISTED];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  if (f.partnerId !== null) conditions.push(`partner_id = ${param(f.partnerId)}::uuid`);
  if (f.category !== null) conditions.push(`lower(category) = lower(${param(f.category)}::text)`);
  if (f.maxCost !== null) conditions.push(`points_cost <= ${param(f.maxCost)}::bigint`);
  if (f.pattern !== null) {
    const p = param(f.pattern);
    conditions.push(`(name ILIKE ${p}::text ESCAPE '\\' OR description ILIKE ${p}::text ESCAPE '\\')`);
  }
  if (f.tierRank !== null) conditions.push(`(min_tier_id IS NULL OR (SELECT t.rank FROM tier t WHERE t.id = reward.min_tier_id) <= ${param(f.tierRank)}::int)`);
  if (f.inStock) conditions.push(`(stock IS NULL OR stock > 0)`);
  return { where: conditions.join(' AND '), params };
}

export class CatalogService {
  constructor(private readonly db: Pool) {}

  async byIds(ids: readonly string[]): Promise<Reward[]> {
    return query<Reward>(this.db, `SELECT ${REWARD_COLUMNS} FROM reward WHERE id = ANY($1::uuid[])`, [ids]);
  }

  /** No id: a new reward for the acting partner. With id: replace that reward's fields (its owner or an admin). */
  /** `actor`: who the audit trail names; the caller unless start-up work (the demo seed) says SYSTEM. */
  async upsert(caller: Manager, input: UpsertReward, outer?: Tx, actor: AuditActor = auditActorOf(caller)): Promise<Reward> {
    const id = input.id == null ? null : requireId(input.id, 'input.id');
    // A partner key acts only as itself (FORBIDDEN otherwise) and not while suspended.
    const partnerId =
      id === null || caller.kind === 'partner' ? requireId(actingPartnerId(caller, Capability.MANAGE_CATALOG, input.partnerId), 'input.partnerId') : null;
    const fields = validRewardFields(input);
    return withTransaction(
      this.db,
      async (m) => {
        if (fields.minTierId) await this.requireTier(m, fields.minTierId);
        if (id === null) {
          if (!(await queryOne(m, `SELECT 1 FROM partner WHERE id = $1`, [partnerId]))) throw notFound('input.partnerId', 'partner');
          const created = (await queryOne<Reward>(
            m,
            `INSERT INTO reward (partner_id, name, description, category, points_cost, stock, min_tier_id, active, valid_days)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${REWARD_COLUMNS}`,
            [
              partnerId,
              fields.name,
              fields.description ?? null,
              fields.category ?? null,
              fields.pointsCost,
              fields.stock ?? null,
              fields.minTierId ?? null,
              fields.active,
              fields.validDays ?? null,
            ],
          ))!;
          await recordAudit(m, { ...rewardAudit(actor, AuditAction.REWARD_CREATED, created), previous: null });
          return created;
        }
        // Locked so a concurrent redemption's stock decrement is not overwritten by a stale read.
        const current = await queryOne<Reward>(m, `SELECT ${REWARD_COLUMNS} FROM reward WHERE id = $1 FOR UPDATE`, [id]);
        if (!current) throw notFound('input.id', 'reward');
        if (caller.kind === 'partner' && current.partnerId !== partnerId) throw forbidden('A partner may only change its own rewards', 'input.id');
        if (caller.kind === 'staff' && input.partnerId != null && input.partnerId.toLowerCase() !== current.partnerId) {
          throw badInput('input.partnerId', 'a reward stays with its partner: omit it or name the partner that owns the reward');
        }
        const updated = (await queryOne<Reward>(
          m,
          `UPDATE reward SET name = $2, description = $3, category = $4, points_cost = $5, stock = $6, min_tier_id = $7,
                  active = $8, valid_days = $9, updated_at = now()
            WHERE id = $1 RETURNING ${REWARD_COLUMNS}`,
          [
            id,
            fields.name,
            keep(fields.description, current.description),
            keep(fields.category, current.category),
            fields.pointsCost,
            keep(fields.stock, current.stock),
            keep(fields.minTierId, current.minTierId),
            fields.active,
            keep(fields.validDays, current.validDays),
          ],
        ))!;
        await recordAudit(m, { ...rewardAudit(actor, AuditAction.REWARD_CHANGED, updated), previous: rewardValue(current) });
        return updated;
      },
      outer,
    );
  }

  /** Listed rewards of active partners, oldest first (seq), so a new reward lands after every page already read. */
  async catalog(viewer: Viewer, filter: CatalogFilter | null | undefined, first?: number, after?: string): Promise<Page<Reward>> {
    const f = filter ?? {};
    const partnerId = f.partnerId == null ? null : requireId(f.partnerId, 'filter.partnerId');
    const category = f.category?.trim() || null;
    if (f.maxPointsCost != null && f.maxPointsCost < 0) throw badInput('filter.maxPointsCost', 'must be 0 or more');
    const search = f.search ? requireText(f.search.trim(), 'filter.search') || null : null;
    if (search && search.length > MAX_SEARCH_LENGTH) throw badInput('filter.search', `must be at most ${MAX_SEARCH_LENGTH} characters`);
    let maxCost = f.maxPointsCost ?? null;
    // affordableFor: what that member could redeem now — within its balance and tier, in stock.
    let tierRank: number | null = null;
    if (f.affordableFor != null) {
      const memberId = requireId(f.affordableFor, 'filter.affordableFor');
      requireMemberAccess(viewer, memberId);
      const member = await this.redeemerOf(this.db, memberId);
      maxCost = maxCost === null ? member.balance : Math.min(maxCost, member.balance);
      tierRank = member.tierRank;
    }
    const { where, params } = catalogWhere({
      partnerId,
      category,
      maxCost,
      pattern: search && containsPattern(search),
      tierRank,
      inStock: f.affordableFor != null,
    });
    return this.page(where, params, first, after);
  }

  /** One partner's rewards: what the public sees, or (for the partner itself and admins) all of them. */
  async forPartner(partnerId: string, includeUnlisted: boolean, first?: number, after?: string): Promise<Page<Reward>> {
    return this.page(`partner_id = $1 AND ($2::boolean OR (${LISTED}))`, [partnerId, includeUnlisted], first, after);
  }

  private async page(where: string, params: unknown[], first?: number, after?: string): Promise<Page<Reward>> {
    const size = pageSize(first);
    const afterSeq = decodeCursor('reward', after) ?? 0;
    const n = params.length;
    const rows = await query<Reward>(this.db, `SELECT ${REWARD_COLUMNS} FROM reward WHERE ${where} AND seq > $${n + 1} ORDER BY seq LIMIT $${n + 2}`, [
      ...params,
      afterSeq,
      size + 1,
    ]);
    // Counting the whole filtered catalog is the one part that grows with it: only when asked for.
    const total = lazyCount(async () => (await queryOne<{ count: number }>(this.db, `SELECT count(*) AS count FROM reward WHERE ${where}`, params))!.count);
    return toPage('reward', rows, size, total);
  }

  private async redeemerOf(db: Db, memberId: string): Promise<{ balance: number; tierRank: number }> {
    const member = await queryOne<{ balance: number; tierRank: number }>(
      db,
      `SELECT a.balance, t.rank AS "tierRank"
         FROM account a JOIN member m ON m.id = a.member_id JOIN tier t ON t.id = m.tier_id
        WHERE a.member_id = $1`,
      [memberId],
    );
    if (!member) throw notFound('filter.affordableFor', 'member');
    return member;
  }

  private async requireTier(db: Db, tierId: string): Promise<void> {
    if (!(await queryOne(db, `SELECT 1 FROM tier WHERE id = $1`, [tierId]))) throw notFound('input.minTierId', 'tier');
  }
}

/** A reward's configuration as the audit trail shows it (stock moves with redemptions too; this is the value set). */
function rewardValue(r: Reward): Record<string, unknown> {
  return {
    name: r.name,
    description: r.description,
    category: r.category,
    pointsCost: r.pointsCost,
    stock: r.stock,
    minTierId: r.minTierId,
    validDays: r.validDays,
    active: r.active,
  };
}

function rewardAudit(actor: AuditActor, action: AuditAction, reward: Reward) {
  return {
    actor,
    action,
    targetType: AuditTargetType.REWARD,
    targetId: reward.id,
    partnerId: reward.partnerId,
    current: rewardValue(reward),
  };
}

/** undefined in an update means "leave it as it is"; null clears it. */
function keep<T>(given: T | null | undefined, current: T | null): T | null {
  return given === undefined ? current : given;
}
