// Partner API keys and member tokens over their lifetime: listed by prefix only, rotated (at once or
// with a grace period), revoked; a key's end closes its live connections on every instance, and a
// member token's expiry closes its socket.
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BalanceChangedDocument,
  CreatePartnerApiKeyDocument,
  EarnPointsDocument,
  PartnerApiKeysDocument,
  RevokePartnerApiKeyDocument,
  RotatePartnerApiKeyDocument,
  ViewerDocument,
} from './generated/graphql';
import { startTestGateway, TestGateway } from './support/gateway';
import { earnInput, newMember, newPartner, TestPartner } from './support/factories';
import { liveClient, settle, subscribe } from './support/live-client';
import { startChildGateway } from './support/child-gateway';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw?.stop());

const prefixOf = (key: string) => /^lgk_([0-9a-f]{8})_/.exec(key)![1]!;
const viewerOf = async (token: string) => {
  const r = await gw.gql(ViewerDocument, {}, token);
  return r.status === 200 ? r.data!.viewer : r.status;
};

async function until(done: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A partner's live subscription, open and receiving, on the given server. */
async function openSubscription(wsUrl: string, partner: TestPartner) {
  const member = await newMember(gw, partner);
  const sub = subscribe(liveClient(wsUrl, partner.apiKey), BalanceChangedDocument, { memberId: member.id });
  await settle(200);
  expect(sub.closed).toBeNull();
  expect(sub.errors).toEqual([]);
  return sub;
}

describe('listing', () => {
  it("shows an admin each key's prefix and dates, never the secret; lastUsedAt follows use", async () => {
    const partner = await newPartner(gw);
    const { createPartnerApiKey: unused } = await gw.ok(CreatePartnerApiKeyDocument, { partnerId: partner.id }, gw.adminToken);
    await viewerOf(partner.apiKey);
    // lastUsedAt is written beside the request, not in it: wait for it.
    let r = await gw.gql(PartnerApiKeysDocument, { partnerId: partner.id }, gw.adminToken);
    for (let i = 0; i < 100 && r.data!.partnerApiKeys[0]!.lastUsedAt === null; i++) {
      await settle(20);
      r = await gw.gql(PartnerApiKeysDocument, { partnerId: partner.id }, gw.adminToken);
    }
    expect(r.data!.partnerApiKeys.map((k) => [k.prefix, k.active, k.revokedAt, k.expiresAt])).toEqual([
      [prefixOf(partner.apiKey), true, null, null],
      [prefixOf(unused), true, null, null],
    ]);
    expect(r.data!.partnerApiKeys[0]!.lastUsedAt).not.toBeNull();
    expect(r.data!.partnerApiKeys[1]!.lastUsedAt).toBeNull();
    const text = JSON.stringify(r);
    for (const key of [partner.apiKey, unused]) expect(text).not.toContain(key.slice(13));
  });

  it('an unknown partner is NOT_FOUND', async () => {
    const r = await gw.gql(PartnerApiKeysDocument, { partnerId: '00000000-0000-4000-8000-000000000000' }, gw.adminToken);
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'partnerId' });
  });
});

describe('rotation', () => {
  it('without a grace period: the new key works, the old one is refused at once and its live connection closed', async () => {
    const partner = await newPartner(gw);
    const sub = await openSubscription(gw.wsUrl, partner);
    const { rotatePartnerApiKey: rotated } = await gw.ok(RotatePartnerApiKeyDocument, { prefix: prefixOf(partner.apiKey) }, gw.adminToken);
    expect(rotated.key).toMatch(new RegExp(`^lgk_${rotated.prefix}_`));
    expect(await viewerOf(rotated.key)).toBe(`partner:${partner.slug}`);
    expect(await viewerOf(partner.apiKey)).toBe(401);
    await until(() => sub.closed !== null);
    expect(sub.closed).toMatchObject({ code: 4403, reason: 'API key revoked' });
    await sub.stop();
    const keys = (await gw.ok(PartnerApiKeysDocument, { partnerId: partner.id }, gw.adminToken)).partnerApiKeys;
    expect(keys.map((k) => [k.prefix, k.active, k.revokedAt !== null])).toEqual([
      [prefixOf(partner.apiKey), false, true],
      [rotated.prefix, true, false],
    ]);
  });

  it('with a grace period: both keys work until it ends; then the old one is refused and its socket closed', async () => {
    const partner = await newPartner(gw);
    const sub = await openSubscription(gw.wsUrl, partner);
    const { rotatePartnerApiKey: rotated } = await gw.ok(RotatePartnerApiKeyDocument, { prefix: prefixOf(partner.apiKey), graceSeconds: 1 }, gw.adminToken);
    const endsAt = new Date(rotated.previousKeyExpiresAt).getTime();
    expect(endsAt).toBeGreaterThan(Date.now());
    expect(await viewerOf(partner.apiKey)).toBe(`partner:${partner.slug}`);
    expect(await viewerOf(rotated.key)).toBe(`partner:${partner.slug}`);
    await settle(100);
    expect(sub.closed).toBeNull();
    await until(() => sub.closed !== null, 5000);
    expect(sub.closed).toMatchObject({ code: 4403 });
    expect(Date.now()).toBeGreaterThanOrEqual(endsAt - 50);
    await sub.stop();
    expect(await viewerOf(partner.apiKey)).toBe(401);
    expect(await viewerOf(rotated.key)).toBe(`partner:${partner.slug}`);
  });

  it('refuses a bad grace period or a prefix with no active key', async () => {
    const partner = await newPartner(gw);
    for (const graceSeconds of [-1, 7 * 86400 + 1]) {
      const r = await gw.gql(RotatePartnerApiKeyDocument, { prefix: prefixOf(partner.apiKey), graceSeconds }, gw.adminToken);
      expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'graceSeconds' });
    }
    const r = await gw.gql(RotatePartnerApiKeyDocument, { prefix: 'ffffffff' }, gw.adminToken);
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'prefix' });
    expect(await viewerOf(partner.apiKey)).toBe(`partner:${partner.slug}`);
  });
});

describe('revocation', () => {
  it("refuses the key over HTTP and closes its subscriptions, not those of the partner's other keys", async () => {
    const partner = await newPartner(gw);
    const { createPartnerApiKey: other } = await gw.ok(CreatePartnerApiKeyDocument, { partnerId: partner.id }, gw.adminToken);
    const revoked = await openSubscription(gw.wsUrl, partner);
    const kept = await openSubscription(gw.wsUrl, { ...partner, apiKey: other });
    expect((await gw.ok(RevokePartnerApiKeyDocument, { prefix: prefixOf(partner.apiKey) }, gw.adminToken)).revokePartnerApiKey).toBe(true);
    expect(await viewerOf(partner.apiKey)).toBe(401);
    await until(() => revoked.closed !== null);
    expect(revoked.closed).toMatchObject({ code: 4403, reason: 'API key revoked' });
    await settle(200);
    expect(kept.closed).toBeNull();
    await Promise.all([revoked.stop(), kept.stop()]);
  });

  it('refuses a write sent over the open socket right after the revocation returned: nothing written', async () => {
    const partner = await newPartner(gw);
    const member = await newMember(gw, partner);
    const client = liveClient(gw.wsUrl, partner.apiKey);
    const holder = subscribe(client, BalanceChangedDocument, { memberId: member.id });
    await settle(200);
    expect(holder.closed).toBeNull();
    expect((await gw.ok(RevokePartnerApiKeyDocument, { prefix: prefixOf(partner.apiKey) }, gw.adminToken)).revokePartnerApiKey).toBe(true);
    // No wait: the socket's own close (through the outbox relay) is on its way and may overtake the answer.
    const write = subscribe(client, EarnPointsDocument, { input: earnInput(member, '10.00') });
    await until(() => write.events.length > 0 || write.errors.length > 0 || write.closed !== null);
    expect(write.events).toEqual([]);
    if (write.errors.length > 0)
      expect(write.errors[0]).toMatchObject({ message: 'This API key is unknown or revoked', extensions: { code: 'UNAUTHENTICATED' } });
    else expect(write.closed).toMatchObject({ code: 4403 });
    await until(() => holder.closed !== null);
    await settle(100);
    expect(await gw.sql(`SELECT 1 FROM ledger_transaction WHERE member_id = $1`, [member.id])).toEqual([]);
    await holder.stop();
  });

  it('checks the key for every operation on an open socket, not only when the close arrives: UNAUTHENTICATED as over HTTP', async () => {
    const partner = await newPartner(gw);
    const member = await newMember(gw, partner);
    const client = liveClient(gw.wsUrl, partner.apiKey);
    const holder = subscribe(client, BalanceChangedDocument, { memberId: member.id });
    await settle(200);
    // Revoked with no announcement, as if the outbox relay were lagging: only the per-operation check can see it.
    await gw.sql(`UPDATE partner_api_key SET revoked_at = now() WHERE prefix = $1`, [prefixOf(partner.apiKey)]);
    const overHttp = await gw.gql(EarnPointsDocument, { input: earnInput(member, '10.00') }, partner.apiKey);
    expect(overHttp.status).toBe(401);
    const write = subscribe(client, EarnPointsDocument, { input: earnInput(member, '10.00') });
    const watch = subscribe(client, BalanceChangedDocument, { memberId: member.id });
    for (const refused of [write, watch]) {
      const [error] = await refused.waitForError();
      expect(error).toMatchObject({ message: overHttp.errors![0]!.message, extensions: { code: overHttp.errors![0]!.extensions!.code } });
      expect(error!.extensions?.code).toBe('UNAUTHENTICATED');
    }
    expect(write.events).toEqual([]);
    expect(await gw.sql(`SELECT 1 FROM ledger_transaction WHERE member_id = $1`, [member.id])).toEqual([]);
    await holder.stop();
  });

  it('closes the subscriptions another gateway instance holds for that key', async () => {
    const other = await startChildGateway(gw.dbUrl, gw.adminToken);
    try {
      const partner = await newPartner(gw);
      const sub = await openSubscription(other.wsUrl, partner);
      await gw.ok(RevokePartnerApiKeyDocument, { prefix: prefixOf(partner.apiKey) }, gw.adminToken);
      await until(() => sub.closed !== null);
      expect(sub.closed).toMatchObject({ code: 4403 });
      await sub.stop();
    } finally {
      await other.stop();
    }
  });
});

describe('member tokens', () => {
  it('an open socket is closed when its member token expires', async () => {
    const partner = await newPartner(gw);
    const member = await newMember(gw, partner);
    const [{ value: secret }] = await gw.sql<{ value: string }>(`SELECT value FROM app_secret WHERE name = 'member_token_secret'`);
    const exp = Math.floor(Date.now() / 1000) + 2;
    const token = jwt.sign({ ptn: partner.id, exp }, secret!, { algorithm: 'HS256', subject: member.id, issuer: 'loyalty-gateway', audience: 'member' });
    const sub = subscribe(liveClient(gw.wsUrl, token), BalanceChangedDocument, { memberId: member.id });
    await settle(200);
    expect(sub.closed).toBeNull();
    await until(() => sub.closed !== null, 5000);
    expect(sub.closed).toMatchObject({ code: 4403, reason: 'Token expired' });
    expect(Date.now()).toBeGreaterThanOrEqual(exp * 1000 - 50);
    await sub.stop();
    expect((await gw.gql(ViewerDocument, {}, token)).status).toBe(401);
  });
});
