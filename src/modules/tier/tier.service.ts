import type { Pool } from '../../db/sql';
import { Db, query, queryOne } from '../../db/sql';
import { TIER_COLUMNS, Tier } from './tier.entity';

export class TierService {
  constructor(private readonly db: Pool) {}

  async all(): Promise<Tier[]> {
    return query<Tier>(this.db, `SELECT ${TIER_COLUMNS} FROM tier ORDER BY rank`);
  }

  async base(db: Db = this.db): Promise<Tier> {
    return (await queryOne<Tier>(db, `SELECT ${TIER_COLUMNS} FROM tier ORDER BY rank LIMIT 1`))!;
  }

  /** The best tier a member with this many qualifying points has earned. */
  static tierFor(tiers: Tier[], qualifyingPoints: number): Tier {
    let best = tiers[0]!;
    for (const t of tiers) if (t.qualifyingPoints <= qualifyingPoints && t.rank > best.rank) best = t;
    return best;
  }

  /** The next tier above the given one, or null at the top. */
  static nextAbove(tiers: Tier[], rank: number): Tier | null {
    return tiers.filter((t) => t.rank > rank).sort((a, b) => a.rank - b.rank)[0] ?? null;
  }
}
