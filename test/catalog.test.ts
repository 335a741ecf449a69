import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import {
  CatalogDocument,
  PartnerRewardsDocument,
  SetPartnerStatusDocument,
  TiersDocument,
  UpsertRewardDocument,
  type CatalogFilter,
  type CatalogQuery,
  type RewardInput,
} from './generated/graphql';
import { startTestGateway, TestGateway } from './support/gateway';
import { TestPartner, earn, newMember, newPartner, uniq } from './support/factories';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw?.stop());

async function upsert(token: string, input: RewardInput) {
  return (await gw.ok(UpsertRewardDocument, { input }, token)).upsertReward;
}

/** A reward made through the API by its own partner. */
async function reward(partner: TestPartner, input: Partial<RewardInput> = {}) {
  return upsert(partner.apiKey, { name: uniq('reward'), pointsCost: 100, ...input });
}

async function catalog(filter: CatalogFilter | null, token?: string | null, first?: number, after?: string) {
  return (await gw.ok(CatalogDocument, { filter, first, after }, token)).catalog;
}

const ids = (c: CatalogQuery['catalog']) => c.edges.map((e) => e.node.id);

async function rewardCount(): Promise<number> {
  const [row] = await gw.sql<{ n: number }>(`SELECT count(*)::int AS n FROM reward`);
  return row!.n;
}

describe('upsertReward', () => {
  it('a partner creates a reward for itself and updates it; omitted optional fields keep their value', async () => {
    const cafe = await newPartner(gw);
    const created = await upsert(cafe.apiKey, {
      name: '  Free flat white ',
      description: 'Any size',
      category: 'Drinks',
      pointsCost: 250,
      stock: 40,
    });
    expect(created).toMatchObject({
      name: 'Free flat white',
      description: 'Any size',
      category: 'Drinks',
      pointsCost: 250,
      stock: 40,
      active: true,
      partner: { id: cafe.id },
      minTier: null,
    });
    const [{ updatedAt: before }] = await gw.sql<{ updatedAt: Date }>(`SELECT updated_at AS "updatedAt" FROM reward WHERE id = $1`, [created.id]);

    // Naming itself is allowed too.
    const updated = await upsert(cafe.apiKey, { id: created.id, partnerId: cafe.id, name: 'Free latte', pointsCost: 300, category: null });
    expect(updated).toMatchObject({
      id: created.id,
      name: 'Free latte',
      pointsCost: 300,
      description: 'Any size', // omitted: kept
      stock: 40, // omitted: kept (not turned into "unlimited")
      category: null, // null: cleared
      active: true,
      partner: { id: cafe.id },
    });
    const [{ updatedAt: after }] = await gw.sql<{ updatedAt: Date }>(`SELECT updated_at AS "updatedAt" FROM reward WHERE id = $1`, [created.id]);
    expect(after.getTime()).toBeGreaterThan(before.getTime());

    const unlimited = await upsert(cafe.apiKey, { id: created.id, name: 'Free latte', pointsCost: 300, stock: null, active: false });
    expect(unlimited).toMatchObject({ stock: null, active: false });
  });

  it('an admin creates for a named partner and updates any reward; it must name the partner on create', async () => {
    const airline = await newPartner(gw);
    const { tiers } = await gw.ok(TiersDocument);
    const gold = tiers.find((t) => t.name === 'Gold')!;

    const r = await gw.gql(UpsertRewardDocument, { input: { name: 'Lounge pass', pointsCost: 5000 } }, gw.adminToken);
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.partnerId' });

    const created = await upsert(gw.adminToken, { name: 'Lounge pass', pointsCost: 5000, partnerId: airline.id, minTierId: gold.id });
    expect(created).toMatchObject({ partner: { id: airline.id }, minTier: { id: gold.id, name: 'Gold' } });

    const own = await reward(airline, { name: 'Seat upgrade' });
    const updated = await upsert(gw.adminToken, { id: own.id, name: 'Seat upgrade (long haul)', pointsCost: 9000, minTierId: gold.id });
    expect(updated).toMatchObject({ name: 'Seat upgrade (long haul)', pointsCost: 9000, partner: { id: airline.id }, minTier: { name: 'Gold' } });
    const cleared = await upsert(gw.adminToken, { id: own.id, name: 'Seat upgrade', pointsCost: 9000, minTierId: null });
    expect(cleared.minTier).toBeNull();

    // A reward never moves to another partner.
    const other = await newPartner(gw);
    const moved = await gw.gql(UpsertRewardDocument, { input: { id: own.id, name: 'x', pointsCost: 1, partnerId: other.id } }, gw.adminToken);
    expect(moved.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.partnerId' });

    const unknownPartner = await gw.gql(UpsertRewardDocument, { input: { name: 'x', pointsCost: 1, partnerId: randomUUID() } }, gw.adminToken);
    expect(unknownPartner.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'input.partnerId' });
  });

  it("a partner can neither change another partner's reward nor create one for it: FORBIDDEN, nothing written", async () => {
    const cafe = await newPartner(gw);
    const fashion = await newPartner(gw);
    const theirs = await reward(cafe, { name: 'Cake', pointsCost: 80 });
    const countBefore = await rewardCount();

    const update = await gw.gql(UpsertRewardDocument, { input: { id: theirs.id, name: 'Hijacked', pointsCost: 1 } }, fashion.apiKey);
    expect(update.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', field: 'input.id' });
    const create = await gw.gql(UpsertRewardDocument, { input: { name: 'Fake', pointsCost: 1, partnerId: cafe.id } }, fashion.apiKey);
    expect(create.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', field: 'input.partnerId' });
    // Naming itself does not let it reach another's reward either.
    const named = await gw.gql(UpsertRewardDocument, { input: { id: theirs.id, name: 'Hijacked', pointsCost: 1, partnerId: fashion.id } }, fashion.apiKey);
    expect(named.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN' });

    expect(await rewardCount()).toBe(countBefore);
    const [row] = await gw.sql<{ name: string; pointsCost: number }>(`SELECT name, points_cost AS "pointsCost" FROM reward WHERE id = $1`, [theirs.id]);
    expect(row).toEqual({ name: 'Cake', pointsCost: 80 });
  });

  it('members and anonymous callers cannot manage rewards; a suspended partner cannot either', async () => {
    const cafe = await newPartner(gw);
    const member = await newMember(gw, cafe);
    const input = { name: 'x', pointsCost: 10 };
    expect((await gw.gql(UpsertRewardDocument, { input }, null)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await gw.gql(UpsertRewardDocument, { input }, member.token)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    await gw.ok(SetPartnerStatusDocument, { partnerId: cafe.id, status: 'SUSPENDED' }, gw.adminToken);
    expect((await gw.gql(UpsertRewardDocument, { input }, cafe.apiKey)).errors?.[0]?.extensions?.code).toBe('PARTNER_SUSPENDED');
  });

  it('refuses bad input naming the field, and writes nothing', async () => {
    const cafe = await newPartner(gw);
    const existing = await reward(cafe, { name: 'Muffin', pointsCost: 60, stock: 3 });
    const ok = { name: 'Fine', pointsCost: 10 };
    const cases: [Partial<RewardInput>, string, string][] = [
      [{ name: '   ' }, 'BAD_USER_INPUT', 'input.name'],
      [{ name: 'n'.repeat(256) }, 'BAD_USER_INPUT', 'input.name'],
      [{ description: 'd'.repeat(2001) }, 'BAD_USER_INPUT', 'input.description'],
      [{ category: ' ' }, 'BAD_USER_INPUT', 'input.category'],
      [{ category: 'c'.repeat(65) }, 'BAD_USER_INPUT', 'input.category'],
      [{ pointsCost: 0 }, 'BAD_USER_INPUT', 'input.pointsCost'],
      [{ pointsCost: 1_000_000_001 }, 'BAD_USER_INPUT', 'input.pointsCost'],
      [{ stock: -1 }, 'BAD_USER_INPUT', 'input.stock'],
      [{ stock: 1_000_000_001 }, 'BAD_USER_INPUT', 'input.stock'],
      [{ minTierId: 'gold' }, 'BAD_USER_INPUT', 'input.minTierId'],
      [{ minTierId: randomUUID() }, 'NOT_FOUND', 'input.minTierId'],
      [{ id: 'reward-1' }, 'BAD_USER_INPUT', 'input.id'],
      [{ id: randomUUID() }, 'NOT_FOUND', 'input.id'],
    ];
    const countBefore = await rewardCount();
    for (const [bad, code, field] of cases) {
      // Both as a create and as an update of an existing reward (unless the case is about the id).
      const shapes = bad.id
        ? [{ ...ok, ...bad }]
        : [
            { ...ok, ...bad },
            { ...ok, ...bad, id: existing.id },
          ];
      for (const input of shapes) {
        const r = await gw.gql(UpsertRewardDocument, { input }, cafe.apiKey);
        expect(r.errors?.[0]?.extensions, JSON.stringify(input).slice(0, 80)).toMatchObject({ code, field });
        expect(r.errors?.[0]?.message).toContain(field);
      }
    }
    expect(await rewardCount()).toBe(countBefore);
    const [row] = await gw.sql(`SELECT name, points_cost AS "pointsCost", stock FROM reward WHERE id = $1`, [existing.id]);
    expect(row).toEqual({ name: 'Muffin', pointsCost: 60, stock: 3 });
  });
});

describe('catalog', () => {
  it('filters by partner, category (ignoring case) and maximum cost, with totalCount', async () => {
    const cafe = await newPartner(gw);
    const fashion = await newPartner(gw);
    const category = uniq('Treats');
    const cake = await reward(cafe, { category, pointsCost: 100 });
    const scarf = await reward(fashion, { category: category.toUpperCase(), pointsCost: 900 });
    const bag = await reward(fashion, { category: 'Bags', pointsCost: 300 });

    const byPartner = await catalog({ partnerId: fashion.id });
    expect(ids(byPartner)).toEqual([scarf.id, bag.id]);
    expect(byPartner.totalCount).toBe(2);

    const byCategory = await catalog({ category: category.toLowerCase() });
    expect(ids(byCategory)).toEqual([cake.id, scarf.id]);
    expect(byCategory.totalCount).toBe(2);

    expect(ids(await catalog({ category, maxPointsCost: 500 }))).toEqual([cake.id]);
    expect(ids(await catalog({ partnerId: fashion.id, maxPointsCost: 300 }))).toEqual([bag.id]);
    expect(ids(await catalog({ partnerId: fashion.id, category: 'bags', maxPointsCost: 299 }))).toEqual([]);
  });

  it('affordableFor: only what the member can pay for now, seen by anyone allowed to see that member', async () => {
    const cafe = await newPartner(gw, { earnRate: '1' });
    const airline = await newPartner(gw);
    const member = await newMember(gw, cafe);
    const stranger = await newMember(gw, cafe);
    await earn(gw, cafe, member, '500.00');
    const category = uniq('Mixed');
    const cheap = await reward(cafe, { category, pointsCost: 200 });
    const exact = await reward(airline, { category, pointsCost: 500 });
    await reward(airline, { category, pointsCost: 501 });

    for (const token of [member.token, airline.apiKey, gw.adminToken]) {
      const page = await catalog({ category, affordableFor: member.id }, token);
      expect(ids(page)).toEqual([cheap.id, exact.id]);
      expect(page.totalCount).toBe(2);
    }
    expect(ids(await catalog({ category, affordableFor: member.id, maxPointsCost: 300 }, member.token))).toEqual([cheap.id]);
    // Nothing earned, nothing affordable.
    expect(ids(await catalog({ category, affordableFor: stranger.id }, stranger.token))).toEqual([]);

    const anonymous = await gw.gql(CatalogDocument, { filter: { affordableFor: member.id } }, null);
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const other = await gw.gql(CatalogDocument, { filter: { affordableFor: member.id } }, stranger.token);
    expect(other.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const unknown = await gw.gql(CatalogDocument, { filter: { affordableFor: randomUUID() } }, gw.adminToken);
    expect(unknown.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'filter.affordableFor' });
  });

  it("affordableFor also hides rewards above the member's tier and sold-out ones; without it they stay listed", async () => {
    const cafe = await newPartner(gw, { earnRate: '1' });
    const member = await newMember(gw, cafe);
    await earn(gw, cafe, member, '1000.00'); // 1,000 points, still Bronze
    const { tiers } = await gw.ok(TiersDocument);
    const tier = (name: string) => tiers.find((t) => t.name === name)!.id;
    const category = uniq('Gated');
    const open = await reward(cafe, { category, pointsCost: 100 });
    const bronze = await reward(cafe, { category, pointsCost: 100, minTierId: tier('Bronze') });
    const silver = await reward(cafe, { category, pointsCost: 100, minTierId: tier('Silver') });
    const gold = await reward(cafe, { category, pointsCost: 100, minTierId: tier('Gold') });
    const stocked = await reward(cafe, { category, pointsCost: 100, stock: 3 });
    const soldOut = await reward(cafe, { category, pointsCost: 100, stock: 0 });

    expect(ids(await catalog({ category }))).toEqual([open.id, bronze.id, silver.id, gold.id, stocked.id, soldOut.id]);
    const bronzeView = await catalog({ category, affordableFor: member.id }, member.token);
    expect(ids(bronzeView)).toEqual([open.id, bronze.id, stocked.id]);
    expect(bronzeView.totalCount).toBe(3);

    // Silver now: the Silver reward becomes affordable, Gold still not; sold out stays hidden.
    await gw.sql(`UPDATE member SET tier_id = $2 WHERE id = $1`, [member.id, tier('Silver')]);
    expect(ids(await catalog({ category, affordableFor: member.id }, cafe.apiKey))).toEqual([open.id, bronze.id, silver.id, stocked.id]);
    await gw.sql(`UPDATE member SET tier_id = $2 WHERE id = $1`, [member.id, tier('Gold')]);
    const goldView = await catalog({ category, affordableFor: member.id }, gw.adminToken, 2);
    expect(ids(goldView)).toEqual([open.id, bronze.id]);
    expect(goldView.totalCount).toBe(5);
    const rest = await catalog({ category, affordableFor: member.id }, gw.adminToken, 10, goldView.pageInfo.endCursor!);
    expect(ids(rest)).toEqual([silver.id, gold.id, stocked.id]);

    // Restocked, it is affordable again.
    await upsert(cafe.apiKey, { id: soldOut.id, name: 'Back in stock', pointsCost: 100, stock: 1 });
    expect(ids(await catalog({ category, affordableFor: member.id }, member.token))).toContain(soldOut.id);
  });

  it('search: a case-insensitive substring of name or description, where % and _ match only themselves', async () => {
    const shop = await newPartner(gw);
    const half = await reward(shop, { name: '50% off a Scarf' });
    const fifty = await reward(shop, { name: '500 points back' });
    const under = await reward(shop, { name: 'Gift 5_0' });
    const described = await reward(shop, { name: 'Mystery box', description: 'Contains a SCARF, maybe' });
    const partnerId = shop.id;

    expect(ids(await catalog({ partnerId, search: '50%' }))).toEqual([half.id]);
    expect(ids(await catalog({ partnerId, search: '5_0' }))).toEqual([under.id]);
    expect(ids(await catalog({ partnerId, search: '50' }))).toEqual([half.id, fifty.id]);
    const scarf = await catalog({ partnerId, search: 'scarf' });
    expect(ids(scarf)).toEqual([half.id, described.id]);
    expect(scarf.totalCount).toBe(2);
    expect(ids(await catalog({ partnerId, search: '%' }))).toEqual([half.id]);
    expect(ids(await catalog({ partnerId, search: '\\' }))).toEqual([]);
  });

  it("hides inactive rewards and suspended partners' rewards; Partner.rewards shows inactive ones to their owner and admins", async () => {
    const cafe = await newPartner(gw);
    const other = await newPartner(gw);
    const listed = await reward(cafe, { name: 'Listed' });
    const retired = await reward(cafe, { name: 'Retired', active: false });

    expect(ids(await catalog({ partnerId: cafe.id }))).toEqual([listed.id]);
    const publicView = (await gw.ok(PartnerRewardsDocument, { id: cafe.id }, null)).partner!.rewards;
    expect(publicView.edges.map((e) => e.node.id)).toEqual([listed.id]);
    expect(publicView.totalCount).toBe(1);
    const otherView = (await gw.ok(PartnerRewardsDocument, { id: cafe.id }, other.apiKey)).partner!.rewards;
    expect(otherView.edges.map((e) => e.node.id)).toEqual([listed.id]);
    for (const token of [cafe.apiKey, gw.adminToken]) {
      const view = (await gw.ok(PartnerRewardsDocument, { id: cafe.id }, token)).partner!.rewards;
      expect(view.edges.map((e) => [e.node.id, e.node.active])).toEqual([
        [listed.id, true],
        [retired.id, false],
      ]);
      expect(view.totalCount).toBe(2);
    }

    await gw.ok(SetPartnerStatusDocument, { partnerId: cafe.id, status: 'SUSPENDED' }, gw.adminToken);
    const hidden = await catalog({ partnerId: cafe.id });
    expect(hidden).toMatchObject({ totalCount: 0, edges: [] });
    expect(ids(await catalog({ search: 'Listed' }))).not.toContain(listed.id);
    expect((await gw.ok(PartnerRewardsDocument, { id: cafe.id }, null)).partner!.rewards.totalCount).toBe(0);
    expect((await gw.ok(PartnerRewardsDocument, { id: cafe.id }, gw.adminToken)).partner!.rewards.totalCount).toBe(2);

    await gw.ok(SetPartnerStatusDocument, { partnerId: cafe.id, status: 'ACTIVE' }, gw.adminToken);
    expect(ids(await catalog({ partnerId: cafe.id }))).toEqual([listed.id]);
  });

  it('pages of 2 list every reward exactly once, in creation order, even while rewards are being added', async () => {
    const a = await newPartner(gw);
    const b = await newPartner(gw);
    const suspended = await newPartner(gw);
    const category = uniq('Paged');
    const original: string[] = [];
    for (const p of [a, b, a, a, b]) original.push((await reward(p, { category })).id);
    await reward(a, { category, active: false });
    await reward(suspended, { category });
    await gw.ok(SetPartnerStatusDocument, { partnerId: suspended.id, status: 'SUSPENDED' }, gw.adminToken);

    // A plain walk first.
    const walk = async (between?: (page: number) => Promise<void>) => {
      const seen: string[] = [];
      const totals: number[] = [];
      let after: string | undefined;
      for (let page = 0; page < 20; page++) {
        const c = await catalog({ category }, null, 2, after);
        expect(c.edges.length).toBeLessThanOrEqual(2);
        seen.push(...ids(c));
        totals.push(c.totalCount);
        if (!c.pageInfo.hasNextPage) return { seen, totals };
        after = c.pageInfo.endCursor!;
        await between?.(page);
      }
      throw new Error('paging never ended');
    };
    const plain = await walk();
    expect(plain.seen).toEqual(original);
    expect(plain.totals).toEqual([5, 5, 5]);

    // Now change the list between page fetches: after the first page, add two rewards and hide one
    // already listed (an OFFSET would then skip one); after the second page, add one more.
    const added: string[] = [];
    const growing = await walk(async (page) => {
      if (page === 0) {
        await upsert(a.apiKey, { id: original[0], name: 'Withdrawn', pointsCost: 100, active: false });
      }
      const count = page === 0 ? 2 : page === 1 ? 1 : 0;
      for (let i = 0; i < count; i++) added.push((await reward(i % 2 ? b : a, { category })).id);
    });
    expect(added).toHaveLength(3);
    expect(growing.seen).toEqual([...original, ...added]);
    expect(new Set(growing.seen).size).toBe(growing.seen.length);
    expect(growing.totals[0]).toBe(5);
    expect(growing.totals.at(-1)).toBe(5 - 1 + 3);
  });

  it('anonymous callers may browse; page size and cursors are checked', async () => {
    const cafe = await newPartner(gw);
    const r = await reward(cafe);
    const everything = await gw.ok(CatalogDocument, {}, null);
    expect(everything.catalog.totalCount).toBeGreaterThanOrEqual(1);
    expect(ids(await catalog({ partnerId: cafe.id }, null))).toEqual([r.id]);

    const tooMany = await gw.gql(CatalogDocument, { first: 101 }, null);
    expect(tooMany.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const badCursor = await gw.gql(CatalogDocument, { after: 'bm90LWEtY3Vyc29y' }, null);
    expect(badCursor.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    const badPartner = await gw.gql(CatalogDocument, { filter: { partnerId: 'cafe' } }, null);
    expect(badPartner.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.partnerId' });
  });
});
