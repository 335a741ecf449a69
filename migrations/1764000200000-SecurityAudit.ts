import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Security: the append-only audit trail of configuration writes, fixed-window rate-limit counters
 * shared by every gateway instance, and API-key bookkeeping for rotation (a grace period during
 * which the old key still works) and listing (when a key was last used).
 */
export class SecurityAudit1764000200000 implements MigrationInterface {
  name = 'SecurityAudit1764000200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- Who changed which configuration, when, from what to what. Written in the same transaction
      -- as the change; never updated or deleted (the triggers below refuse it).
      CREATE TABLE security_audit (
        id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at               timestamptz NOT NULL DEFAULT now(),
        actor_kind       text NOT NULL CHECK (actor_kind IN ('ADMIN', 'PARTNER', 'SYSTEM')),
        actor_partner_id uuid REFERENCES partner(id),
        actor_key_prefix text,
        action           text NOT NULL,
        target_type      text NOT NULL,
        target_id        text NOT NULL,
        -- The partner whose configuration changed (for filtering), when there is one.
        partner_id       uuid REFERENCES partner(id),
        previous_value   jsonb,
        new_value        jsonb,
        CHECK ((actor_kind = 'PARTNER') = (actor_partner_id IS NOT NULL))
      );
      CREATE INDEX security_audit_partner ON security_audit (partner_id, id DESC);
      CREATE INDEX security_audit_action ON security_audit (action, id DESC);
      CREATE INDEX security_audit_at ON security_audit (at);

      CREATE FUNCTION security_audit_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'security_audit is append-only';
      END $$;
      CREATE TRIGGER security_audit_no_update BEFORE UPDATE OR DELETE ON security_audit
        FOR EACH ROW EXECUTE FUNCTION security_audit_is_append_only();
      CREATE TRIGGER security_audit_no_truncate BEFORE TRUNCATE ON security_audit
        FOR EACH STATEMENT EXECUTE FUNCTION security_audit_is_append_only();

      -- One row per limited subject ("key:<id>", "member:<id>", "auth-ip:<address>"): the hits in
      -- its current fixed window. Upserted by one statement per counted request.
      CREATE TABLE rate_limit_counter (
        bucket       text PRIMARY KEY,
        window_start timestamptz NOT NULL,
        hits         bigint NOT NULL
      );

      -- Rotation with a grace period: the old key keeps working until expires_at.
      ALTER TABLE partner_api_key ADD COLUMN expires_at timestamptz;
      -- Refreshed at most about once a minute per key and instance, outside any request transaction.
      ALTER TABLE partner_api_key ADD COLUMN last_used_at timestamptz;
      CREATE INDEX partner_api_key_partner ON partner_api_key (partner_id, created_at);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX partner_api_key_partner;
      ALTER TABLE partner_api_key DROP COLUMN last_used_at, DROP COLUMN expires_at;
      DROP TABLE rate_limit_counter;
      DROP TABLE security_audit;
      DROP FUNCTION security_audit_is_append_only();
    `);
  }
}
