// Import jobs: receiving a file (staged row by row in the same transaction that creates the job,
// so a job exists only once its whole file has arrived and parsed), applying it in batches, and
// resuming after a crash. Each batch's rows are applied, removed from the stage and counted on the
// job together, so a job interrupted anywhere resumes at the first row not yet applied and no row
// is ever half-applied. Every instance sweeps for open jobs (a crashed instance's) now and then.
import type { Readable } from 'node:stream';
import type { Pool } from '../../db/sql';
import { Tx, query, queryOne } from '../../db/sql';
import { pgErrorCode, withTransaction } from '../../db/transaction';
import { Page, decodeCursor, pageSize, toPage } from '../../db/pagination';
import { DomainError, ErrorCode } from '../../errors/domain-error';
import type { ImportSettings } from '../../config';
import type { Logger } from '../../logger';
import { FileFormat, FileInvalid, RawRow, readRows } from './import-file';
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
  createdAt: Date;
  finishedAt: Date | null;
}

export const JOB_COLUMNS = `id, seq, kind, partner_id AS "partnerId", status, rows_total AS "rowsTotal", rows_done AS "rowsDone",
  rows_failed AS "rowsFailed", created_at AS "createdAt", finished_at AS "finishedAt"`;

export interface StagedRow {
  rowNo: number;
  data: RawRow;
}

/** Applies a batch of one kind of file; answers the rows it refused (the rest were written). */
export interface BatchApplier {
  required: readonly string[];
  applyBatch(job: ImportJobRow, rows: StagedRow[], bookkeep: Bookkeep): Promise<void>;
}

/** Records what became of `rowNos` (applied, or refused with `errors`) in the transaction `m` that applied them. */
export type Bookkeep = (m: Tx, rowNos: number[], errors: RowError[]) => Promise<void>;

const STAGE_ROWS = 1000;

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
      let batch: [number, string][] = [];
      let total = 0;
      const flush = async () => {
        if (batch.length === 0) return;
        await query(m, `INSERT INTO import_row (job_id, row_no, data) SELECT $1, * FROM unnest($2::int[], $3::jsonb[])`, [
          job.id,
          batch.map((b) => b[0]),
          batch.map((b) => b[1]),
        ]);
        batch = [];
      };
      for await (const [rowNo, data] of readRows(body, format, this.appliers[kind].required, this.settings.maxRows)) {
        batch.push([rowNo, JSON.stringify(data)]);
        total = rowNo;
        if (batch.length >= STAGE_ROWS) await flush();
      }
      await flush();
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
    for (;;) {
      if (this.stopped) return;
      const job = await queryOne<ImportJobRow>(
        this.db,
        `UPDATE import_job SET status = 'RUNNING' WHERE id = $1 AND status IN ('QUEUED', 'RUNNING') RETURNING ${JOB_COLUMNS}`,
        [jobId],
      );
      if (!job) return;
      const rows = await query<StagedRow>(this.db, `SELECT row_no AS "rowNo", data FROM import_row WHERE job_id = $1 ORDER BY row_no LIMIT $2`, [
        jobId,
        this.settings.batchRows,
      ]);
      if (rows.length === 0) {
        await query(this.db, `UPDATE import_job SET status = 'SUCCEEDED', finished_at = now() WHERE id = $1 AND status = 'RUNNING'`, [jobId]);
        return;
      }
      // Counted once the batch has committed (its last bookkeeping is the one that landed).
      let counts = { done: 0, failed: 0 };
      await this.appliers[job.kind].applyBatch(job, rows, async (m, rowNos, errors) => {
        counts = await bookkeep(m, jobId, rowNos, errors);
      });
      importRows.inc({ kind: job.kind, outcome: 'imported' }, counts.done);
      importRows.inc({ kind: job.kind, outcome: 'refused' }, counts.failed);
    }
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
 * In the transaction that wrote the batch: its refused rows recorded, all its rows taken off the
 * stage, the job's counters moved. Only rows this transaction took off count (another instance
 * resuming the same job at once may have applied some: their writes replayed, not repeated).
 */
async function bookkeep(m: Tx, jobId: string, rowNos: number[], errors: RowError[]): Promise<{ done: number; failed: number }> {
  const taken = await query<{ rowNo: number }>(m, `DELETE FROM import_row WHERE job_id = $1 AND row_no = ANY($2::int[]) RETURNING row_no AS "rowNo"`, [
    jobId,
    rowNos,
  ]);
  const mine = new Set(taken.map((t) => t.rowNo));
  const failed = errors.filter((e) => mine.has(e.row));
  if (failed.length > 0) {
    await query(
      m,
      `INSERT INTO import_row_error (job_id, row_no, code, field, message)
       SELECT $1, * FROM unnest($2::int[], $3::text[], $4::text[], $5::text[]) ON CONFLICT DO NOTHING`,
      [jobId, failed.map((e) => e.row), failed.map((e) => e.code), failed.map((e) => e.field), failed.map((e) => e.message)],
    );
  }
  await query(m, `UPDATE import_job SET rows_done = rows_done + $2, rows_failed = rows_failed + $3 WHERE id = $1`, [
    jobId,
    mine.size - failed.length,
    failed.length,
  ]);
  return { done: mine.size - failed.length, failed: failed.length };
}
