import type { Pool, Tx } from '../../db/sql';
import { badInput } from '../../errors/domain-error';
import { requireText } from '../../errors/text';
import { query, queryOne } from '../../db/sql';
import { pgConstraint, pgErrorCode, withTransaction } from '../../db/transaction';
import { claimKey, recordResult, requestHash, validKey } from '../ledger/idempotency';
import { TRANSACTION_COUNT, openWallet, openWallets } from '../ledger/wallet';
import { Page } from '../../db/pagination';
import { memberHistoryPage } from '../../db/member-history';
import { qualifyingPointsOf } from '../ledger/qualifying';
import { TRANSACTION_COLUMNS, PointsTransaction } from '../ledger/points-transaction.entity';
import { recordLink, recordLinks } from '../linking/partner-link.service';
import { publish } from '../../db/outbox';
import { MEMBER_COLUMNS, Balance, Member } from './member.entity';
import { normalizeCardNumber } from './card-number';
import { validBirthDate, validDisplayName, validEmail } from './member-fields';
import { ErasedEmails } from './erased-email';

export interface EnrollMember {
  email: string;
  displayName: string;
  birthDate?: string | null;
  referralCode?: string | null;
  idempotencyKey?: string | null;
}

export class MemberService {
  constructor(
    private readonly db: Pool,
    private readonly erased: ErasedEmails,
  ) {}

  /**
   * `scope`: the caller's idempotency scope (callerScope), used when the input carries a key.
   * `outer`: a transaction to enrol in (a members import's batch); its checks all come first.
   */
  async enroll(input: EnrollMember, enrolledByPartnerId: string | null, scope = 'system', outer?: Tx): Promise<Member> {
    const email = validEmail(input.email);
    const displayName = validDisplayName(input.displayName);
    const birthDate = input.birthDate ? validBirthDate(input.birthDate) : null;
    // Codes are printed in upper case; accept them however they are typed (see lifecycle/referral.ts).
    const referralCode = input.referralCode ? requireText(input.referralCode.trim(), 'input.referralCode').toUpperCase() : null;
    if (referralCode !== null && !/^[0-9A-F]{1,64}$/.test(referralCode)) throw badInput('input.referralCode', 'no member has this referral code');
    const key = input.idempotencyKey === undefined || input.idempotencyKey === null ? null : validKey(input.idempotencyKey);
    const hash = requestHash('enrollMember', { email: email.toLowerCase(), displayName, birthDate, referralCode });
    // A card number the database drew may clash with an existing one (1 in 10^13 per member):
    // the insert fails on member_card_number and the enrolment draws again.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.insertMember(email, displayName, birthDate, referralCode, enrolledByPartnerId, key, scope, hash, outer);
      } catch (err) {
        if (!outer && attempt < 5 && pgErrorCode(err) === '23505' && pgConstraint(err) === 'member_card_number') continue;
        throw err;
      }
    }
  }

  private async insertMember(
    email: string,
    displayName: string,
    birthDate: string | null,
    referralCode: string | null,
    enrolledByPartnerId: string | null,
    key: string | null,
    scope: string,
    hash: string,
    outer?: Tx,
  ): Promise<Member> {
    try {
      return await withTransaction(
        this.db,
        async (m) => {
          if (key !== null) {
            const claim = await claimKey(m, scope, key, 'enrollMember', hash);
            if (claim.replay) return (await queryOne<Member>(m, `SELECT ${MEMBER_COLUMNS} FROM member WHERE id = $1`, [claim.resultId]))!;
          }
          if (await this.erased.wasErased(m, email)) {
            throw badInput('input.email', 'this address belonged to a member who was erased at their request; it is not enrolled again');
          }
          const referrer = referralCode ? await queryOne<{ id: string }>(m, `SELECT id FROM member WHERE referral_code = $1`, [referralCode]) : null;
          if (referralCode && !referrer) throw badInput('input.referralCode', 'no member has this referral code');
          const member = (await queryOne<Member>(
            m,
            `INSERT INTO member (email, display_name, birth_date, tier_id, enrolled_by_partner, referred_by)
           VALUES ($1, $2, $3, (SELECT id FROM tier ORDER BY rank LIMIT 1), $4, $5)
           RETURNING ${MEMBER_COLUMNS}`,
            [email, displayName, birthDate, enrolledByPartnerId, referrer?.id ?? null],
          ))!;
          await openWallet(m, member.id);
          // The enrolling partner may act for its new member (issue it tokens) without a link code.
          if (enrolledByPartnerId) await recordLink(m, member.id, enrolledByPartnerId, 'ENROLMENT');
          // For webhooks (MEMBER_ENROLLED): the enrolling partner's endpoints and the coalition's.
          await publish(m, { topic: 'MEMBER_ENROLLED', memberId: member.id, partnerId: enrolledByPartnerId, payload: { enrolledByPartnerId } });
          if (key !== null) await recordResult(m, scope, key, member.id);
          return member;
        },
        outer,
      );
    } catch (err) {
      if (pgErrorCode(err) === '23505' && pgConstraint(err) === 'member_email') {
        throw badInput('input.email', 'a member with this email is already enrolled (find it with memberByEmail)');
      }
      throw err;
    }
  }

  /**
   * Many new members at once for a joining partner's members file, in the file's transaction,
   * set-based: what enrol does for one (the member, its wallet, the enrolling partner's link, the
   * MEMBER_ENROLLED event), a statement each for the whole batch. The caller has checked the
   * fields, that the addresses differ (case aside), are no member's yet, and were not erased
   * (erasedAmong). Returns the new ids in input order.
   */
  async enrollMany(m: Tx, partnerId: string, people: readonly { email: string; displayName: string; birthDate: string | null }[]): Promise<string[]> {
    if (people.length === 0) return [];
    const rows = await query<{ id: string; e: string }>(
      m,
      `INSERT INTO member (email, display_name, birth_date, tier_id, enrolled_by_partner)
       SELECT e, d, b, (SELECT id FROM tier ORDER BY rank LIMIT 1), $4 FROM unnest($1::text[], $2::text[], $3::date[]) AS x(e, d, b)
       RETURNING id, lower(email) AS e`,
      [people.map((p) => p.email), people.map((p) => p.displayName), people.map((p) => p.birthDate), partnerId],
    );
    const byEmail = new Map(rows.map((r) => [r.e, r.id]));
    const ids = people.map((p) => byEmail.get(p.email.toLowerCase())!);
    await openWallets(m, ids);
    await recordLinks(m, ids, partnerId, 'ENROLMENT');
    await publish(m, ...ids.map((memberId) => ({ topic: 'MEMBER_ENROLLED' as const, memberId, partnerId, payload: { enrolledByPartnerId: partnerId } })));
    return ids;
  }

  /** The lower-cased addresses among `emails` that belonged to erased members (never enrolled again). */
  erasedAmong(m: Tx, emails: readonly string[]): Promise<Set<string>> {
    return this.erased.among(m, emails);
  }

  async byIds(ids: readonly string[]): Promise<Member[]> {
    return query<Member>(this.db, `SELECT ${MEMBER_COLUMNS} FROM member WHERE id = ANY($1::uuid[])`, [ids]);
  }

  /** cardNumber as a till sends it (spaces and dashes ignored); a number failing its check digit is refused naming cardNumber. */
  async byCard(cardNumberInput: string): Promise<Member | null> {
    const cardNumber = normalizeCardNumber(requireText(cardNumberInput, 'cardNumber'));
    if (cardNumber === null) throw badInput('cardNumber', 'a card number is 16 digits and this one fails its check digit: check it was typed right');
    return (await queryOne<Member>(this.db, `SELECT ${MEMBER_COLUMNS} FROM member WHERE card_number = $1`, [cardNumber])) ?? null;
  }

  /** null for an id that is no member's (also one that is not a UUID: a token's subject is never trusted blindly). */
  async byId(memberId: string): Promise<Member | null> {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(memberId)) return null;
    return (await queryOne<Member>(this.db, `SELECT ${MEMBER_COLUMNS} FROM member WHERE id = $1`, [memberId])) ?? null;
  }

  async byEmail(email: string): Promise<Member | null> {
    return (
      (await queryOne<Member>(this.db, `SELECT ${MEMBER_COLUMNS} FROM member WHERE lower(email) = lower($1)`, [requireText(email.trim(), 'email')])) ?? null
    );
  }

  async balances(memberIds: readonly string[]): Promise<(Balance & { memberId: string })[]> {
    return query(
      this.db,
      `SELECT a.member_id AS "memberId", a.balance AS available, a.lifetime_earned AS "lifetimeEarned", a.pending,
              ${qualifyingPointsOf('a.member_id')} AS "qualifyingPoints"
         FROM account a WHERE a.member_id = ANY($1::uuid[])`,
      [memberIds],
    );
  }

  /** Newest first. partnerScope limits to transactions made at that partner (what a partner may see). */
  async transactions(memberId: string, partnerScope: string | null, first?: number, after?: string): Promise<Page<PointsTransaction>> {
    return memberHistoryPage(
      this.db,
      { table: 'ledger_transaction', columns: TRANSACTION_COLUMNS, cursorKind: 'tx', counter: TRANSACTION_COUNT },
      memberId,
      partnerScope,
      first,
      after,
    );
  }
}
