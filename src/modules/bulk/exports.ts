// CSV exports for finance, streamed: the transactions of a period (read in keyset pages, so the
// server holds one page at a time whatever the period's size) and a closed period's statement.
// Money as exact decimals, points as integers, times in UTC ISO 8601, a header row.
import type { Request, Response } from 'express';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import type { Pool } from '../../db/sql';
import { query } from '../../db/sql';
import { notFound } from '../../errors/domain-error';
import { exportPartnerScope, settlementScope } from '../auth/policy';
import { validPeriod } from '../settlement/settlement.service';
import { SettlementPeriodService, statementFor } from '../settlement/settlement-period.service';
import { Authenticate, answerError, dateParam, idParam } from './http-edge';
import { requireId } from '../../errors/ids';

const PAGE = 2000;

export const TRANSACTION_COLUMNS = [
  'id',
  'createdAt',
  'type',
  'partnerId',
  'memberId',
  'points',
  'balanceAfter',
  'purchaseAmount',
  'purchaseCurrency',
  'channel',
  'externalRef',
  'exchangeRateVersion',
  'reversesId',
] as const;

type Row = Record<(typeof TRANSACTION_COLUMNS)[number], string | number | null> & { seq: number };

async function* transactions(db: Pool, from: Date, to: Date, partnerId: string | null): AsyncGenerator<Row> {
  let after = 0;
  for (;;) {
    const rows = await query<Row>(
      db,
      `SELECT t.seq, t.id, to_char(t.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "createdAt", t.type,
              t.partner_id AS "partnerId", t.member_id AS "memberId", t.points, t.balance_after AS "balanceAfter",
              t.purchase_amount::text AS "purchaseAmount", t.purchase_currency AS "purchaseCurrency", t.channel,
              t.external_ref AS "externalRef", r.version AS "exchangeRateVersion", t.reverses_id AS "reversesId"
         FROM ledger_transaction t LEFT JOIN exchange_rate r ON r.id = t.exchange_rate_id
        WHERE t.created_at >= $1 AND t.created_at < $2 AND ($3::uuid IS NULL OR t.partner_id = $3) AND t.seq > $4
        ORDER BY t.seq LIMIT ${PAGE}`,
      [from, to, partnerId, after],
    );
    yield* rows;
    if (rows.length < PAGE) return;
    after = rows.at(-1)!.seq;
  }
}

function csvHeaders(res: Response, filename: string): void {
  res.status(200).setHeader('content-type', 'text/csv; charset=utf-8');
  res.setHeader('content-disposition', `attachment; filename="${filename}"`);
}

/** GET /exports/transactions.csv?from=&to=[&partnerId=] */
export function transactionsExport(db: Pool, authenticate: Authenticate) {
  return async (req: Request, res: Response, next: (err: unknown) => void) => {
    try {
      const viewer = await authenticate(req.headers.authorization, req);
      const partnerId = exportPartnerScope(viewer, idParam(req, 'partnerId'));
      const [from, to] = [dateParam(req, 'from'), dateParam(req, 'to')];
      validPeriod(from, to);
      csvHeaders(res, 'transactions.csv');
      await pipeline(
        Readable.from(transactions(db, from, to, partnerId)),
        stringify({ header: true, columns: [...TRANSACTION_COLUMNS], cast: { number: String } }),
        res,
      );
    } catch (err) {
      if (!answerError(res, err)) next(err);
    }
  };
}

export const STATEMENT_COLUMNS = [
  'kind',
  'statementId',
  'from',
  'to',
  'partnerId',
  'issuerId',
  'redeemerId',
  'currencyCode',
  'pointsIssued',
  'pointsRedeemed',
  'pointsExpired',
  'owedByPartner',
  'owedToPartner',
  'breakage',
  'net',
  'points',
  'value',
] as const;

/** GET /exports/settlement/<statementId>.csv: a LINE row per partner, then a FLOW row per issuer → redeemer. */
export function statementExport(periods: SettlementPeriodService, authenticate: Authenticate) {
  return async (req: Request, res: Response, next: (err: unknown) => void) => {
    try {
      const viewer = await authenticate(req.headers.authorization, req);
      const scope = settlementScope(viewer);
      const id = requireId(String(req.params.statementId), 'statementId');
      const found = await periods.byId(id);
      if (!found) throw notFound('statementId', 'settlement statement');
      const s = statementFor(found, scope);
      const common = { statementId: s.id, from: s.from.toISOString(), to: s.to.toISOString() };
      const rows = [
        ...s.lines.map((l) => ({
          kind: 'LINE',
          ...common,
          partnerId: l.partnerId,
          currencyCode: l.net.currencyCode,
          pointsIssued: l.pointsIssued,
          pointsRedeemed: l.pointsRedeemed,
          pointsExpired: l.pointsExpired,
          owedByPartner: l.owedByPartner.amount,
          owedToPartner: l.owedToPartner.amount,
          breakage: l.breakage.amount,
          net: l.net.amount,
        })),
        ...s.flows.map((f) => ({
          kind: 'FLOW',
          ...common,
          issuerId: f.issuerId,
          redeemerId: f.redeemerId,
          currencyCode: f.value.currencyCode,
          points: f.points,
          value: f.value.amount,
        })),
      ];
      csvHeaders(res, `settlement-${s.id}.csv`);
      await pipeline(Readable.from(rows), stringify({ header: true, columns: [...STATEMENT_COLUMNS], cast: { number: String } }), res);
    } catch (err) {
      if (!answerError(res, err)) next(err);
    }
  };
}
