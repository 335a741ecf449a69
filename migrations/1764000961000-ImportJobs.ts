import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Member and earn files. An upload is staged row by row (import_row) in one transaction, then
 * applied in batches: each batch's rows are written, deleted from the stage and counted on the job
 * in the same transaction, so a crash leaves every row either applied or still staged, and the
 * job resumes where it stopped. A partner's own customer ids (partner_member_ref) make a members
 * file's opening balances credited once however often it is sent.
 */
export class ImportJobs1764000961000 implements MigrationInterface {
  name = 'ImportJobs1764000961000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE import_job (
        id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        seq             bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        kind            text NOT NULL CHECK (kind IN ('MEMBERS', 'EARNS')),
        partner_id      uuid NOT NULL REFERENCES partner(id),
        -- QUEUED: the file is being received; RUNNING: staged, being applied.
        status          text NOT NULL DEFAULT 'QUEUED' CHECK (status IN ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED')),
        caller          text NOT NULL,
        idempotency_key text,
        format          text NOT NULL CHECK (format IN ('CSV', 'NDJSON')),
        rows_total      int,
        rows_done       int NOT NULL DEFAULT 0,
        rows_failed     int NOT NULL DEFAULT 0,
        created_at      timestamptz NOT NULL DEFAULT now(),
        finished_at     timestamptz,
        UNIQUE (caller, idempotency_key)
      );
      CREATE INDEX import_job_partner ON import_job (partner_id, seq DESC);
      CREATE INDEX import_job_open ON import_job (status) WHERE status IN ('QUEUED', 'RUNNING');

      CREATE TABLE import_row (
        job_id uuid NOT NULL REFERENCES import_job(id),
        row_no int NOT NULL,
        data   jsonb NOT NULL,
        PRIMARY KEY (job_id, row_no)
      );

      CREATE TABLE import_row_error (
        job_id  uuid NOT NULL REFERENCES import_job(id),
        row_no  int NOT NULL,
        code    text NOT NULL,
        field   text,
        message text NOT NULL,
        PRIMARY KEY (job_id, row_no)
      );

      CREATE TABLE partner_member_ref (
        partner_id  uuid NOT NULL REFERENCES partner(id),
        external_id text NOT NULL,
        member_id   uuid NOT NULL REFERENCES member(id),
        created_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (partner_id, external_id)
      );
      CREATE INDEX partner_member_ref_member ON partner_member_ref (member_id);

      ALTER TABLE member_partner_link DROP CONSTRAINT member_partner_link_via_check;
      ALTER TABLE member_partner_link ADD CONSTRAINT member_partner_link_via_check CHECK (via IN ('ENROLMENT', 'CODE', 'SEED', 'IMPORT'));
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DELETE FROM member_partner_link WHERE via = 'IMPORT';
      ALTER TABLE member_partner_link DROP CONSTRAINT member_partner_link_via_check;
      ALTER TABLE member_partner_link ADD CONSTRAINT member_partner_link_via_check CHECK (via IN ('ENROLMENT', 'CODE', 'SEED'));
      DROP TABLE partner_member_ref; DROP TABLE import_row_error; DROP TABLE import_row; DROP TABLE import_job;
    `);
  }
}
