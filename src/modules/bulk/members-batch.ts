// Members files, a batch per transaction: the job row locked (one applier per job at a time),
// the rows still above its watermark applied together (members-import.ts), the refused ones reported. A batch failing as a whole
// (a surprise such as a live enrolment of the same email racing it) is applied again row by row,
// each in its own transaction, so one troublesome row never holds back the others.
import type { Pool, Tx } from '../../db/sql';
import { pgConstraint, pgErrorCode, withTransaction } from '../../db/transaction';
import { isConnectionError } from '../../db/connection-errors';
import type { Logger } from '../../logger';
import { BatchApplier, Bookkeep, ImportJobRow, StagedRow, rowsToApply } from './import-jobs';
import { MEMBER_COLUMNS_REQUIRED, MembersImport } from './members-import';

export class MembersBatch implements BatchApplier {
  readonly required = MEMBER_COLUMNS_REQUIRED;

  constructor(
    private readonly db: Pool,
    private readonly members: MembersImport,
    private readonly logger: Logger,
  ) {}

  async prepareBatch(job: ImportJobRow, rows: StagedRow[]): Promise<(bookkeep: Bookkeep) => Promise<void>> {
    return (bookkeep) => this.applyBatch(job, rows, bookkeep);
  }

  private async applyBatch(job: ImportJobRow, rows: StagedRow[], bookkeep: Bookkeep): Promise<void> {
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
    const still = await rowsToApply(m, job.id, rows);
    const errors = await this.members.applyMany(m, job.partnerId, still, new Date());
    await bookkeep(
      m,
      still.map((r) => r.rowNo),
      errors,
    );
  }
}
