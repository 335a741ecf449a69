// Members files, a batch per transaction: the job row locked (one applier per job at a time),
// the rows still staged applied together (members-import.ts), the refused ones reported. A batch failing as a whole
// (a surprise such as a live enrolment of the same email racing it) is applied again row by row,
// each in its own transaction, so one troublesome row never holds back the others.
import type { Pool, Tx } from '../../db/sql';
import { query } from '../../db/sql';
import { pgConstraint, pgErrorCode, withTransaction } from '../../db/transaction';
import { isConnectionError } from '../../db/connection-errors';
import type { Logger } from '../../logger';
import type { BatchApplier, Bookkeep, ImportJobRow, StagedRow } from './import-jobs';
import { MEMBER_COLUMNS_REQUIRED, MembersImport } from './members-import';

export class MembersBatch implements BatchApplier {
  readonly required = MEMBER_COLUMNS_REQUIRED;

  constructor(
    private readonly db: Pool,
    private readonly members: MembersImport,
    private readonly logger: Logger,
  ) {}

  async applyBatch(job: ImportJobRow, rows: StagedRow[], bookkeep: Bookkeep): Promise<void> {
    try {
      await withTransaction(this.db, (m) => this.applyIn(m, job, rows, bookkeep));
    } catch (err) {
      if (rows.length === 1 || isConnectionError(err)) throw err;
      for (const row of rows) {
        await withTransaction(this.db, (m) => this.applyIn(m, job, [row], bookkeep)).catch(async (e: unknown) => {
          if (isConnectionError(e)) throw e;
          // The code and constraint only: a database error's detail would quote the row (an email).
          this.logger.error({ code: pgErrorCode(e), constraint: pgConstraint(e), jobId: job.id, row: row.rowNo }, 'members import: a row failed unexpectedly');
          await withTransaction(this.db, (m) =>
            bookkeep(m, [row.rowNo], [{ row: row.rowNo, code: 'INTERNAL_SERVER_ERROR', field: null, message: 'this row could not be applied' }]),
          );
        });
      }
    }
  }

  private async applyIn(m: Tx, job: ImportJobRow, rows: StagedRow[], bookkeep: Bookkeep): Promise<void> {
    await query(m, `SELECT 1 FROM import_job WHERE id = $1 FOR UPDATE`, [job.id]);
    const still = new Set(
      (
        await query<{ rowNo: number }>(m, `SELECT row_no AS "rowNo" FROM import_row WHERE job_id = $1 AND row_no = ANY($2::int[])`, [
          job.id,
          rows.map((r) => r.rowNo),
        ])
      ).map((r) => r.rowNo),
    );
    const errors = await this.members.applyMany(
      m,
      job.partnerId,
      rows.filter((r) => still.has(r.rowNo)),
      new Date(),
    );
    await bookkeep(m, [...still], errors);
  }
}
