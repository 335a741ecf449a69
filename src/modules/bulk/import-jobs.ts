// Import jobs: receiving a file (staged in the same transaction that creates the job, so a job
// exists only once its whole file has arrived and parsed), applying it in batches, and resuming
// after a crash. Rows are numbered 1, 2, … and applied in that order: each batch's rows are
// applied, counted on the job and the job's watermark (applied_through) moved past them in one
// transaction, so a job interrupted anywhere resumes at the first row above the watermark and no
// row is ever half-applied. A finished job's stage is removed whole. Every instance sweeps for
// open jobs (a crashed instance's) now and then.
import type { Readable } from 'node:stream';
import type { Pool } from '../../db/sql';
import { Tx, query, queryOne } from '../../db/sql';
import { pgErrorCode, withTransaction } from '../../db/transaction';
import { Page, decodeCursor, pageSize, toPage } from '../../db/pagination';
import { DomainError, ErrorCode } from '../../errors/domain-error';
import type { ImportSettings } from '../../config';
import type { Logger } from '../../logger';
import { FileFormat, FileInvalid, RawRow, readRows } from './import-file';
import { stageRows } from './import-stage';
import { RowError } from './import-rows';
import { importRows } from '../../metrics';

export type ImportKind = 'MEMBERS' | 'EARNS';
export type ImportStatus = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED';

export interface ImportJobRow {
  id: string;
  seq: number;
  kind: ImportKind;
  partnerId: string;
  status: ImportStatus;
  rowsTotal: number | null;
  rowsDone: number;
  rowsFailed: number;
  /** The last row whose outcome is booked: the rows above it are still to apply. */
  appliedThrough: number;
  createdAt: Date;
  finishedAt: Date | null;
}

export const JOB_COLUMNS = `id, seq, kind, partner_id AS "partnerId", status, rows_total AS "rowsTotal", rows_done AS "rowsDone",
  rows_failed AS "rowsFailed", applied_through AS "appliedThrough", created_at AS "createdAt", finished_at AS "finishedAt"`;

export interface StagedRow {
  rowNo: number;
  data: RawRow;
}

/** Applies the batches of one kind of file. */
export interface BatchApplier {
  required: readonly string[];
  /**
   * Reads and checks a batch (whatever needs no transaction: parsing, lookups) and answers the
   * step that writes it and books its rows. The service prepares the next batch while the
   * previous one is being written, so the database and this process work at the same time.
   */
  prepareBatch(job: ImportJobRow, rows: StagedRow[]): Promise<(bookkeep: Bookkeep) => Promise<void>>;
}

/** The next batch, ready to write; 'none': every row is staged before it; null: the job is no longer open. */
type Prepared = { last: number; write: (bookkeep: Bookkeep) => Promise<void> } | 'none' | null;

/**
 * Records what became of `rowNos` (applied, or refused with `errors`) in the transaction `m` that
 * applied them: the rows next above the watermark, in order, as `rowsToApply` gave them.
 */
export type Bookkeep = (m: Tx, rowNos: number[], errors: RowError[]) => Promise<void>;

/**
 * In the transaction `m` that is to apply them: locks the job (one applier at a time, whichever
 * instance) and answers those of `rows` still above its watermark, in order (another instance
 * resuming the same job at once may have applied some).
 */
export async function rowsToApply<R extends { rowNo: number }>(m: Tx, jobId: string, rows: R[]): Promise<R[]> {
  const job = await queryOne<{ appliedThrough: number }>(m, `SELECT applied_through AS "appliedThrough" FROM import_job WHERE id = $1 FOR UPDATE`, [jobId]);
  return rows.filter((r) => r.rowNo > job!.appliedThrough);
}

export class ImportService {
  private readonly running = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly db: Pool,
    private readonly settings: ImportSettings,
    private readonly appliers: Record<ImportKind, BatchApplier>,
    private readonly logger: Logger,
  ) {}

  /**
   * Receives a file: the job and its staged rows in one transaction. A re-sent upload with the
   * same Idempotency-Key returns the first job (its body is not read). A malformed file makes a
   * FAILED job naming the cause, nothing staged.
   */
  async receive(kind: ImportKind, partnerId: string, caller: string, idempotencyKey: string | null, format: FileFormat, body: Readable): Promise<ImportJobRow> {
    if (idempotencyKey !== null) {
      const prior = await queryOne<ImportJobRow>(this.db, `SELECT ${JOB_COLUMNS} FROM import_job WHERE caller = $1 AND idempotency_key = $2`, [
        caller,
        idempotencyKey,
      ]);
      if (prior) {
        body.resume();
        if (prior.kind !== kind || prior.partnerId !== partnerId) {
          throw new DomainError(
            ErrorCode.IDEMPOTENCY_CONFLICT,
            'Idempotency-Key: already used for another import; use a new key for a new file',
            'Idempotency-Key',
          );
        }
        return prior;
      }
    }
    const client = await this.db.connect();
    const m = new Tx(client);
    let job: ImportJobRow;
    try {
      await client.query('BEGIN');
      job = (await queryOne<ImportJobRow>(
        m,
        `INSERT INTO import_job (kind, partner_id, caller, idempotency_key, format) VALUES ($1, $2, $3, $4, $5) RETURNING ${JOB_COLUMNS}`,
        [kind, partnerId, caller, idempotencyKey, format],
      ))!;
      const total = await stageRows(client, job.id, readRows(body, format, this.appliers[kind].required, this.settings.maxRows));
      job = (await queryOne<ImportJobRow>(m, `UPDATE import_job SET rows_total = $2 WHERE id = $1 RETURNING ${JOB_COLUMNS}`, [job.id, total]))!;
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      client.release();
      if (err instanceof FileInvalid) return this.failed(kind, partnerId, caller, idempotencyKey, format, err);
      throw err;
    }
    client.release();
    this.kick(job.id);
    return job;
  }

  /** A file that could not be read as a whole: a FAILED job whose one error says why. */
  private async failed(
    kind: ImportKind,
    partnerId: string,
    caller: string,
    idempotencyKey: string | null,
    format: FileFormat,
    err: FileInvalid,
  ): Promise<ImportJobRow> {
    return withTransaction(this.db, async (m) => {
      const job = (await queryOne<ImportJobRow>(
        m,
        `INSERT INTO import_job (kind, partner_id, caller, idempotency_key, format, status, rows_total, finished_at)
         VALUES ($1, $2, $3, $4, $5, 'FAILED', 0, now()) RETURNING ${JOB_COLUMNS}`,
        [kind, partnerId, caller, idempotencyKey, format],
      ))!;
      await query(m, `INSERT INTO import_row_error (job_id, row_no, code, field, message) VALUES ($1, $2, $3, $4, $5)`, [
        job.id,
        err.row,
        ErrorCode.IMPORT_FILE_INVALID,
        err.field ?? null,
        `${err.message}; nothing of the file was written`,
      ]);
      return job;
    });
  }

  /** Starts applying a job in this process unless it already is. */
  kick(jobId: string): void {
    if (this.stopped || this.running.has(jobId)) return;
    this.running.add(jobId);
    this.run(jobId)
      // The code only: an error's detail could quote a row of the file (personal data).
      .catch((err: unknown) => this.logger.warn({ code: pgErrorCode(err) ?? (err as Error)?.name, jobId }, 'import interrupted; the next sweep resumes it'))
      .finally(() => this.running.delete(jobId));
  }

  private async run(jobId: string): Promise<void> {
    const job = await queryOne<ImportJobRow>(
      this.db,
      `UPDATE import_job SET status = 'RUNNING' WHERE id = $1 AND status IN ('QUEUED', 'RUNNING') RETURNING ${JOB_COLUMNS}`,
      [jobId],
    );
    if (!job) return;
    const applier = this.appliers[job.kind];
    // The batch after the rows through `after`, read and checked; null: none left, or the job is no longer open.
    const prepare = async (after: number): Promise<Prepared> => {
      const open = await queryOne(this.db, `SELECT 1 FROM import_job WHERE id = $1 AND status = 'RUNNING'`, [jobId]);
      if (!open) return null;
      const rows = await query<StagedRow>(
        this.db,
        `SELECT row_no AS "rowNo", data FROM import_row WHERE job_id = $1 AND row_no > $2 ORDER BY row_no LIMIT $3`,
        [jobId, after, this.settings.batchRows],
      );
      if (rows.length === 0) return 'none';
      return { last: rows.at(-1)!.rowNo, write: await applier.prepareBatch(job, rows) };
    };
    let next = prepare(job.appliedThrough);
    for (;;) {
      const batch = await next;
      if (batch === 'none') await this.finish(jobId);
      if (!batch || batch === 'none' || this.stopped) return;
      // The next batch is read and checked while this one is written (its rows follow this
      // one's; should this one fail, the run ends and the next sweep starts from the watermark).
      next = prepare(batch.last);
      next.catch(() => undefined);
      // Counted once the batch has committed (its last bookkeeping is the one that landed).
      let counts = { done: 0, failed: 0 };
      await batch.write(async (m, rowNos, errors) => {
        counts = await bookkeep(m, jobId, rowNos, errors);
      });
      importRows.inc({ kind: job.kind, outcome: 'imported' }, counts.done);
      importRows.inc({ kind: job.kind, outcome: 'refused' }, counts.failed);
    }
  }

  /** Every row booked: the job succeeds and its stage goes, whole. */
  private async finish(jobId: string): Promise<void> {
    await withTransaction(this.db, async (m) => {
      const done = await query(
        m,
        `UPDATE import_job SET status = 'SUCCEEDED', finished_at = now() WHERE id = $1 AND status = 'RUNNING' AND applied_through >= rows_total RETURNING id`,
        [jobId],
      );
      if (done.length > 0) await query(m, `DELETE FROM import_row WHERE job_id = $1`, [jobId]);
    });
  }

  /** Resumes open jobs (this instance's before a crash, or another's that died), now and every sweep. */
  start(): void {
    const sweep = () =>
      query<{ id: string }>(this.db, `SELECT id FROM import_job WHERE status IN ('QUEUED', 'RUNNING') ORDER BY seq`)
        .then((jobs) => jobs.forEach((j) => this.kick(j.id)))
        .catch((err: unknown) => this.logger.warn({ err }, 'import sweep failed'));
    void sweep();
    this.timer = setInterval(sweep, this.settings.sweepIntervalMs).unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    while (this.running.size > 0) await new Promise((r) => setTimeout(r, 20));
  }

  async byId(id: string): Promise<ImportJobRow | null> {
    return (await queryOne<ImportJobRow>(this.db, `SELECT ${JOB_COLUMNS} FROM import_job WHERE id = $1`, [id])) ?? null;
  }

  /** Newest first; `partnerId` null: every partner's (admins). */
  async list(partnerId: string | null, first?: number | null, after?: string | null): Promise<Page<ImportJobRow>> {
    const size = pageSize(first);
    const before = decodeCursor('imp', after);
    const [rows, total] = await Promise.all([
      query<ImportJobRow>(
        this.db,
        `SELECT ${JOB_COLUMNS} FROM import_job WHERE ($1::uuid IS NULL OR partner_id = $1) AND ($2::bigint IS NULL OR seq < $2) ORDER BY seq DESC LIMIT $3`,
        [partnerId, before, size + 1],
      ),
      queryOne<{ n: number }>(this.db, `SELECT count(*)::int AS n FROM import_job WHERE $1::uuid IS NULL OR partner_id = $1`, [partnerId]),
    ]);
    return toPage('imp', rows, size, total!.n);
  }

  /** In row order. */
  async errors(jobId: string, first?: number | null, after?: string | null): Promise<Page<RowError & { seq: number }>> {
    const size = pageSize(first);
    const from = decodeCursor('ire', after);
    const [rows, total] = await Promise.all([
      query<RowError & { seq: number }>(
        this.db,
        `SELECT row_no AS row, row_no AS seq, code, field, message FROM import_row_error
          WHERE job_id = $1 AND ($2::int IS NULL OR row_no > $2) ORDER BY row_no LIMIT $3`,
        [jobId, from, size + 1],
      ),
      queryOne<{ n: number }>(this.db, `SELECT count(*)::int AS n FROM import_row_error WHERE job_id = $1`, [jobId]),
    ]);
    return toPage('ire', rows, size, total!.n);
  }
}

/**
 * In the transaction that wrote the batch (under the job's lock, from rowsToApply): its refused
 * rows recorded, the job's counters and watermark moved past its rows.
 */
async function bookkeep(m: Tx, jobId: string, rowNos: number[], errors: RowError[]): Promise<{ done: number; failed: number }> {
  if (rowNos.length === 0) return { done: 0, failed: 0 };
  const mine = new Set(rowNos);
  const failed = errors.filter((e) => mine.has(e.row));
  if (failed.length > 0) {
    await query(
      m,
      `INSERT INTO import_row_error (job_id, row_no, code, field, message)
       SELECT $1, * FROM unnest($2::int[], $3::text[], $4::text[], $5::text[]) ON CONFLICT DO NOTHING`,
      [jobId, failed.map((e) => e.row), failed.map((e) => e.code), failed.map((e) => e.field), failed.map((e) => e.message)],
    );
  }
  const first = Math.min(...rowNos);
  const last = Math.max(...rowNos);
  if (last - first + 1 !== mine.size) throw new Error('import bookkeeping: a batch books consecutive rows');
  const moved = await query(
    m,
    `UPDATE import_job SET rows_done = rows_done + $2, rows_failed = rows_failed + $3, applied_through = $5
      WHERE id = $1 AND applied_through = $4 - 1 RETURNING id`,
    [jobId, mine.size - failed.length, failed.length, first, last],
  );
  // Rows are booked once, next above the watermark: anything else is a bug, and nothing of it commits.
  if (moved.length === 0) throw new Error('import bookkeeping: rows not next above the watermark');
  return { done: mine.size - failed.length, failed: failed.length };
}
