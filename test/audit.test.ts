// The audit trail: every configuration change, with who, what, when, and the value before and
// after; written in the change's own transaction (a refused change leaves none); append-only;
// read by admins through auditLog, newest first, filtered and paged.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuditLogDocument,
  AuditLogQuery,
  CreateChallengeDocument,
  CreatePartnerApiKeyDocument,
  CreatePartnerDocument,
  RevokePartnerApiKeyDocument,
  RotatePartnerApiKeyDocument,
  SetExchangeRateDocument,
  SetPartnerBirthdayRewardDocument,
  SetPartnerSettingsDocument,
  SetPartnerStatusDocument,
  SetProgramSettingsDocument,
  UpsertRewardDocument,
} from './generated/graphql';
import { startTestGateway, TestGateway } from './support/gateway';
import { newPartner, uniq } from './support/factories';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw?.stop());

type Entry = AuditLogQuery['auditLog']['edges'][number]['node'];

/** Entries of one action across the program, newest first. */
async function entriesOf(action: string): Promise<Entry[]> {
  const r = await gw.ok(AuditLogDocument, { filter: { action: action as never }, first: 100 }, gw.adminToken);
  return r.auditLog.edges.map((e) => e.node);
}

/** The partner's audit entries, newest first. */
async function entriesFor(partnerId: string, action?: string): Promise<Entry[]> {
  const r = await gw.ok(AuditLogDocument, { filter: { partnerId, ...(action ? { action: action as never } : {}) }, first: 100 }, gw.adminToken);
  return r.auditLog.edges.map((e) => e.node);
}

const prefixOf = (key: string) => key.slice(4, 12);

describe('each configuration change leaves one entry with the previous value', () => {
  it('createPartner and setPartnerStatus (admin)', async () => {
    const slug = uniq('audited');
    const { createPartner: p } = await gw.ok(CreatePartnerDocument, { input: { slug, name: 'Audited', currencyCode: 'THB' } }, gw.adminToken);
    await gw.ok(SetPartnerStatusDocument, { partnerId: p.id, status: 'SUSPENDED' }, gw.adminToken);
    const [status, created] = await entriesFor(p.id);
    expect(created).toMatchObject({
      action: 'PARTNER_CREATED',
      actorKind: 'ADMIN',
      actorPartner: null,
      actorKeyPrefix: null,
      targetType: 'PARTNER',
      targetId: p.id,
      partner: { id: p.id, slug },
      previousValue: null,
      newValue: { slug, name: 'Audited', currencyCode: 'THB', status: 'ACTIVE' },
    });
    expect(status).toMatchObject({
      action: 'PARTNER_STATUS_CHANGED',
      targetId: p.id,
      previousValue: { status: 'ACTIVE' },
      newValue: { status: 'SUSPENDED' },
    });
    expect(new Date(status!.at).getTime()).toBeGreaterThanOrEqual(new Date(created!.at).getTime());
  });

  it('setExchangeRate: the previous version is the one it supersedes', async () => {
    const p = await newPartner(gw, { earnRate: '1', burnRate: '0.01' });
    await gw.ok(SetExchangeRateDocument, { input: { partnerId: p.id, earnRate: '2.5', burnRate: '0.02' } }, gw.adminToken);
    const [second, first] = await entriesFor(p.id, 'EXCHANGE_RATE_SET');
    expect(first).toMatchObject({ previousValue: null, newValue: { version: 1, earnRate: '1', burnRate: '0.01' } });
    expect(second).toMatchObject({
      actorKind: 'ADMIN',
      targetType: 'EXCHANGE_RATE',
      previousValue: { version: 1, earnRate: '1', burnRate: '0.01' },
      newValue: { version: 2, earnRate: '2.5', burnRate: '0.02' },
    });
  });

  it('API keys: created, rotated, revoked (by prefix, never the secret)', async () => {
    const p = await newPartner(gw);
    const { createPartnerApiKey: key } = await gw.ok(CreatePartnerApiKeyDocument, { partnerId: p.id }, gw.adminToken);
    const { rotatePartnerApiKey: rotated } = await gw.ok(RotatePartnerApiKeyDocument, { prefix: prefixOf(key), graceSeconds: 60 }, gw.adminToken);
    await gw.ok(RevokePartnerApiKeyDocument, { prefix: rotated.prefix }, gw.adminToken);
    const entries = await entriesFor(p.id);
    expect(entries.map((e) => e.action)).toEqual([
      'API_KEY_REVOKED',
      'API_KEY_ROTATED',
      'API_KEY_CREATED',
      'API_KEY_CREATED',
      'EXCHANGE_RATE_SET',
      'PARTNER_CREATED',
    ]);
    const [revoked, rotation, createdSecond, createdFirst] = entries;
    expect(createdFirst).toMatchObject({ targetType: 'API_KEY', previousValue: null, newValue: { prefix: prefixOf(p.apiKey) } });
    expect(createdSecond).toMatchObject({ newValue: { prefix: prefixOf(key) } });
    expect(rotation).toMatchObject({
      targetId: createdSecond!.targetId,
      previousValue: { prefix: prefixOf(key), expiresAt: null },
      newValue: { prefix: prefixOf(key), expiresAt: expect.any(String), replacedBy: { prefix: rotated.prefix } },
    });
    expect(revoked).toMatchObject({
      previousValue: { prefix: rotated.prefix, revokedAt: null },
      newValue: { prefix: rotated.prefix, revokedAt: expect.any(String) },
    });
    const text = JSON.stringify(entries);
    for (const secret of [p.apiKey, key, rotated.key]) expect(text).not.toContain(secret.slice(13));
  });

  it('upsertReward by a partner: the actor is that partner and the key it used; a change keeps the value before', async () => {
    const p = await newPartner(gw);
    const { upsertReward: reward } = await gw.ok(UpsertRewardDocument, { input: { name: 'Kopi', pointsCost: 100, stock: 5 } }, p.apiKey);
    await gw.ok(UpsertRewardDocument, { input: { id: reward.id, name: 'Kopi O', pointsCost: 120, active: false } }, p.apiKey);
    const [changed, created] = await entriesFor(p.id, undefined).then((es) => es.filter((e) => e.targetType === 'REWARD'));
    const actor = { actorKind: 'PARTNER', actorPartner: { id: p.id, slug: p.slug }, actorKeyPrefix: prefixOf(p.apiKey) };
    expect(created).toMatchObject({
      ...actor,
      action: 'REWARD_CREATED',
      targetId: reward.id,
      previousValue: null,
      newValue: { name: 'Kopi', pointsCost: 100, stock: 5, active: true, category: null },
    });
    expect(changed).toMatchObject({
      ...actor,
      action: 'REWARD_CHANGED',
      previousValue: { name: 'Kopi', pointsCost: 100, stock: 5, active: true },
      newValue: { name: 'Kopi O', pointsCost: 120, stock: 5, active: false },
    });
  });

  it('setProgramSettings (admin): the whole settings before and after each change', async () => {
    const full = { pointsExpireAfterMonths: 24, extendExpiryOnActivity: true, birthdayBonusPoints: 500, referralBonusPoints: 200 };
    await gw.ok(SetProgramSettingsDocument, { input: full }, gw.adminToken);
    await gw.ok(SetProgramSettingsDocument, { input: { pointsExpireAfterMonths: null, birthdayBonusPoints: 0 } }, gw.adminToken);
    const [second, first] = await entriesOf('PROGRAM_SETTINGS_CHANGED');
    const target = { actorKind: 'ADMIN', actorPartner: null, actorKeyPrefix: null, targetType: 'PROGRAM_SETTINGS', targetId: 'program', partner: null };
    expect(first).toMatchObject({
      ...target,
      previousValue: { pointsExpireAfterMonths: null, extendExpiryOnActivity: false, birthdayBonusPoints: 0, referralBonusPoints: 0 },
      newValue: full,
    });
    expect(second).toMatchObject({
      ...target,
      previousValue: full,
      newValue: { pointsExpireAfterMonths: null, extendExpiryOnActivity: true, birthdayBonusPoints: 0, referralBonusPoints: 200 },
    });
    // Back to the defaults, so no other test here earns under this policy.
    await gw.ok(SetProgramSettingsDocument, { input: { extendExpiryOnActivity: false, referralBonusPoints: 0 } }, gw.adminToken);
  });

  it('setPartnerSettings: by the partner itself (its key) and by an admin, each with the settings before', async () => {
    const p = await newPartner(gw);
    await gw.ok(SetPartnerSettingsDocument, { partnerId: p.id, pendingDays: 14 }, p.apiKey);
    await gw.ok(SetPartnerBirthdayRewardDocument, { partnerId: p.id, points: 100 }, gw.adminToken);
    const [byAdmin, byPartner] = await entriesFor(p.id, 'PARTNER_SETTINGS_CHANGED');
    expect(byPartner).toMatchObject({
      actorKind: 'PARTNER',
      actorPartner: { id: p.id },
      actorKeyPrefix: prefixOf(p.apiKey),
      targetType: 'PARTNER',
      targetId: p.id,
      partner: { id: p.id },
      previousValue: { pendingDays: 0, birthdayBonusPoints: 0 },
      newValue: { pendingDays: 14, birthdayBonusPoints: 0 },
    });
    expect(byAdmin).toMatchObject({
      actorKind: 'ADMIN',
      actorPartner: null,
      targetId: p.id,
      previousValue: { pendingDays: 14, birthdayBonusPoints: 0 },
      newValue: { pendingDays: 14, birthdayBonusPoints: 100 },
    });
  });

  it("createChallenge: an admin's (coalition-wide) and a partner's own, with the definition created", async () => {
    const p = await newPartner(gw);
    // Out of reach, so nothing else in this file completes them.
    const definition = { kind: 'EARN_COUNT', target: '1000000', windowDays: 7, bonusPoints: 50 } as const;
    const { createChallenge: coalitionWide } = await gw.ok(
      CreateChallengeDocument,
      { input: { ...definition, name: uniq('coalition challenge'), badgeName: 'Everywhere' } },
      gw.adminToken,
    );
    const { createChallenge: own } = await gw.ok(
      CreateChallengeDocument,
      { input: { ...definition, name: uniq('own challenge'), badgeName: 'Regular' } },
      p.apiKey,
    );
    const byTarget = new Map((await entriesOf('CHALLENGE_CREATED')).map((e) => [e.targetId, e]));
    expect(byTarget.get(coalitionWide.id)).toMatchObject({
      actorKind: 'ADMIN',
      targetType: 'CHALLENGE',
      partner: null,
      previousValue: null,
      newValue: {
        ...definition,
        id: coalitionWide.id,
        partnerId: null,
        name: coalitionWide.name,
        badgeName: 'Everywhere',
        active: true,
        startsAt: null,
        endsAt: null,
      },
    });
    expect(byTarget.get(own.id)).toMatchObject({
      actorKind: 'PARTNER',
      actorPartner: { id: p.id },
      actorKeyPrefix: prefixOf(p.apiKey),
      targetType: 'CHALLENGE',
      partner: { id: p.id },
      previousValue: null,
      newValue: { ...definition, id: own.id, partnerId: p.id, name: own.name, badgeName: 'Regular', active: true },
    });
    expect((await entriesFor(p.id, 'CHALLENGE_CREATED')).map((e) => e.targetId)).toEqual([own.id]);
  });

  it('a refused change writes no entry (same transaction)', async () => {
    const a = await newPartner(gw);
    const b = await newPartner(gw);
    const { upsertReward: reward } = await gw.ok(UpsertRewardDocument, { input: { name: 'A only', pointsCost: 10 } }, a.apiKey);
    const [{ n: before }] = await gw.sql<{ n: number }>('SELECT count(*)::int AS n FROM security_audit');
    const stolen = await gw.gql(UpsertRewardDocument, { input: { id: reward.id, name: 'Mine now', pointsCost: 1 } }, b.apiKey);
    expect(stolen.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const badRate = await gw.gql(SetExchangeRateDocument, { input: { partnerId: a.id, earnRate: '0', burnRate: '1' } }, gw.adminToken);
    expect(badRate.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const settingsOfA = await gw.gql(SetPartnerSettingsDocument, { partnerId: a.id, pendingDays: 7 }, b.apiKey);
    expect(settingsOfA.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const program = await gw.gql(SetProgramSettingsDocument, { input: { birthdayBonusPoints: 100 } }, a.apiKey);
    expect(program.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const badExpiry = await gw.gql(SetProgramSettingsDocument, { input: { pointsExpireAfterMonths: 0 } }, gw.adminToken);
    expect(badExpiry.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const badChallenge = await gw.gql(
      CreateChallengeDocument,
      { input: { name: 'no window', kind: 'EARN_COUNT', target: '1', bonusPoints: 0, badgeName: 'Never' } },
      a.apiKey,
    );
    expect(badChallenge.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const [{ n: after }] = await gw.sql<{ n: number }>('SELECT count(*)::int AS n FROM security_audit');
    expect(after).toBe(before);
  });
});

describe('auditLog', () => {
  it('is newest first, pages with after, and filters by action, partner and time', async () => {
    const p = await newPartner(gw);
    const from = new Date().toISOString();
    for (const earnRate of ['2', '3', '4']) await gw.ok(SetExchangeRateDocument, { input: { partnerId: p.id, earnRate, burnRate: '0.01' } }, gw.adminToken);
    const to = new Date(Date.now() + 1000).toISOString();

    const page1 = await gw.ok(AuditLogDocument, { filter: { partnerId: p.id, action: 'EXCHANGE_RATE_SET', from }, first: 2 }, gw.adminToken);
    expect(page1.auditLog.totalCount).toBe(3);
    expect(page1.auditLog.pageInfo.hasNextPage).toBe(true);
    expect(page1.auditLog.edges.map((e) => e.node.newValue?.earnRate)).toEqual(['4', '3']);
    const page2 = await gw.ok(
      AuditLogDocument,
      { filter: { partnerId: p.id, action: 'EXCHANGE_RATE_SET', from }, first: 2, after: page1.auditLog.pageInfo.endCursor },
      gw.adminToken,
    );
    expect(page2.auditLog.edges.map((e) => e.node.newValue?.earnRate)).toEqual(['2']);
    expect(page2.auditLog.pageInfo.hasNextPage).toBe(false);

    const before = await gw.ok(AuditLogDocument, { filter: { partnerId: p.id, to: from } }, gw.adminToken);
    expect(before.auditLog.edges.map((e) => e.node.action).sort()).toEqual(['API_KEY_CREATED', 'EXCHANGE_RATE_SET', 'PARTNER_CREATED']);
    const window = await gw.ok(AuditLogDocument, { filter: { partnerId: p.id, from, to } }, gw.adminToken);
    expect(window.auditLog.totalCount).toBe(3);
  });

  it('refuses a period that ends before it starts, and a foreign cursor', async () => {
    const r = await gw.gql(AuditLogDocument, { filter: { from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' } }, gw.adminToken);
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.to' });
    const c = await gw.gql(AuditLogDocument, { after: Buffer.from('reward:1').toString('base64url') }, gw.adminToken);
    expect(c.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  });
});

describe('the table is append-only', () => {
  it('refuses UPDATE, DELETE and TRUNCATE even to the database owner', async () => {
    for (const statement of ['UPDATE security_audit SET action = action', 'DELETE FROM security_audit', 'TRUNCATE security_audit']) {
      await expect(gw.sql(statement)).rejects.toThrow(/append-only/);
    }
  });
});
