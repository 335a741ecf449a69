// Earns files through the one earn path: each row is prepared exactly as a live earnPoints is
// (EarnService.prepare: the same checks) and written by the earn writer (earn-writer.ts, with its
// plug-ins: tiers, earn rules, punch cards, challenges, pending points) in set-based batches. A
// batch's earns and its bookkeeping (the job's watermark and counters, the refused rows) commit in
// one transaction, so a batch resumed after a crash starts where the last committed one ended and
// its rows need no idempotency claims; (partner, externalRef) is the writer's own once-only
// receipt rule, and a receipt that already earned (the same file sent again) is reported
// ALREADY_RECORDED.
import type { Pool, Tx } from '../../db/sql';
import { query } from '../../db/sql';
import { pgConstraint, pgErrorCode, withTransaction } from '../../db/transaction';
import { isConnectionError } from '../../db/connection-errors';
import type { Logger } from '../../logger';
import { DomainError, ErrorCode, badInput } from '../../errors/domain-error';
import type { EarnService } from '../earning/earn.service';
import type { EarnWriter, PreparedEarn } from '../earning/earn.service';
import type { PurchaseItem } from '../earning/points-calculator';
import { Channel } from '../ledger/points-transaction.entity';
import type { ImportSettings } from '../../config';
import { BatchApplier, Bookkeep, ImportJobRow, StagedRow, rowsToApply } from './import-jobs';
import { ImportRowFailure, RowError, optionalText, rowError, text } from './import-rows';
import { BREAK_GLASS } from '../auth/viewer';

export const EARN_COLUMNS_REQUIRED = ['member', 'amount', 'currencyCode', 'externalRef', 'occurredAt'] as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// A till's clock a little ahead of ours is not a purchase from the future.
const CLOCK_SKEW_MS = 5 * 60_000;

function items(raw: unknown): PurchaseItem[] | null {
  if (raw === undefined || raw === null || raw === '') return null;
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      throw badInput('items', 'a JSON array of {sku, category, quantity, amount}');
    }
  }
  if (!Array.isArray(value) || !value.every((i) => typeof i === 'object' && i !== null))
    throw badInput('items', 'a JSON array of {sku, category, quantity, amount}');
  return value.map((i: Record<string, unknown>, n) => {
    if (typeof i.sku !== 'string' || typeof i.quantity !== 'number' || (typeof i.amount !== 'string' && typeof i.amount !== 'number')) {
      throw badInput(`items[${n}]`, 'needs sku (text), quantity (a number) and amount');
    }
    return { sku: i.sku, category: typeof i.category === 'string' ? i.category : null, quantity: i.quantity, amount: String(i.amount) };
  });
}

export class EarnsBatch implements BatchApplier {
  readonly required = EARN_COLUMNS_REQUIRED;

  constructor(
    private readonly db: Pool,
    private readonly earn: EarnService,
    private readonly writer: EarnWriter,
    private readonly settings: ImportSettings,
    private readonly logger: Logger,
  ) {}

  private occurredAt(raw: Record<string, unknown>, now: number): Date {
    const v = text(raw, 'occurredAt', 64);
    const at = new Date(v);
    if (!/^\d{4}-\d{2}-\d{2}T/.test(v) || Number.isNaN(at.getTime())) throw badInput('occurredAt', 'an ISO 8601 date-time');
    if (at.getTime() > now + CLOCK_SKEW_MS) throw badInput('occurredAt', 'is in the future');
    if (at.getTime() < now - this.settings.maxBackdateDays * 86_400_000) {
      throw badInput('occurredAt', `older than ${this.settings.maxBackdateDays} days (IMPORT_MAX_BACKDATE_DAYS): send it as a correction instead`);
    }
    return at;
  }

  /**
   * member: a member id, an email, or the partner's own customer id (a members file's externalId).
   * Which refs can be ids is decided here, not by a pattern the database would test on every
   * row of the join (that cost most of the statement).
   */
  private async members(partnerId: string, refs: string[]): Promise<Map<string, string>> {
    const found = await query<{ ref: string; id: string }>(
      this.db,
      `SELECT r.ref, coalesce(byid.id, byemail.id, byext.member_id) AS id
         FROM unnest($2::text[], $3::uuid[]) AS r(ref, uid)
         LEFT JOIN member byid ON byid.id = r.uid
         LEFT JOIN member byemail ON position('@' in r.ref) > 0 AND lower(byemail.email) = lower(r.ref)
         LEFT JOIN partner_member_ref byext ON byext.partner_id = $1 AND byext.external_id = r.ref`,
      [partnerId, refs, refs.map((r) => (UUID.test(r) ? r : null))],
    );
    return new Map(found.filter((f) => f.id !== null).map((f) => [f.ref, f.id]));
  }

  /** Members looked up and each row prepared as earnPoints would; the write step takes the batch's transaction. */
  async prepareBatch(job: ImportJobRow, rows: StagedRow[]): Promise<(bookkeep: Bookkeep) => Promise<void>> {
    const now = Date.now();
    const refs = [...new Set(rows.map((r) => optionalText(r.data, 'member')).filter((x): x is string => x !== null && x.length <= 254))];
    const memberIds = await this.members(job.partnerId, refs);
    const prepare = (row: StagedRow): PreparedEarn => {
      const raw = row.data;
      const ref = text(raw, 'member', 254);
      const memberId = memberIds.get(ref);
      if (!memberId) throw new DomainError(ErrorCode.NOT_FOUND, 'no member with this id, email or customer id', 'member');
      if (UUID.test(ref) && memberId !== ref.toLowerCase()) throw new DomainError(ErrorCode.NOT_FOUND, 'no member with this id', 'member');
      const occurredAt = this.occurredAt(raw, now);
      const channel = optionalText(raw, 'channel') ?? Channel.IN_STORE;
      if (!Object.values(Channel).includes(channel as Channel)) throw badInput('channel', `one of ${Object.values(Channel).join(', ')}`);
      // The upload was authorized for this partner; each row is then checked as the system would.
      const prepared = this.earn.prepare(BREAK_GLASS, {
        partnerId: job.partnerId,
        memberId,
        amount: text(raw, 'amount', 40),
        currencyCode: text(raw, 'currencyCode', 3),
        channel: channel as Channel,
        externalRef: text(raw, 'externalRef', 255),
        items: items(raw.items),
        idempotencyKey: String(row.rowNo),
      });
      return { ...prepared, scope: `import:${job.id}`, occurredAt };
    };
    const planned: Planned[] = rows.map((row) => {
      try {
        return { row, earn: prepare(row) };
      } catch (err) {
        return { row, error: refusal(row, err) };
      }
    });
    return (bookkeep) => this.write(job, planned, bookkeep);
  }

  private async write(job: ImportJobRow, planned: Planned[], bookkeep: Bookkeep): Promise<void> {
    try {
      await withTransaction(this.db, (m) => this.applyIn(m, job, planned, bookkeep));
    } catch (err) {
      if (planned.length === 1 || isConnectionError(err)) throw err;
      // A surprise failing the batch as a whole (a till's earn with one of its receipts committing
      // between the receipt check and the write, …): each row on its own, in file order.
      for (const one of planned) {
        await withTransaction(this.db, (m) => this.applyIn(m, job, [one], bookkeep)).catch(async (e: unknown) => {
          if (isConnectionError(e)) throw e;
          const receipt = pgErrorCode(e) === '23505' && pgConstraint(e) === 'ledger_transaction_receipt';
          // The code and constraint only: a database error's detail would quote the row.
          if (!receipt)
            this.logger.error(
              { code: pgErrorCode(e), constraint: pgConstraint(e), jobId: job.id, row: one.row.rowNo },
              'earns import: a row failed unexpectedly',
            );
          const error = receipt
            ? alreadyRecorded(one.row.rowNo)
            : { row: one.row.rowNo, code: 'INTERNAL_SERVER_ERROR', field: null, message: 'this row could not be applied' };
          await withTransaction(this.db, async (m) => {
            if ((await rowsToApply(m, job.id, [one.row])).length > 0) await bookkeep(m, [one.row.rowNo], [error]);
          });
        });
      }
    }
  }

  /**
   * One transaction: the job locked, its rows still above the watermark written through the one
   * earn path and booked. A member's rows (and a receipt's) in file order — a tier reached by one
   * earn multiplies the next, as it would live: wave k holds each one's k-th row, and the waves are
   * written one after another in the transaction, each a batch of the earn writer.
   */
  private async applyIn(m: Tx, job: ImportJobRow, planned: Planned[], bookkeep: Bookkeep): Promise<void> {
    const todo = await rowsToApply(
      m,
      job.id,
      planned.map((p) => ({ ...p, rowNo: p.row.rowNo })),
    );
    const errors: RowError[] = todo.flatMap((p) => (p.error ? [p.error] : []));
    const waves: { row: StagedRow; earn: PreparedEarn }[][] = [];
    const lastWave = new Map<string, number>();
    for (const p of todo) {
      if (!p.earn) continue;
      const member = `m:${p.earn.p.memberId}`;
      const receipt = `r:${p.earn.externalRef}`;
      const k = Math.max(lastWave.get(member) ?? -1, lastWave.get(receipt) ?? -1) + 1;
      lastWave.set(member, k);
      lastWave.set(receipt, k);
      (waves[k] ??= []).push({ row: p.row, earn: p.earn });
    }
    for (const wave of waves) {
      if (!wave) continue;
      const answers = await this.writer.writeIn(
        m,
        wave.map((w) => w.earn),
      );
      answers.forEach((a, i) => {
        if (a instanceof DomainError) errors.push(refusal(wave[i]!.row, a));
      });
    }
    await bookkeep(
      m,
      todo.map((p) => p.row.rowNo),
      errors,
    );
  }
}

interface Planned {
  row: StagedRow;
  earn?: PreparedEarn;
  error?: RowError;
}

function alreadyRecorded(row: number): RowError {
  return rowError(row, new ImportRowFailure('ALREADY_RECORDED', 'externalRef', 'this receipt has already earned points; nothing new was credited'))!;
}

/** What a refused row is reported as; anything that is not the row's fault is rethrown. */
function refusal(row: StagedRow, err: unknown): RowError {
  const receiptUsed = err instanceof DomainError && err.field === 'input.externalRef' && err.details?.originalTransactionId !== undefined;
  if (receiptUsed) return alreadyRecorded(row.rowNo);
  const e = rowError(row.rowNo, err);
  if (!e) throw err;
  return e;
}
