// Tiers an operator can change: ladder edits (ordered, lowest at 0, audited) and each downgrade
// policy of the evaluation job on a clock the test chooses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLogDocument, ReverseTransactionDocument, SetTierPolicyDocument, TiersDocument, UpsertTierDocument } from './generated/graphql';
import { startTestGateway, TestGateway } from './support/gateway';
import { earn, newMember, newPartner, newStaff, TestPartner, uniq } from './support/factories';
import { evaluateTiers } from '../src/modules/tier/tier-evaluation';

let gw: TestGateway;
let shop: TestPartner;
beforeAll(async () => {
  gw = await startTestGateway();
  shop = await newPartner(gw);
});
afterAll(() => gw?.stop());

const tierId = async (name: string) => (await gw.sql<{ id: string }>(`SELECT id FROM tier WHERE name = $1`, [name]))[0]!.id;
const tierOf = async (memberId: string) =>
  (await gw.sql<{ name: string }>(`SELECT t.name FROM member m JOIN tier t ON t.id = m.tier_id WHERE m.id = $1`, [memberId]))[0]!.name;

/** A member of `tier` whose qualifying points were earned on the given UTC days. */
async function memberWith(tier: string, buckets: [string, number][]): Promise<string> {
  const m = await newMember(gw, shop);
  await gw.sql(`UPDATE member SET tier_id = $2 WHERE id = $1`, [m.id, await tierId(tier)]);
  for (const [day, points] of buckets) await gw.sql(`INSERT INTO qualifying_points_day (member_id, day, points) VALUES ($1, $2, $3)`, [m.id, day, points]);
  return m.id;
}

async function policy(p: 'ROLLING_12_MONTHS' | 'CALENDAR_YEAR' | 'NEVER', oneStep = false) {
  await gw.ok(SetTierPolicyDocument, { policy: p, oneStep }, gw.adminToken);
}

describe('the rolling policy on the real clock: only the members due are read', () => {
  it('a refund that takes the qualifying points back makes the member due; the run moves it down and sets its next review', async () => {
    await policy('ROLLING_12_MONTHS');
    const [silver] = await gw.sql<{ points: number }>(`SELECT qualifying_points AS points FROM tier WHERE name = 'Silver'`);
    const m = await newMember(gw, shop);
    const bought = await earn(gw, shop, m, String(silver!.points + 10));
    expect(await tierOf(m.id)).toBe('Silver');
    // Not due before the refund: its review day lies a year ahead.
    await evaluateTiers(gw.db, gw.services.tiers);
    expect(await tierOf(m.id)).toBe('Silver');
    await gw.ok(ReverseTransactionDocument, { input: { transactionId: bought.id, idempotencyKey: uniq('refund') } }, shop.apiKey);
    const [due] = await gw.sql<{ due: boolean }>(`SELECT tier_review_at <= (now() AT TIME ZONE 'UTC')::date AS due FROM member WHERE id = $1`, [m.id]);
    expect(due!.due).toBe(true);
    const run = await evaluateTiers(gw.db, gw.services.tiers);
    expect(run.downgraded).toBeGreaterThanOrEqual(1);
    expect(await tierOf(m.id)).toBe('Bronze');
    // On the lowest tier there is nothing to review.
    expect(await gw.sql(`SELECT tier_review_at FROM member WHERE id = $1`, [m.id])).toEqual([{ tier_review_at: null }]);
  });

  it('a policy change makes every member above the lowest tier due for review today', async () => {
    await policy('ROLLING_12_MONTHS');
    const gold = await memberWith('Gold', []);
    await gw.sql(`UPDATE member SET tier_review_at = '2099-01-01' WHERE id = $1`, [gold]);
    await policy('ROLLING_12_MONTHS', true);
    const [due] = await gw.sql<{ due: boolean }>(`SELECT tier_review_at = (now() AT TIME ZONE 'UTC')::date AS due FROM member WHERE id = $1`, [gold]);
    expect(due!.due).toBe(true);
    await policy('ROLLING_12_MONTHS');
  });
});

describe('downgrade policies (evaluated on an injected clock)', () => {
  it('ROLLING_12_MONTHS: what was earned in the last 12 months', async () => {
    await policy('ROLLING_12_MONTHS');
    const gold = await memberWith('Gold', [['2025-03-01', 25_000]]);
    const silver = await memberWith('Gold', [['2025-03-01', 6_000]]);
    await evaluateTiers(gw.db, gw.services.tiers, new Date('2026-01-15T12:00:00Z'));
    expect([await tierOf(gold), await tierOf(silver)]).toEqual(['Gold', 'Silver']);
    await evaluateTiers(gw.db, gw.services.tiers, new Date('2026-03-02T00:00:00Z'));
    expect([await tierOf(gold), await tierOf(silver)]).toEqual(['Bronze', 'Bronze']);
  });

  it('CALENDAR_YEAR: the better of this and last calendar year', async () => {
    await policy('CALENDAR_YEAR');
    const gold = await memberWith('Gold', [['2025-03-01', 25_000]]);
    // All of 2026 counts under CALENDAR_YEAR, though a rolling window in December 2027 would miss it.
    await evaluateTiers(gw.db, gw.services.tiers, new Date('2026-12-31T23:00:00Z'));
    expect(await tierOf(gold)).toBe('Gold');
    await gw.sql(`INSERT INTO qualifying_points_day (member_id, day, points) VALUES ($1, '2026-01-02', 21000)`, [gold]);
    await evaluateTiers(gw.db, gw.services.tiers, new Date('2027-12-31T00:00:00Z'));
    expect(await tierOf(gold)).toBe('Gold');
    await evaluateTiers(gw.db, gw.services.tiers, new Date('2028-01-01T00:00:00Z'));
    expect(await tierOf(gold)).toBe('Bronze');
  });

  it('NEVER: nobody falls', async () => {
    await policy('NEVER');
    const gold = await memberWith('Gold', []);
    expect(await evaluateTiers(gw.db, gw.services.tiers, new Date('2030-01-01T00:00:00Z'))).toEqual({ ran: true, downgraded: 0 });
    expect(await tierOf(gold)).toBe('Gold');
  });

  it('tierDowngradeOneStep: one tier per evaluation', async () => {
    await policy('ROLLING_12_MONTHS', true);
    const gold = await memberWith('Gold', []);
    await evaluateTiers(gw.db, gw.services.tiers, new Date('2030-01-01T00:00:00Z'));
    expect(await tierOf(gold)).toBe('Silver');
    await evaluateTiers(gw.db, gw.services.tiers, new Date('2030-01-02T00:00:00Z'));
    expect(await tierOf(gold)).toBe('Bronze');
    // Qualifying for Silver from Gold: one step lands there, no further.
    const nearly = await memberWith('Gold', [['2029-12-01', 6_000]]);
    await evaluateTiers(gw.db, gw.services.tiers, new Date('2030-01-01T00:00:00Z'));
    expect(await tierOf(nearly)).toBe('Silver');
    await policy('ROLLING_12_MONTHS', false);
  });
});

describe('upsertTier', () => {
  it('program managers add and change tiers; the ladder stays ordered with its lowest at 0; every edit is audited', async () => {
    const manager = await newStaff(gw, ['PROGRAM_MANAGER']);
    const { upsertTier: platinum } = await gw.ok(
      UpsertTierDocument,
      { input: { name: 'Platinum', rank: 3, qualifyingPoints: 50_000, earnMultiplier: '2.00' } },
      manager.token,
    );
    expect(platinum).toMatchObject({ name: 'Platinum', rank: 3, qualifyingPoints: 50_000, earnMultiplier: '2' });
    const { upsertTier: silver } = await gw.ok(
      UpsertTierDocument,
      { input: { id: await tierId('Silver'), name: 'Silver', rank: 1, qualifyingPoints: 4_000, earnMultiplier: '1.3' } },
      manager.token,
    );
    expect(silver).toMatchObject({ qualifyingPoints: 4_000, earnMultiplier: '1.3' });
    expect((await gw.ok(TiersDocument, {}, null)).tiers.map((t) => [t.name, t.rank, t.qualifyingPoints])).toEqual([
      ['Bronze', 0, 0],
      ['Silver', 1, 4_000],
      ['Gold', 2, 20_000],
      ['Platinum', 3, 50_000],
    ]);
    const { auditLog } = await gw.ok(AuditLogDocument, { filter: { action: 'TIER_CHANGED' }, first: 5 }, gw.adminToken);
    expect(auditLog.edges[0]!.node).toMatchObject({ targetType: 'TIER', targetId: silver.id });
    expect(auditLog.edges[0]!.node.previousValue).toMatchObject({ qualifyingPoints: 5_000, earnMultiplier: '1.25' });
    expect(auditLog.edges[0]!.node.newValue).toMatchObject({ qualifyingPoints: 4_000, earnMultiplier: '1.3' });

    const before = await gw.sql(`SELECT * FROM tier ORDER BY rank`);
    for (const [input, field] of [
      [{ name: 'Diamond', rank: 4, qualifyingPoints: 40_000, earnMultiplier: '3' }, 'input.qualifyingPoints'], // below Platinum's
      [{ name: 'Diamond', rank: 3, qualifyingPoints: 90_000, earnMultiplier: '3' }, 'input.rank'], // rank taken
      [{ name: 'gold', rank: 4, qualifyingPoints: 90_000, earnMultiplier: '3' }, 'input.name'], // name taken
      [{ id: await tierId('Bronze'), name: 'Bronze', rank: 0, qualifyingPoints: 10, earnMultiplier: '1' }, 'input.qualifyingPoints'], // lowest must be 0
      [{ name: 'Wood', rank: 0, qualifyingPoints: 0, earnMultiplier: '1' }, 'input.rank'],
      [{ id: await tierId('Gold'), name: 'Gold', rank: 5, qualifyingPoints: 1_000, earnMultiplier: '1.5' }, 'input.qualifyingPoints'], // Gold above Platinum with fewer points
      [{ name: 'Diamond', rank: 4, qualifyingPoints: 90_000, earnMultiplier: '0' }, 'input.earnMultiplier'],
      [{ name: 'Diamond', rank: 4, qualifyingPoints: 90_000, earnMultiplier: '1.23456' }, 'input.earnMultiplier'],
      [{ name: ' ', rank: 4, qualifyingPoints: 90_000, earnMultiplier: '3' }, 'input.name'],
      [{ name: 'Diamond', rank: -1, qualifyingPoints: 90_000, earnMultiplier: '3' }, 'input.rank'],
    ] as const) {
      const r = await gw.gql(UpsertTierDocument, { input }, manager.token);
      expect(r.errors?.[0]?.extensions, JSON.stringify(input)).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    const unknown = await gw.gql(
      UpsertTierDocument,
      { input: { id: '00000000-0000-4000-8000-000000000000', name: 'X', rank: 9, qualifyingPoints: 1, earnMultiplier: '1' } },
      manager.token,
    );
    expect(unknown.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(await gw.sql(`SELECT * FROM tier ORDER BY rank`)).toEqual(before);

    for (const token of [shop.apiKey, (await newStaff(gw, ['FINANCE'])).token, (await newMember(gw, shop)).token]) {
      const r = await gw.gql(UpsertTierDocument, { input: { name: 'Diamond', rank: 4, qualifyingPoints: 90_000, earnMultiplier: '3' } }, token);
      expect(r.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }

    // The new threshold applies at once: an earn that reaches 4,000 qualifying points upgrades to Silver.
    const member = await newMember(gw, shop);
    await earn(gw, shop, member, '4000.00');
    expect(await tierOf(member.id)).toBe('Silver');
  });
});
