import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Surveys (issue 18): NPS, CSAT, CES and REPURCHASE questions, the coalition's or a partner's,
 * answered once per member, optionally rewarded with a BONUS posting funded by the survey's owner.
 * A response carries the id of the transaction that wrote it (xid), which the insight rollup
 * reads incrementally (see 1764001010000-InsightAggregates).
 */
export class Surveys1764001000000 implements MigrationInterface {
  name = 'Surveys1764001000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE survey (
        id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        seq          bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        partner_id   uuid REFERENCES partner(id),  -- NULL: the coalition's own (coalition-funded bonus)
        kind         text NOT NULL CHECK (kind IN ('NPS', 'CSAT', 'CES', 'REPURCHASE')),
        question     text NOT NULL CHECK (length(question) BETWEEN 1 AND 500),
        bonus_points bigint NOT NULL CHECK (bonus_points BETWEEN 0 AND 1000000),
        active       boolean NOT NULL DEFAULT true,
        created_at   timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX survey_partner ON survey (partner_id, seq);

      CREATE TABLE survey_response (
        id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        survey_id      uuid NOT NULL REFERENCES survey(id),
        member_id      uuid NOT NULL REFERENCES member(id),
        score          int NOT NULL CHECK (score BETWEEN 0 AND 10),
        comment        text CHECK (length(comment) <= 1000),
        transaction_id uuid REFERENCES ledger_transaction(id),
        created_at     timestamptz NOT NULL DEFAULT now(),
        xid            xid8 NOT NULL DEFAULT pg_current_xact_id(),
        UNIQUE (survey_id, member_id)
      );
      CREATE INDEX survey_response_member ON survey_response (member_id);
      CREATE INDEX survey_response_xid ON survey_response (xid);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE survey_response; DROP TABLE survey;`);
  }
}
