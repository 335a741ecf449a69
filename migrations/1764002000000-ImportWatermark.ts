import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An import's progress as a watermark: applied_through is the last row number whose outcome
 * (written or refused) is booked. Rows are numbered 1, 2, … and applied in that order, so a
 * batch takes the staged rows above it and moves it in the transaction that wrote them, instead
 * of deleting each batch's rows from the stage (a DELETE per batch, and every next batch's read
 * walking past the dead index entries the deletes left). A finished job's stage is removed whole.
 */
export class ImportWatermark1764002000000 implements MigrationInterface {
  name = 'ImportWatermark1764002000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE import_job ADD COLUMN applied_through int NOT NULL DEFAULT 0`);
    // Jobs staged before: what is no longer staged was applied (rows are taken in order).
    await q.query(`
      UPDATE import_job j SET applied_through = coalesce((SELECT min(row_no) - 1 FROM import_row r WHERE r.job_id = j.id), coalesce(j.rows_total, 0))
       WHERE status IN ('QUEUED', 'RUNNING')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM import_row r USING import_job j WHERE j.id = r.job_id AND r.row_no <= j.applied_through`);
    await q.query(`ALTER TABLE import_job DROP COLUMN applied_through`);
  }
}
