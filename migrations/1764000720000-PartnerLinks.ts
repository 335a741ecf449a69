import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Which partners a member has let act for it. A partner may issue member tokens for, and spend
 * the points of, only a member linked to it: the partner it enrolled at (linked at enrolment,
 * and backfilled here for members enrolled before links existed), or one the member linked by
 * giving it a one-time code from createPartnerLinkCode.
 *
 * Codes are kept as SHA-256 hashes: eight characters from a 31-letter alphabet, valid ten
 * minutes, used once. A used code stays (used_at, used_by_partner) until the member asks for
 * another, so a retried linkMember by the partner that redeemed it can answer again.
 */
export class PartnerLinks1764000720000 implements MigrationInterface {
  name = 'PartnerLinks1764000720000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE member_partner_link (
        member_id  uuid NOT NULL REFERENCES member(id),
        partner_id uuid NOT NULL REFERENCES partner(id),
        -- ENROLMENT: the partner enrolled the member; CODE: the member gave it a link code;
        -- SEED: the demo coalition.
        via        text NOT NULL CHECK (via IN ('ENROLMENT', 'CODE', 'SEED')),
        linked_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (member_id, partner_id)
      );

      CREATE TABLE partner_link_code (
        code_hash       bytea PRIMARY KEY,
        member_id       uuid NOT NULL REFERENCES member(id),
        created_at      timestamptz NOT NULL DEFAULT now(),
        expires_at      timestamptz NOT NULL,
        used_at         timestamptz,
        used_by_partner uuid REFERENCES partner(id),
        CHECK ((used_at IS NULL) = (used_by_partner IS NULL))
      );
      CREATE INDEX partner_link_code_member ON partner_link_code (member_id);

      -- Members enrolled before links existed keep working with the partner that enrolled them.
      INSERT INTO member_partner_link (member_id, partner_id, via, linked_at)
      SELECT id, enrolled_by_partner, 'ENROLMENT', enrolled_at FROM member WHERE enrolled_by_partner IS NOT NULL;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE partner_link_code;
      DROP TABLE member_partner_link;
    `);
  }
}
