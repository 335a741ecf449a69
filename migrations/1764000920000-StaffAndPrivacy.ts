import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 17, identification, consent and staff:
 * - member.card_number: the coalition card (16 digits, the last a Luhn check digit), unique,
 *   drawn by the database at every insert (so enrolment, imports and the seed all get one) and
 *   backfilled here for existing members. The issuer prefix 88 is the coalition's; 13 random
 *   digits follow. A clash with an existing number fails the insert on member_card_number, and
 *   enrolment draws again.
 * - member_partner_consent: partners a member shares its personal data with (a grant by the member
 *   or staff, or a partner link made with the member's code). The partner a member enrolled at
 *   sees it without a row here. Backfilled from the code and demo links that already exist.
 * - staff_user / staff_session: personal operator accounts with roles, passwords as scrypt
 *   hashes; sessions are opaque bearer tokens kept as SHA-256 hashes, with an expiry.
 * - security_audit names the staff user (actor_kind STAFF) or the member (MEMBER) behind a change.
 *   down() therefore works only while no entry names one: the trail is append-only.
 */
export class StaffAndPrivacy1764000920000 implements MigrationInterface {
  name = 'StaffAndPrivacy1764000920000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION luhn_check_digit(digits text) RETURNS int LANGUAGE sql IMMUTABLE STRICT AS $$
        SELECT (10 - sum(CASE WHEN (length(digits) - i) % 2 = 0
                              THEN (substr(digits, i, 1)::int * 2) / 10 + (substr(digits, i, 1)::int * 2) % 10
                              ELSE substr(digits, i, 1)::int END) % 10) % 10
          FROM generate_series(1, length(digits)) AS i
      $$;
      CREATE FUNCTION coalition_card_number() RETURNS text LANGUAGE sql VOLATILE AS $$
        SELECT body || luhn_check_digit(body)
          FROM (SELECT '88' || lpad((floor(random() * 1e13))::bigint::text, 13, '0') AS body) b
      $$;

      ALTER TABLE member ADD COLUMN card_number text;
      UPDATE member SET card_number = coalition_card_number();
      -- Draw again for any clash the backfill made (vanishingly rare), until none is left.
      DO $$
      BEGIN
        LOOP
          UPDATE member SET card_number = coalition_card_number()
           WHERE id IN (SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY card_number ORDER BY enrolled_at, id) AS n FROM member) d WHERE n > 1);
          EXIT WHEN NOT FOUND;
        END LOOP;
      END $$;
      ALTER TABLE member ALTER COLUMN card_number SET DEFAULT coalition_card_number(),
                         ALTER COLUMN card_number SET NOT NULL,
                         ADD CONSTRAINT member_card_number_format CHECK (card_number ~ '^[0-9]{16}$' AND luhn_check_digit(left(card_number, 15)) = right(card_number, 1)::int);
      CREATE UNIQUE INDEX member_card_number ON member (card_number);

      CREATE TABLE member_partner_consent (
        member_id  uuid NOT NULL REFERENCES member(id),
        partner_id uuid NOT NULL REFERENCES partner(id),
        -- GRANT: grantPartnerConsent (the member or staff); CODE: the member linked the partner
        -- with a one-time code; SEED: the demo coalition.
        via        text NOT NULL CHECK (via IN ('GRANT', 'CODE', 'SEED')),
        granted_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (member_id, partner_id)
      );
      INSERT INTO member_partner_consent (member_id, partner_id, via, granted_at)
      SELECT member_id, partner_id, via, linked_at FROM member_partner_link WHERE via IN ('CODE', 'SEED');

      CREATE TABLE staff_user (
        id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email         text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
        display_name  text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 255),
        roles         text[] NOT NULL CHECK (cardinality(roles) >= 1 AND roles <@ ARRAY['OWNER', 'PROGRAM_MANAGER', 'FINANCE', 'SUPPORT', 'AUDITOR']),
        -- scrypt$<log2 N>$<r>$<p>$<salt, base64url>$<hash, base64url>
        password_hash text NOT NULL,
        active        boolean NOT NULL DEFAULT true,
        created_at    timestamptz NOT NULL DEFAULT now(),
        last_login_at timestamptz,
        deactivated_at timestamptz,
        CHECK (active = (deactivated_at IS NULL))
      );
      CREATE UNIQUE INDEX staff_user_email ON staff_user (lower(email));

      CREATE TABLE staff_session (
        token_hash    bytea PRIMARY KEY,
        staff_user_id uuid NOT NULL REFERENCES staff_user(id),
        created_at    timestamptz NOT NULL DEFAULT now(),
        expires_at    timestamptz NOT NULL
      );
      CREATE INDEX staff_session_user ON staff_session (staff_user_id);
      CREATE INDEX staff_session_expires ON staff_session (expires_at);

      ALTER TABLE security_audit DROP CONSTRAINT security_audit_actor_kind_check;
      ALTER TABLE security_audit ADD CONSTRAINT security_audit_actor_kind_check CHECK (actor_kind IN ('ADMIN', 'PARTNER', 'SYSTEM', 'STAFF', 'MEMBER'));
      ALTER TABLE security_audit ADD COLUMN actor_staff_user_id uuid REFERENCES staff_user(id),
                                 ADD COLUMN actor_member_id uuid REFERENCES member(id),
                                 ADD CONSTRAINT security_audit_staff_actor CHECK ((actor_kind = 'STAFF') = (actor_staff_user_id IS NOT NULL)),
                                 ADD CONSTRAINT security_audit_member_actor CHECK ((actor_kind = 'MEMBER') = (actor_member_id IS NOT NULL));
      CREATE INDEX security_audit_staff ON security_audit (actor_staff_user_id, id DESC) WHERE actor_staff_user_id IS NOT NULL;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX security_audit_staff;
      ALTER TABLE security_audit DROP CONSTRAINT security_audit_member_actor, DROP CONSTRAINT security_audit_staff_actor,
                                 DROP COLUMN actor_member_id, DROP COLUMN actor_staff_user_id;
      ALTER TABLE security_audit DROP CONSTRAINT security_audit_actor_kind_check;
      ALTER TABLE security_audit ADD CONSTRAINT security_audit_actor_kind_check CHECK (actor_kind IN ('ADMIN', 'PARTNER', 'SYSTEM'));
      DROP TABLE staff_session;
      DROP TABLE staff_user;
      DROP TABLE member_partner_consent;
      DROP INDEX member_card_number;
      ALTER TABLE member DROP CONSTRAINT member_card_number_format, DROP COLUMN card_number;
      DROP FUNCTION coalition_card_number();
      DROP FUNCTION luhn_check_digit(text);
    `);
  }
}
