// Paying with points at a partner's till: in one transaction, claim the idempotency key, check
// the bill against the partner (currency, status, rate in force) and the program's cap and
// minimum, lock the member's wallet, spend the points oldest-expiry first and write the PAYMENT
// posting at the partner's burn-rate version (ledger/journal.ts), with the payment's own record
// (bill, discount, receipt). Settlement counts it exactly as a reward redemption at that partner.
import type { Pool, Tx } from '../../db/sql';
import { DomainError, ErrorCode, badInput } from '../../errors/domain-error';
import { requireId } from '../../errors/ids';
import { requireText } from '../../errors/text';
import { query, queryOne } from '../../db/sql';
import { withTransaction, pgConstraint } from '../../db/transaction';
import { Exact, currencyDigits } from '../../money/decimal';
import { Capability, actingPartnerId, requireLinkedPartner } from '../auth/policy';
import { Caller, callerScope } from '../auth/viewer';
import { isLinked } from '../linking/partner-link.service';
import { claimKey, recordResult, requestHash, validKey } from '../ledger/idempotency';
import { post } from '../ledger/journal';
import { PointsTransaction, TransactionType } from '../ledger/points-transaction.entity';
import { Wallet, coalitionAccountId } from '../ledger/wallet';
import { assertPointsWithinTransactionLimit } from '../ledger/transaction-limit';
import { lockMovableWallet } from '../member/member-status';
import { paymentDiscount } from './payment-arithmetic';
import { PAYMENT_COLUMNS, PayWithPointsInput, PointsPayment } from './payment.types';

const MAX_BILL = new Exact('1000000000000');
const MAX_REF_LENGTH = 255;

interface TillPartner {
  currencyCode: string;
  status: string;
  isCoalition: boolean;
  rateId: string | null;
  burnRate: string | null;
  maxShare: string;
  minPoints: number;
}

/** Every check that needs no database; the request's idempotency fingerprint. */
function validPayment(caller: Caller, input: PayWithPointsInput) {
  const partnerId = requireId(actingPartnerId(caller, Capability.SERVE_MEMBERS, input.partnerId), 'input.partnerId');
  const memberId = requireId(input.memberId, 'input.memberId');
  const key = validKey(input.idempotencyKey);
  const points = input.points;
  if (!Number.isInteger(points) || points < 1) throw badInput('input.points', 'must be a whole number of at least 1');
  assertPointsWithinTransactionLimit(points, 'input.points', 'this payment');
  const bill = new Exact(input.billAmount);
  if (bill.lte(0)) throw badInput('input.billAmount', 'must be greater than 0');
  if (bill.gt(MAX_BILL)) throw badInput('input.billAmount', 'must be at most 1000000000000');
  const currencyCode = input.currencyCode.trim().toUpperCase();
  const externalRef = requireText(input.externalRef.trim(), 'input.externalRef');
  if (externalRef.length === 0) throw badInput('input.externalRef', 'must not be empty');
  if (externalRef.length > MAX_REF_LENGTH) throw badInput('input.externalRef', `at most ${MAX_REF_LENGTH} characters`);
  const hash = requestHash('payWithPoints', { partnerId, memberId, points, bill: bill.toString(), currencyCode, externalRef });
  return { partnerId, memberId, key, points, bill, currencyCode, externalRef, hash };
}

export class PaymentService {
  constructor(private readonly db: Pool) {}

  async pay(caller: Caller, input: PayWithPointsInput): Promise<PointsPayment> {
    const p = validPayment(caller, input);
    // Spending a member's points is acting for it: a partner key only for a member linked to it.
    await requireLinkedPartner(caller, p.memberId, (mid, pid) => isLinked(this.db, mid, pid), 'input.memberId');

    return withTransaction(this.db, async (m) => {
      const claim = await claimKey(m, callerScope(caller), p.key, 'payWithPoints', p.hash);
      if (claim.replay) return (await queryOne<PointsPayment>(m, `SELECT ${PAYMENT_COLUMNS} FROM points_payment WHERE id = $1`, [claim.resultId]))!;

      const partner = await queryOne<TillPartner>(
        m,
        `SELECT p.currency_code AS "currencyCode", p.status, p.is_coalition AS "isCoalition", r.id AS "rateId", r.burn_rate::text AS "burnRate",
                s.max_points_payment_share::text AS "maxShare", s.min_points_per_payment AS "minPoints"
           FROM partner p
           CROSS JOIN program_settings s
           LEFT JOIN LATERAL (
             SELECT id, burn_rate FROM exchange_rate WHERE partner_id = p.id AND effective_from <= now()
              ORDER BY effective_from DESC, version DESC LIMIT 1) r ON true
          WHERE p.id = $1`,
        [p.partnerId],
      );
      if (!partner || partner.isCoalition) throw new DomainError(ErrorCode.NOT_FOUND, 'input.partnerId: no partner with this id', 'input.partnerId');
      if (partner.status !== 'ACTIVE')
        throw new DomainError(ErrorCode.PARTNER_SUSPENDED, 'This partner is suspended and cannot take points', 'input.partnerId');
      if (p.currencyCode !== partner.currencyCode) throw badInput('input.currencyCode', `this partner takes ${partner.currencyCode}, not ${p.currencyCode}`);
      const digits = currencyDigits(partner.currencyCode) ?? 2;
      if (p.bill.decimalPlaces() > digits) throw badInput('input.billAmount', `${partner.currencyCode} has at most ${digits} decimal places`);
      if (!partner.rateId || !partner.burnRate)
        throw new DomainError(ErrorCode.RATE_NOT_SET, 'This partner has no exchange rate in force yet', 'input.partnerId');
      if (p.points < partner.minPoints) {
        throw badInput('input.points', `a payment spends at least ${partner.minPoints} points`, { minimum: partner.minPoints });
      }
      const discount = paymentDiscount(p.points, p.bill, {
        burnRate: partner.burnRate,
        digits,
        maxShare: partner.maxShare,
        currencyCode: partner.currencyCode,
      });
      await this.requireUnusedReceipt(m, p.partnerId, p.externalRef);

      // The member guard every points movement asks (blocked, merged, erased), under the wallet lock.
      const wallet = await lockMovableWallet(m, p.memberId, 'input.memberId');
      if (wallet.balance < p.points) {
        throw new DomainError(
          ErrorCode.INSUFFICIENT_POINTS,
          `This payment spends ${p.points} points; ${Math.max(0, wallet.balance)} available`,
          'input.points',
          {
            required: p.points,
            available: wallet.balance,
          },
        );
      }
      const tx = await post(m, {
        type: TransactionType.PAYMENT,
        wallet,
        partnerId: p.partnerId,
        points: -p.points,
        counter: [{ accountId: await coalitionAccountId(m, 'COALITION_REDEMPTION'), amount: p.points }],
        use: { kind: 'consume' },
        exchangeRateId: partner.rateId,
        purchase: { amount: p.bill.toString(), currencyCode: partner.currencyCode, channel: null, externalRef: p.externalRef },
      });
      const payment = await this.record(m, p, tx, discount.toFixed(digits), partner.currencyCode);
      await recordResult(m, callerScope(caller), p.key, payment.id);
      return payment;
    });
  }

  /** A receipt already paid with points (committed, or racing us: the unique constraint decides). */
  private async requireUnusedReceipt(m: Tx, partnerId: string, externalRef: string): Promise<void> {
    const used = await queryOne<{ id: string }>(m, `SELECT id FROM points_payment WHERE partner_id = $1 AND external_ref = $2`, [partnerId, externalRef]);
    if (used) throw receiptUsed(used.id);
  }

  private async record(m: Tx, p: ReturnType<typeof validPayment>, tx: PointsTransaction, discount: string, currencyCode: string): Promise<PointsPayment> {
    try {
      return (await queryOne<PointsPayment>(
        m,
        `INSERT INTO points_payment (member_id, partner_id, points, discount, bill_amount, currency_code, external_ref, transaction_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${PAYMENT_COLUMNS}`,
        [p.memberId, p.partnerId, p.points, discount, p.bill.toString(), currencyCode, p.externalRef, tx.id],
      ))!;
    } catch (err) {
      if (pgConstraint(err) === 'points_payment_partner_id_external_ref_key') throw receiptUsed(null);
      throw err;
    }
  }

  async byIds(ids: readonly string[]): Promise<PointsPayment[]> {
    return query<PointsPayment>(this.db, `SELECT ${PAYMENT_COLUMNS} FROM points_payment WHERE id = ANY($1::uuid[])`, [ids]);
  }
}

function receiptUsed(originalPaymentId: string | null): DomainError {
  return badInput('input.externalRef', 'this receipt has already been paid with points; a receipt is paid with points once', { originalPaymentId });
}

/**
 * A refund at the till (reverseTransaction of a PAYMENT, whole): the points go back into the very
 * lots they came from, with their expiry. Runs in the reversal's transaction, under its wallet lock.
 */
export async function refundPayment(m: Tx, payment: PointsTransaction, wallet: Wallet, points: number | null, reason: string | null): Promise<string> {
  const record = await queryOne<{ id: string; points: number; reversedBy: string | null }>(
    m,
    `SELECT id, points, reversed_by_transaction AS "reversedBy" FROM points_payment WHERE transaction_id = $1 FOR UPDATE`,
    [payment.id],
  );
  if (!record) throw badInput('input.transactionId', 'this transaction has no payment to refund');
  if (record.reversedBy) throw badInput('input.transactionId', 'this payment has already been refunded');
  if (points !== null && points !== record.points) throw badInput('input.points', `a payment is refunded whole: omit points or give ${record.points}`);
  const tx = await post(m, {
    type: TransactionType.REVERSAL,
    wallet,
    partnerId: payment.partnerId,
    points: record.points,
    counter: [{ accountId: await coalitionAccountId(m, 'COALITION_REDEMPTION'), amount: -record.points }],
    use: { kind: 'restore', transactionId: payment.id },
    exchangeRateId: payment.exchangeRateId,
    reversesId: payment.id,
    reason,
  });
  await query(m, `UPDATE points_payment SET reversed_by_transaction = $2 WHERE id = $1`, [record.id, tx.id]);
  return tx.id;
}
