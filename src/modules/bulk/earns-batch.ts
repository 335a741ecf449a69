// Earns files through the one earn path: each row is prepared exactly as a live earnPoints is
// (EarnService.prepare: the same checks and fingerprint) and submitted to the group-commit writer
// (earn-writer.ts, with its plug-ins: tiers, earn rules, punch cards, challenges, pending points),
// which writes them in set-based batches. Each row carries the idempotency key
// import:<job>/<row>, so a batch resumed after a crash replays what it had written instead of
// writing it twice; (partner, externalRef) is the writer's own once-only receipt rule, and a
// receipt that already earned (the same file sent again) is reported ALREADY_RECORDED.
import type { Pool } from '../../db/sql';
import { query } from '../../db/sql';
import { withTransaction } from '../../db/transaction';
import { DomainError, ErrorCode, badInput } from '../../errors/domain-error';
import type { EarnService } from '../earning/earn.service';
import type { EarnWriter, PreparedEarn } from '../earning/earn.service';
import type { PurchaseItem } from '../earning/points-calculator';
import { Channel } from '../ledger/points-transaction.entity';
import type { ImportSettings } from '../../config';
import type { BatchApplier, Bookkeep, ImportJobRow, StagedRow } from './import-jobs';
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

  /** member: a member id, an email, or the partner's own customer id (a members file's externalId). */
  private async members(partnerId: string, refs: string[]): Promise<Map<string, string>> {
    const found = await query<{ ref: string; id: string }>(
      this.db,
      `SELECT r.ref, coalesce(byid.id, byemail.id, byext.member_id) AS id
         FROM unnest($2::text[]) AS r(ref)
         LEFT JOIN member byid ON r.ref ~* '^[0-9a-f-]{36}$' AND byid.id = CASE WHEN r.ref ~* '^[0-9a-f-]{36}$' THEN r.ref::uuid END
         LEFT JOIN member byemail ON position('@' in r.ref) > 0 AND lower(byemail.email) = lower(r.ref)
         LEFT JOIN partner_member_ref byext ON byext.partner_id = $1 AND byext.external_id = r.ref`,
      [partnerId, refs],
    );
    return new Map(found.filter((f) => f.id !== null).map((f) => [f.ref, f.id]));
  }

  async applyBatch(job: ImportJobRow, rows: StagedRow[], bookkeep: Bookkeep): Promise<void> {
    const now = Date.now();
    const errors: RowError[] = [];
    const refs = [...new Set(rows.map((r) => optionalText(r.data, 'member')).filter((x): x is string => x !== null && x.length <= 254))];
    const memberIds = await this.members(job.partnerId, refs);
    const refused = (row: StagedRow, err: unknown) => {
      const receiptUsed = err instanceof DomainError && err.field === 'input.externalRef' && err.details?.originalTransactionId !== undefined;
      const e = rowError(
        row.rowNo,
        receiptUsed ? new ImportRowFailure('ALREADY_RECORDED', 'externalRef', 'this receipt has already earned points; nothing new was credited') : err,
      );
      if (!e) throw err;
      errors.push(e);
    };
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
    // A member's rows in file order (a tier reached by one earn multiplies the next, as it would
    // live): wave k holds each member's k-th row, written together as one batch of the writer.
    const waves: StagedRow[][] = [];
    const seen = new Map<string, number>();
    for (const row of rows) {
      const ref = String(optionalText(row.data, 'member') ?? '');
      const member = memberIds.get(ref) ?? `row:${row.rowNo}`;
      const k = seen.get(member) ?? 0;
      seen.set(member, k + 1);
      (waves[k] ??= []).push(row);
    }
    for (const wave of waves) {
      const ready: { row: StagedRow; earn: PreparedEarn }[] = [];
      for (const row of wave) {
        try {
          ready.push({ row, earn: prepare(row) });
        } catch (err) {
          refused(row, err);
        }
      }
      const outcomes = await this.writer.writeMany(
        ready.map((r) => r.earn),
        this.settings.batchRows,
      );
      // Every row settles before the batch is booked; an unexpected failure leaves it staged to resume.
      outcomes.forEach((o, i) => {
        if (o.status === 'rejected') refused(ready[i]!.row, o.reason);
      });
    }
    await withTransaction(this.db, (m) =>
      bookkeep(
        m,
        rows.map((r) => r.rowNo),
        errors,
      ),
    );
  }
}
