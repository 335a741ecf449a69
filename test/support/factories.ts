// Small factories: each test builds exactly the coalition it needs through the real API.
import { randomBytes } from 'node:crypto';
import {
  CreatePartnerApiKeyDocument,
  CreatePartnerDocument,
  EarnPointsDocument,
  EnrollMemberDocument,
  IssueMemberTokenDocument,
  SetExchangeRateDocument,
} from '../generated/graphql';
import type { TestGateway } from './gateway';

export const uniq = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

export interface TestPartner {
  id: string;
  slug: string;
  currencyCode: string;
  apiKey: string;
}

export async function newPartner(
  gw: TestGateway,
  overrides: { currencyCode?: string; earnRate?: string | null; burnRate?: string } = {},
): Promise<TestPartner> {
  const slug = uniq('partner');
  const currencyCode = overrides.currencyCode ?? 'MYR';
  const { createPartner } = await gw.ok(CreatePartnerDocument, { input: { slug, name: `Partner ${slug}`, currencyCode } }, gw.adminToken);
  if (overrides.earnRate !== null) {
    await gw.ok(
      SetExchangeRateDocument,
      { input: { partnerId: createPartner.id, earnRate: overrides.earnRate ?? '1', burnRate: overrides.burnRate ?? '0.01' } },
      gw.adminToken,
    );
  }
  const { createPartnerApiKey } = await gw.ok(CreatePartnerApiKeyDocument, { partnerId: createPartner.id }, gw.adminToken);
  return { id: createPartner.id, slug, currencyCode, apiKey: createPartnerApiKey };
}

export interface TestMember {
  id: string;
  email: string;
  token: string;
}

export async function newMember(gw: TestGateway, by: TestPartner): Promise<TestMember> {
  const email = `${uniq('member')}@example.com`;
  const { enrollMember } = await gw.ok(EnrollMemberDocument, { input: { email, displayName: 'Test Member' } }, by.apiKey);
  const { issueMemberToken } = await gw.ok(IssueMemberTokenDocument, { memberId: enrollMember.id }, by.apiKey);
  return { id: enrollMember.id, email, token: issueMemberToken };
}

export function earnInput(member: TestMember, amount: string, extra: Record<string, unknown> = {}) {
  return {
    memberId: member.id,
    amount,
    currencyCode: 'MYR',
    externalRef: uniq('receipt'),
    idempotencyKey: uniq('key'),
    ...extra,
  };
}

export async function earn(gw: TestGateway, partner: TestPartner, member: TestMember, amount: string) {
  return (await gw.ok(EarnPointsDocument, { input: earnInput(member, amount, { currencyCode: partner.currencyCode }) }, partner.apiKey))
    .earnPoints;
}

/** The books: every transaction's entries sum to zero; wallets equal their entries and lots. */
export async function ledgerViolations(gw: TestGateway): Promise<string[]> {
  const unbalanced = await gw.sql<{ id: string }>(
    `SELECT transaction_id AS id FROM ledger_entry GROUP BY transaction_id HAVING sum(amount) <> 0`,
  );
  const drift = await gw.sql<{ id: string }>(
    `SELECT a.id FROM account a
      WHERE a.kind = 'MEMBER' AND (
        a.balance <> coalesce((SELECT sum(amount) FROM ledger_entry e WHERE e.account_id = a.id), 0)
        OR a.balance <> coalesce((SELECT sum(remaining) FROM points_lot l WHERE l.member_id = a.member_id), 0))`,
  );
  return [...unbalanced.map((r) => `transaction ${r.id} does not sum to zero`), ...drift.map((r) => `account ${r.id} drifted`)];
}
