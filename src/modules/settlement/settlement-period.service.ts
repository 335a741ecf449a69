// Closing a settlement period: the settlement and the matrix of [from, to) computed once, inside
// the closing transaction, and stored as the period's statement. A closed period never changes:
// reversals of its transactions made later count in the period in which they are made (that is
// how the settlement counts them anyway), and the table refuses updates and deletes.
// Closings serialise on one advisory lock, so the overlap and gap checks see every closed period.
import type { Pool, Tx } from '../../db/sql';
import { query, queryOne } from '../../db/sql';
import { pgConstraint, withTransaction } from '../../db/transaction';
import { Page, decodeCursor, pageSize, toPage } from '../../db/pagination';
import { DomainError, ErrorCode, badInput } from '../../errors/domain-error';
import { claimKey, recordResult, requestHash, validKey } from '../ledger/idempotency';
import { AuditAction, AuditActor, AuditTargetType, recordAudit } from '../audit/audit-trail';
import { SettlementService, validPeriod } from './settlement.service';
import { SettlementStatement } from './settlement-statement.types';

const COLUMNS = `id, seq, period_from AS "from", period_to AS "to", closed_at AS "closedAt", lines, flows`;

/** The part of a statement a partner may read: its own line, its own row and column of the matrix. */
export function statementFor(statement: SettlementStatement, partnerId: string | null): SettlementStatement {
  if (partnerId === null) return statement;
  return {
    ...statement,
    lines: statement.lines.filter((l) => l.partnerId === partnerId),
    flows: statement.flows.filter((f) => f.issuerId === partnerId || f.redeemerId === partnerId),
  };
}

export class SettlementPeriodService {
  constructor(
    private readonly db: Pool,
    private readonly settlement: SettlementService,
  ) {}

  async close(from: Date, to: Date, idempotencyKey: string, actor: AuditActor): Promise<SettlementStatement> {
    const key = validKey(idempotencyKey, 'idempotencyKey');
    validPeriod(from, to);
    const hash = requestHash('closeSettlementPeriod', { from: from.toISOString(), to: to.toISOString() });
    return withTransaction(this.db, async (m) => {
      const claim = await claimKey(m, 'admin', key, 'closeSettlementPeriod', hash);
      if (claim.replay) return (await this.byId(claim.resultId, m))!;
      // The replay is answered first: a period closed yesterday still replays after its end passed.
      const now = (await queryOne<{ now: Date }>(m, `SELECT now()`))!.now;
      if (to.getTime() > now.getTime()) throw badInput('to', 'a period may not end in the future; close it once it is over');
      await query(m, `SELECT pg_advisory_xact_lock(hashtext('settlement_statement'))`);
      await this.checkSequence(m, from, to);
      const [lines, flows] = [await this.settlement.lines(from, to, null, m), await this.settlement.matrix(from, to, null, m)];
      let statement: SettlementStatement;
      try {
        statement = (await queryOne<SettlementStatement>(
          m,
          `INSERT INTO settlement_statement (period_from, period_to, lines, flows) VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`,
          [from, to, JSON.stringify(lines), JSON.stringify(flows)],
        ))!;
      } catch (err) {
        // Only reachable without the lock (it is taken above); the constraint is the last word.
        if (pgConstraint(err) === 'settlement_statement_no_overlap') throw new DomainError(ErrorCode.PERIOD_OVERLAPS, 'to: overlaps a closed period', 'to');
        throw err;
      }
      await recordResult(m, 'admin', key, statement.id);
      await recordAudit(m, {
        actor,
        action: AuditAction.SETTLEMENT_PERIOD_CLOSED,
        targetType: AuditTargetType.SETTLEMENT_STATEMENT,
        targetId: statement.id,
        partnerId: null,
        previous: null,
        current: { from: from.toISOString(), to: to.toISOString() },
      });
      return statement;
    });
  }

  /** Refuses an overlap (PERIOD_OVERLAPS) and a period that would leave a gap (PERIOD_GAP). */
  private async checkSequence(m: Tx, from: Date, to: Date): Promise<void> {
    const overlap = await queryOne<{ id: string; from: Date; to: Date }>(
      m,
      `SELECT id, period_from AS "from", period_to AS "to" FROM settlement_statement
        WHERE tstzrange(period_from, period_to, '[)') && tstzrange($1, $2, '[)') ORDER BY period_from LIMIT 1`,
      [from, to],
    );
    if (overlap) {
      throw new DomainError(
        ErrorCode.PERIOD_OVERLAPS,
        `from: [${from.toISOString()}, ${to.toISOString()}) overlaps the closed period [${overlap.from.toISOString()}, ${overlap.to.toISOString()})`,
        'from',
        { statementId: overlap.id, closedFrom: overlap.from.toISOString(), closedTo: overlap.to.toISOString() },
      );
    }
    const bounds = await queryOne<{ first: Date | null; last: Date | null }>(
      m,
      `SELECT min(period_from) AS first, max(period_to) AS last FROM settlement_statement`,
    );
    if (!bounds?.first || !bounds.last) return; // the first closed period may start anywhere
    // Contiguous after the last closed period, or just before the first one: nothing else.
    if (from.getTime() === bounds.last.getTime() || to.getTime() === bounds.first.getTime()) return;
    const [missingFrom, missingTo] = from.getTime() > bounds.last.getTime() ? [bounds.last, from] : [to, bounds.first];
    throw new DomainError(
      ErrorCode.PERIOD_GAP,
      `from: closed periods must follow each other; close [${missingFrom.toISOString()}, ${missingTo.toISOString()}) first, or choose a period that starts or ends there`,
      'from',
      { missingFrom: missingFrom.toISOString(), missingTo: missingTo.toISOString() },
    );
  }

  async byId(id: string, on: Pool | Tx = this.db): Promise<SettlementStatement | null> {
    return (await queryOne<SettlementStatement>(on, `SELECT ${COLUMNS} FROM settlement_statement WHERE id = $1`, [id])) ?? null;
  }

  /** Newest period first. */
  async list(first?: number | null, after?: string | null): Promise<Page<SettlementStatement>> {
    const size = pageSize(first);
    const before = decodeCursor('sst', after);
    const [rows, total] = await Promise.all([
      query<SettlementStatement>(this.db, `SELECT ${COLUMNS} FROM settlement_statement WHERE ($1::bigint IS NULL OR seq < $1) ORDER BY seq DESC LIMIT $2`, [
        before,
        size + 1,
      ]),
      queryOne<{ n: number }>(this.db, `SELECT count(*)::int AS n FROM settlement_statement`),
    ]);
    return toPage('sst', rows, size, total!.n);
  }
}
