// enrollMember's optional idempotencyKey: a till that lost the answer retries with its key and
// gets the member it created, instead of "already enrolled".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnrollMemberDocument } from './generated/graphql';
import { startTestGateway, TestGateway } from './support/gateway';
import { newPartner, TestPartner, uniq } from './support/factories';

let gw: TestGateway;
let cafe: TestPartner;
let shop: TestPartner;
beforeAll(async () => {
  gw = await startTestGateway();
  cafe = await newPartner(gw);
  shop = await newPartner(gw, { currencyCode: 'THB' });
});
afterAll(() => gw?.stop());

const members = async (email: string) => (await gw.sql<{ n: number }>(`SELECT count(*)::int AS n FROM member WHERE lower(email) = lower($1)`, [email]))[0]!.n;

describe('enrollMember with an idempotencyKey', () => {
  it('same key and same input: the member it created, nothing new written; another input: IDEMPOTENCY_CONFLICT', async () => {
    const email = `${uniq('till')}@example.com`;
    const input = { email, displayName: 'Siti', idempotencyKey: uniq('enrol') };
    const first = await gw.ok(EnrollMemberDocument, { input }, cafe.apiKey);
    const again = await gw.ok(EnrollMemberDocument, { input: { ...input, email: email.toUpperCase() } }, cafe.apiKey);
    expect(again.enrollMember.id).toBe(first.enrollMember.id);
    expect(await members(email)).toBe(1);

    const other = await gw.gql(EnrollMemberDocument, { input: { ...input, displayName: 'Someone else' } }, cafe.apiKey);
    expect(other.errors?.[0]?.extensions).toMatchObject({ code: 'IDEMPOTENCY_CONFLICT', field: 'input.idempotencyKey' });
  });

  it("keys are the caller's own; without a key a second enrolment of the email is refused as before", async () => {
    const email = `${uniq('till')}@example.com`;
    const key = uniq('enrol');
    await gw.ok(EnrollMemberDocument, { input: { email, displayName: 'Ana', idempotencyKey: key } }, cafe.apiKey);
    // Another partner's same key is another request: it tries to enrol, and the email is taken.
    const theirs = await gw.gql(EnrollMemberDocument, { input: { email, displayName: 'Ana', idempotencyKey: key } }, shop.apiKey);
    expect(theirs.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.email' });
    const keyless = await gw.gql(EnrollMemberDocument, { input: { email, displayName: 'Ana' } }, cafe.apiKey);
    expect(keyless.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.email' });
    expect(await members(email)).toBe(1);
    // The refused enrolment stored no key: fixed, it can be retried under the same one.
    const fresh = `${uniq('till')}@example.com`;
    const retried = await gw.ok(EnrollMemberDocument, { input: { email: fresh, displayName: 'Ana', idempotencyKey: key } }, shop.apiKey);
    expect(retried.enrollMember.id).toBeTruthy();
  });

  it('refuses an empty or oversized key naming the field', async () => {
    for (const idempotencyKey of ['', 'k'.repeat(256)]) {
      const r = await gw.gql(EnrollMemberDocument, { input: { email: `${uniq('x')}@example.com`, displayName: 'X', idempotencyKey } }, cafe.apiKey);
      expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.idempotencyKey' });
    }
  });
});
