// Issue 17: staff accounts with roles (sign-in, roles applied at once, deactivation, the audit
// trail naming the person), the coalition card, and the privacy of members' personal data
// (consent, masking, lookups that cannot probe). Through the real HTTP server and PostgreSQL.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AuditByStaffDocument,
  CreatePartnerDocument,
  DeactivateStaffUserDocument,
  EnrollMemberDocument,
  GrantPartnerConsentDocument,
  IssueMemberTokenDocument,
  MemberByCardDocument,
  MemberByEmailDocument,
  MemberPersonalDocument,
  RevokePartnerConsentDocument,
  SetStaffUserRolesDocument,
  StaffLoginDocument,
  ViewerDocument,
} from './generated/graphql';
import { startTestGateway, TestGateway } from './support/gateway';
import { linkPartner, newMember, newPartner, newStaff, TestPartner, uniq } from './support/factories';
import { luhnCheckDigit, normalizeCardNumber } from '../src/modules/member/card-number';
import { maskDisplayName, maskEmail, presentPersonalData } from '../src/modules/privacy/personal-data';
import { createMigrator } from '../src/db/data-source';
import { webhookBody } from '../src/modules/webhook/webhook-body';
import { StaffAndPrivacy1764000920000 } from '../migrations/1764000920000-StaffAndPrivacy';

let gw: TestGateway;
let a: TestPartner;
let b: TestPartner;

beforeAll(async () => {
  // A small failed-authentication budget, so the sign-in limit shows within a test.
  gw = await startTestGateway({ RATE_LIMIT_AUTH_FAILURES: '4', RATE_LIMIT_WINDOW_SECONDS: '60' });
  [a, b] = await Promise.all([newPartner(gw), newPartner(gw)]);
});
afterAll(() => gw?.stop());

async function enrolAtA(displayName = 'Nur Aisyah', birthDate = '1991-07-04') {
  const email = `${uniq('nur')}@example.com`;
  const { enrollMember } = await gw.ok(EnrollMemberDocument, { input: { email, displayName, birthDate } }, a.apiKey);
  const { issueMemberToken } = await gw.ok(IssueMemberTokenDocument, { memberId: enrollMember.id }, a.apiKey);
  return { id: enrollMember.id, email, token: issueMemberToken };
}

// First, before any staff or member writes the audit trail (down() cannot put back the old actor
// kinds once entries name STAFF or MEMBER actors: the trail is append-only).
describe('existing members', () => {
  it('the migration gives every member a card and turns existing code links into consents', async () => {
    const [enrolled, linked] = [await enrolAtA(), await enrolAtA()];
    await linkPartner(gw, linked, b);
    const migrator = createMigrator(gw.dbUrl);
    await migrator.initialize();
    const runner = migrator.createQueryRunner();
    try {
      // As before the issue: no card numbers, no consents, no staff; then the migration runs.
      await new StaffAndPrivacy1764000920000().down(runner);
      await new StaffAndPrivacy1764000920000().up(runner);
    } finally {
      await runner.release();
      await migrator.destroy();
    }
    const cards = await gw.sql<{ card: string }>(`SELECT card_number AS card FROM member`);
    expect(cards.every(({ card }) => normalizeCardNumber(card) === card)).toBe(true);
    expect(new Set(cards.map((c) => c.card)).size).toBe(cards.length);
    const consents = await gw.sql(`SELECT member_id, partner_id, via FROM member_partner_consent WHERE member_id = ANY($1::uuid[])`, [
      [enrolled.id, linked.id],
    ]);
    expect(consents).toEqual([{ member_id: linked.id, partner_id: b.id, via: 'CODE' }]);
    expect((await gw.ok(MemberPersonalDocument, { id: linked.id }, b.apiKey)).member!.email).toBe(linked.email);
    expect((await gw.ok(MemberPersonalDocument, { id: enrolled.id }, b.apiKey)).member!.email).toBe(maskEmail(enrolled.email));
  });
});

describe('masking, in one function', () => {
  it('email keeps the first letters and the top-level domain; the name its first letter; the birth date goes', () => {
    expect(maskEmail('aisyah@example.com')).toBe('a•••@e•••.com');
    expect(maskEmail('x@mail.co.th')).toBe('x•••@m•••.th');
    expect(maskDisplayName('  Somchai Jaidee')).toBe('S');
    expect(maskDisplayName('𝒜lice')).toBe('𝒜');
    expect(presentPersonalData({ id: '1', email: 'b@c.id', displayName: 'Budi', birthDate: '1990-01-01' }, false)).toEqual({
      id: '1',
      email: 'b•••@c•••.id',
      displayName: 'B',
      birthDate: null,
    });
  });
});

describe('the coalition card', () => {
  it('every member has a unique 16-digit number with a valid Luhn check digit, drawn at enrolment', async () => {
    await Promise.all([enrolAtA(), enrolAtA(), enrolAtA()]);
    const rows = await gw.sql<{ card: string }>(`SELECT card_number AS card FROM member`);
    expect(rows.length).toBeGreaterThanOrEqual(3);
    for (const { card } of rows) {
      expect(card).toMatch(/^\d{16}$/);
      expect(luhnCheckDigit(card.slice(0, 15))).toBe(Number(card[15]));
    }
    expect(new Set(rows.map((r) => r.card)).size).toBe(rows.length);
    // The database and the gateway agree on the check digit.
    const [{ digit }] = await gw.sql<{ digit: number }>(`SELECT luhn_check_digit('7992739871') AS digit`);
    expect(digit).toBe(3);
    expect(luhnCheckDigit('7992739871')).toBe(3);
  });

  it('memberByCard finds the member however the till typed it; a wrong check digit is BAD_USER_INPUT naming cardNumber; an unknown number is null', async () => {
    const m = await enrolAtA();
    const [{ card }] = await gw.sql<{ card: string }>(`SELECT card_number AS card FROM member WHERE id = $1`, [m.id]);
    const grouped = card.replace(/(\d{4})(?=\d)/g, '$1-');
    expect((await gw.ok(MemberByCardDocument, { cardNumber: grouped }, b.apiKey)).memberByCard).toMatchObject({ id: m.id, cardNumber: card });
    const wrongDigit = card.slice(0, 15) + ((Number(card[15]) + 1) % 10);
    const r = await gw.gql(MemberByCardDocument, { cardNumber: wrongDigit }, b.apiKey);
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'cardNumber' });
    const unknownBody = '880000000000000';
    const unknown = unknownBody + luhnCheckDigit(unknownBody);
    expect(normalizeCardNumber(unknown)).toBe(unknown);
    expect((await gw.ok(MemberByCardDocument, { cardNumber: unknown }, b.apiKey)).memberByCard).toBeNull();
  });
});

describe('consent', () => {
  it('a partner the member neither enrolled at nor consented to sees masked fields, and finds nothing by email', async () => {
    const m = await enrolAtA('Nur Aisyah', '1991-07-04');
    const seenByB = (await gw.ok(MemberPersonalDocument, { id: m.id }, b.apiKey)).member!;
    expect(seenByB).toMatchObject({ id: m.id, email: maskEmail(m.email), displayName: 'N', birthDate: null, balance: { available: 0 } });
    expect(seenByB.cardNumber).toMatch(/^\d{16}$/);
    expect((await gw.ok(MemberByEmailDocument, { email: m.email }, b.apiKey)).memberByEmail).toBeNull();
    // The same answer as for an email nobody has: no probing.
    expect((await gw.ok(MemberByEmailDocument, { email: `${uniq('nobody')}@example.com` }, b.apiKey)).memberByEmail).toBeNull();
    // The partner it enrolled at sees everything.
    expect((await gw.ok(MemberPersonalDocument, { id: m.id }, a.apiKey)).member).toMatchObject({
      email: m.email,
      displayName: 'Nur Aisyah',
      birthDate: '1991-07-04',
    });
  });

  it('granted by the member: the partner sees it all; revoked: masked again, and the partner can no longer issue member tokens', async () => {
    const m = await enrolAtA();
    await linkPartner(gw, m, b);
    // A link made with the member's code is consent.
    expect((await gw.ok(MemberPersonalDocument, { id: m.id }, b.apiKey)).member!.email).toBe(m.email);
    expect((await gw.ok(MemberByEmailDocument, { email: m.email }, b.apiKey)).memberByEmail?.id).toBe(m.id);

    const revoked = await gw.ok(RevokePartnerConsentDocument, { memberId: m.id, partnerId: b.id }, m.token);
    expect(revoked.revokePartnerConsent.consents).toEqual([]);
    expect((await gw.ok(MemberPersonalDocument, { id: m.id }, b.apiKey)).member!.email).toBe(maskEmail(m.email));
    const token = await gw.gql(IssueMemberTokenDocument, { memberId: m.id }, b.apiKey);
    expect(token.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const [{ links }] = await gw.sql<{ links: number }>(`SELECT count(*)::int AS links FROM member_partner_link WHERE member_id = $1 AND partner_id = $2`, [
      m.id,
      b.id,
    ]);
    expect(links).toBe(0);

    // Granting consent shares the data again, but is not a link: acting for the member needs the member's code.
    const granted = await gw.ok(GrantPartnerConsentDocument, { memberId: m.id, partnerId: b.id }, m.token);
    expect(granted.grantPartnerConsent.consents.map((c) => c.partner.id)).toEqual([b.id]);
    expect((await gw.ok(MemberPersonalDocument, { id: m.id }, b.apiKey)).member).toMatchObject({ email: m.email, birthDate: '1991-07-04' });
    expect((await gw.gql(IssueMemberTokenDocument, { memberId: m.id }, b.apiKey)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    // Both changes are audited as the member's own.
    const audit = await gw.sql<{ action: string; actor_kind: string; actor_member_id: string }>(
      `SELECT action, actor_kind, actor_member_id FROM security_audit WHERE target_type = 'MEMBER' AND target_id = $1 ORDER BY id`,
      [m.id],
    );
    expect(audit).toEqual([
      { action: 'CONSENT_REVOKED', actor_kind: 'MEMBER', actor_member_id: m.id },
      { action: 'CONSENT_GRANTED', actor_kind: 'MEMBER', actor_member_id: m.id },
    ]);
  });

  it('an unknown partner or member is NOT_FOUND naming the field, and writes nothing', async () => {
    const m = await enrolAtA();
    const r = await gw.gql(GrantPartnerConsentDocument, { memberId: m.id, partnerId: '00000000-0000-4000-8000-000000000000' }, m.token);
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'partnerId' });
    const bad = await gw.gql(GrantPartnerConsentDocument, { memberId: m.id, partnerId: 'not-an-id' }, m.token);
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'partnerId' });
    const [{ n }] = await gw.sql<{ n: number }>(`SELECT count(*)::int AS n FROM member_partner_consent WHERE member_id = $1`, [m.id]);
    expect(n).toBe(0);
  });
});

describe('webhook bodies follow the same rule', () => {
  it("a MEMBER_ENROLLED body for a partner's endpoint masks what that partner may not see; the coalition's sees all", async () => {
    const m = await enrolAtA('Siti Nurhaliza');
    const source = { eventId: 1, eventType: 'MEMBER_ENROLLED' as const, memberId: m.id, payload: { enrolledByPartnerId: a.id }, createdAt: new Date() };
    const memberIn = async (recipient: string | null) => (await webhookBody(gw.db, source, recipient)).data.member as Record<string, unknown>;
    expect(await memberIn(a.id)).toMatchObject({ id: m.id, email: m.email, displayName: 'Siti Nurhaliza' });
    expect(await memberIn(null)).toMatchObject({ email: m.email, displayName: 'Siti Nurhaliza' });
    expect(await memberIn(b.id)).toMatchObject({ id: m.id, email: maskEmail(m.email), displayName: 'S' });
    await gw.ok(GrantPartnerConsentDocument, { memberId: m.id, partnerId: b.id }, m.token);
    expect(await memberIn(b.id)).toMatchObject({ email: m.email, displayName: 'Siti Nurhaliza' });
  });
});

describe('staff accounts', () => {
  // Each test starts with the address's failed-authentication budget untouched, whatever the one before did.
  afterEach(async () => {
    await gw.sql(`DELETE FROM rate_limit_counter`);
    gw.services.rateLimits['blockedIps'].clear();
  });

  it('passwords are kept as scrypt hashes, never in the clear', async () => {
    const s = await newStaff(gw, ['FINANCE']);
    const [{ hash }] = await gw.sql<{ hash: string }>(`SELECT password_hash AS hash FROM staff_user WHERE id = $1`, [s.id]);
    expect(hash).toMatch(/^scrypt\$15\$8\$1\$[\w-]+\$[\w-]+$/);
    expect(hash).not.toContain(s.password);
  });

  it('an unknown email and a wrong password get the same error; failures count against the address until it is refused', async () => {
    const s = await newStaff(gw, ['SUPPORT']);
    const wrong = await gw.gql(StaffLoginDocument, { email: s.email, password: 'not the password at all' }, null);
    const unknown = await gw.gql(StaffLoginDocument, { email: `${uniq('nobody')}@operator.example`, password: 'not the password at all' }, null);
    expect(wrong.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(unknown.errors?.[0]?.message).toBe(wrong.errors?.[0]?.message);
    expect(unknown.errors?.[0]?.extensions?.code).toBe(wrong.errors?.[0]?.extensions?.code);
    // The email is matched in any case; the right password works while the budget lasts.
    expect((await gw.ok(StaffLoginDocument, { email: s.email.toUpperCase(), password: s.password }, null)).staffLogin).toMatch(/^lgs_/);
    // Budget 4 per 60 s window (other tests' failures count too): keep failing until refused; a
    // window that rolls over on the way only costs a few more attempts.
    let code: unknown;
    for (let i = 0; i < 12 && code !== 'RATE_LIMITED'; i++) {
      code = (await gw.gql(StaffLoginDocument, { email: s.email, password: 'still not the password' }, null)).errors?.[0]?.extensions?.code;
    }
    expect(code).toBe('RATE_LIMITED');
    // Refused now even with the right password: the address may not try more credentials.
    const blocked = await gw.gql(StaffLoginDocument, { email: s.email, password: s.password }, null);
    expect(blocked.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
  });

  it('a change of roles applies to the very next request; deactivation ends the token at once', async () => {
    const s = await newStaff(gw, ['FINANCE']);
    expect((await gw.ok(ViewerDocument, {}, s.token)).viewer).toBe(`staff:${s.id}`);
    const create = () => gw.gql(CreatePartnerDocument, { input: { slug: uniq('p'), name: 'P', currencyCode: 'MYR' } }, s.token);
    expect((await create()).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    await gw.ok(SetStaffUserRolesDocument, { id: s.id, roles: ['PROGRAM_MANAGER'] }, gw.adminToken);
    expect((await create()).errors).toBeUndefined();
    await gw.ok(DeactivateStaffUserDocument, { id: s.id }, gw.adminToken);
    const after = await gw.gql(ViewerDocument, {}, s.token);
    expect(after.status).toBe(401);
    expect(after.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    // And it cannot sign in again.
    expect((await gw.gql(StaffLoginDocument, { email: s.email, password: s.password }, null)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('the audit trail names the staff user behind a change, and records its reads of personal data (not masked ones)', async () => {
    const manager = await newStaff(gw, ['PROGRAM_MANAGER']);
    const support = await newStaff(gw, ['SUPPORT']);
    const auditor = await newStaff(gw, ['AUDITOR']);
    const { createPartner } = await gw.ok(CreatePartnerDocument, { input: { slug: uniq('p'), name: 'Audited', currencyCode: 'THB' } }, manager.token);
    const m = await newMember(gw, a);

    const before = await gw.sql<{ n: number }>(`SELECT count(*)::int AS n FROM security_audit WHERE action = 'MEMBER_DATA_READ'`);
    // A masked read (PROGRAM_MANAGER) is not a read of personal data.
    expect((await gw.ok(MemberPersonalDocument, { id: m.id }, manager.token)).member!.email).toBe(maskEmail(m.email));
    // SUPPORT reads it: one entry for the member, however many of its fields were selected.
    expect((await gw.ok(MemberPersonalDocument, { id: m.id }, support.token)).member!.email).toBe(m.email);
    // A lookup by email reads it too.
    expect((await gw.ok(MemberByEmailDocument, { email: m.email }, auditor.token)).memberByEmail?.id).toBe(m.id);

    const { auditLog } = await gw.ok(AuditByStaffDocument, { first: 50 }, auditor.token);
    const entries = auditLog.edges.map((e) => e.node);
    expect(entries).toContainEqual(
      expect.objectContaining({ action: 'PARTNER_CREATED', actorKind: 'STAFF', actorStaffUserId: manager.id, targetId: createPartner.id }),
    );
    const reads = entries.filter((e) => e.action === 'MEMBER_DATA_READ' && e.targetId === m.id);
    expect(reads.map((e) => e.actorStaffUserId).sort()).toEqual([support.id, auditor.id].sort());
    const after = await gw.sql<{ n: number }>(`SELECT count(*)::int AS n FROM security_audit WHERE action = 'MEMBER_DATA_READ'`);
    expect(after[0]!.n - before[0]!.n).toBe(2);
    // The break-glass token is still ADMIN in the trail.
    await gw.ok(CreatePartnerDocument, { input: { slug: uniq('p'), name: 'Break glass', currencyCode: 'IDR' } }, gw.adminToken);
    const [last] = await gw.sql<{ actor_kind: string; actor_staff_user_id: string | null }>(
      `SELECT actor_kind, actor_staff_user_id FROM security_audit WHERE action = 'PARTNER_CREATED' ORDER BY id DESC LIMIT 1`,
    );
    expect(last).toEqual({ actor_kind: 'ADMIN', actor_staff_user_id: null });
  });

  it('staff consent changes are audited as the staff user', async () => {
    const support = await newStaff(gw, ['SUPPORT']);
    const m = await enrolAtA();
    await gw.ok(GrantPartnerConsentDocument, { memberId: m.id, partnerId: b.id }, support.token);
    const [row] = await gw.sql(`SELECT action, actor_kind, actor_staff_user_id, partner_id FROM security_audit WHERE target_id = $1`, [m.id]);
    expect(row).toEqual({ action: 'CONSENT_GRANTED', actor_kind: 'STAFF', actor_staff_user_id: support.id, partner_id: b.id });
  });
});
