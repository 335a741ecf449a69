// Recording a purchase, the edge of it: every check that needs no database, the request's
// idempotency fingerprint, and the hand-over to the one earn path (earn-writer.ts), which writes
// a single earn as a batch of one. previewEarn runs the same calculation on the same data there
// and writes nothing.
import { DomainError, ErrorCode, badInput, notFound } from '../../errors/domain-error';
import type { Tx } from '../../db/sql';
import { requireId } from '../../errors/ids';
import { requireText } from '../../errors/text';
import { Exact, currencyDigits } from '../../money/decimal';
import { Capability, actingPartnerId } from '../auth/policy';
import { Caller, callerScope } from '../auth/viewer';
import { requestHash, validKey } from '../ledger/idempotency';
import { assertPointsWithinTransactionLimit } from '../ledger/transaction-limit';
import { Channel, PointsTransaction } from '../ledger/points-transaction.entity';
import { Funder } from './earning.types';
import { Component, PurchaseItem, fundedBy, totalPoints } from './points-calculator';

export interface Purchase {
  memberId: string;
  amount: string;
  currencyCode: string;
  channel?: Channel | null;
  items?: PurchaseItem[] | null;
  partnerId?: string | null;
}

export interface EarnPoints extends Purchase {
  externalRef: string;
  idempotencyKey: string;
}

export interface EarnPreview {
  points: number;
  breakdown: Component[];
  exchangeRateId: string;
}

/** The revenue of the purchase's upsell lines (null: none marked), for program insight. */
export function upsellAmount(items: PurchaseItem[] | null): string | null {
  const lines = items?.filter((i) => i.upsell) ?? [];
  return lines.length === 0 ? null : lines.reduce((sum, i) => sum.plus(i.amount), new Exact(0)).toString();
}

export const MAX_PURCHASE_AMOUNT = new Exact('1e12');
// Balances are GraphQL Int (32-bit): refuse anything that would push one past it.
export const MAX_BALANCE = 2_147_483_647;
const MAX_REF_LENGTH = 255;
const MAX_ITEMS = 500;

export interface EarningPartner {
  id: string;
  status: 'ACTIVE' | 'SUSPENDED';
  isCoalition: boolean;
  currencyCode: string;
  issuanceAccountId: string;
  rateId: string | null;
  earnRate: string | null;
  burnRate: string | null;
  /** The partner's return window: points earned there stay pending this long (0: none). */
  pendingDays: number;
  /** Program settings the lots need, read in the same query (see lifecycle/program-settings). */
  expireAfterMonths: number | null;
  extendExpiryOnActivity: boolean;
}

export type RatedPartner = EarningPartner & { rateId: string; earnRate: string; burnRate: string };

/** A purchase that passed every check that needs no database: ready for a transaction. */
export interface PreparedEarn {
  p: ValidPurchase;
  /** The caller's idempotency scope ("partner:<id>", …) and key. */
  scope: string;
  key: string;
  externalRef: string;
  hash: string;
  /**
   * When the purchase was made, for a purchase reported after the fact (an earns file): it earns
   * at the rate version in force then, and time-bound earn rules judge it by then. Absent: now.
   */
  occurredAt?: Date | null;
}

/** The one earn path (earn-writer.ts): writes prepared earns, previews purchases. */
export interface EarnWriter {
  submit(earn: PreparedEarn): Promise<PointsTransaction>;
  /**
   * Many earns at once (an import's rows), for distinct members and receipts, written in the
   * caller's transaction beside the live queue, without idempotency claims (the caller books them
   * in that transaction); one answer per earn, in order: its transaction or its own error.
   */
  writeIn(m: Tx, earns: PreparedEarn[]): Promise<(PointsTransaction | DomainError)[]>;
  preview(p: ValidPurchase): Promise<EarnPreview>;
}

// The partner, its rate in force and the program settings an earn needs; `$1` is the partner id
// (or ids: the batched writer loads every partner of a batch in one statement).
export const EARNING_PARTNER_COLUMNS = `p.id, p.status, p.is_coalition AS "isCoalition", p.currency_code AS "currencyCode", a.id AS "issuanceAccountId",
              r.id AS "rateId", r.earn_rate::text AS "earnRate", r.burn_rate::text AS "burnRate", p.pending_days AS "pendingDays",
              s.points_expire_after_months AS "expireAfterMonths", s.extend_expiry_on_activity AS "extendExpiryOnActivity"`;
export const EARNING_PARTNER_FROM = `FROM partner p
         JOIN account a ON a.partner_id = p.id AND a.kind = 'PARTNER_ISSUANCE'
         CROSS JOIN program_settings s
         LEFT JOIN LATERAL (
           SELECT id, earn_rate, burn_rate FROM exchange_rate
            WHERE partner_id = p.id AND effective_from <= now()
            ORDER BY effective_from DESC, version DESC LIMIT 1) r ON true`;

/** The checks every purchase must pass against its partner: the same for one earn or a batch. */
export function checkPartner(partner: EarningPartner | undefined, p: ValidPurchase): RatedPartner {
  if (!partner || partner.isCoalition) throw notFound('input.partnerId', 'partner');
  if (partner.status !== 'ACTIVE') throw new DomainError(ErrorCode.PARTNER_SUSPENDED, 'This partner is suspended and cannot issue points', 'input.partnerId');
  if (p.currencyCode !== partner.currencyCode) {
    throw badInput('input.currencyCode', `this partner takes ${partner.currencyCode}, not ${p.currencyCode}`);
  }
  const digits = currencyDigits(p.currencyCode) ?? 2;
  if (p.amount.decimalPlaces() > digits) throw badInput('input.amount', `${p.currencyCode} has at most ${digits} decimal places`);
  p.items?.forEach((item, i) => {
    if (new Exact(item.amount).decimalPlaces() > digits) throw badInput(`input.items[${i}].amount`, `${p.currencyCode} has at most ${digits} decimal places`);
  });
  if (!partner.rateId || !partner.earnRate || !partner.burnRate) {
    throw new DomainError(ErrorCode.RATE_NOT_SET, 'This partner has no exchange rate in force yet', 'input.partnerId');
  }
  return partner as RatedPartner;
}

/** What an earn moves, worked out from the locked wallet. */
export function earnPostings(partner: EarningPartner, wallet: { balance: number }, breakdown: Component[]) {
  const points = totalPoints(breakdown);
  assertPointsWithinTransactionLimit(points, 'input.amount', 'this purchase');
  const byPartner = fundedBy(breakdown, Funder.PARTNER);
  const byCoalition = fundedBy(breakdown, Funder.COALITION);
  // Inside the partner's return window the points are issued but held in account.pending and
  // the lots' pending, out of the spendable balance, until the release job (lifecycle/pending.ts).
  const pending = partner.pendingDays > 0;
  if (wallet.balance + points > MAX_BALANCE) throw badInput('input.amount', 'this purchase would earn more points than a balance can hold');
  return { points, byPartner, byCoalition, pending };
}

export interface ValidPurchase {
  partnerId: string;
  memberId: string;
  amount: Exact;
  currencyCode: string;
  channel: Channel;
  items: PurchaseItem[] | null;
}

function validItems(items: PurchaseItem[] | null | undefined, amount: Exact): PurchaseItem[] | null {
  if (!items) return null;
  if (items.length === 0) throw badInput('input.items', 'give at least one item, or leave items out');
  if (items.length > MAX_ITEMS) throw badInput('input.items', `at most ${MAX_ITEMS} items`);
  let sum = new Exact(0);
  const clean = items.map((item, i) => {
    const field = `input.items[${i}]`;
    const sku = requireText(item.sku.trim(), `${field}.sku`);
    if (sku.length < 1 || sku.length > 64) throw badInput(`${field}.sku`, 'must be 1 to 64 characters');
    const category = item.category ? requireText(item.category.trim(), `${field}.category`) : null;
    if (category !== null && category.length > 64) throw badInput(`${field}.category`, 'at most 64 characters');
    if (!Number.isInteger(item.quantity) || item.quantity < 1 || item.quantity > 100_000) throw badInput(`${field}.quantity`, 'must be 1 to 100000');
    const lineAmount = new Exact(item.amount);
    if (lineAmount.lt(0)) throw badInput(`${field}.amount`, 'must not be negative');
    sum = sum.plus(lineAmount);
    // upsell only when set, so the idempotency fingerprint of a purchase without it is unchanged.
    return { sku, category, quantity: item.quantity, amount: lineAmount.toString(), ...(item.upsell ? { upsell: true } : {}) };
  });
  if (!sum.eq(amount)) throw badInput('input.items', `item amounts add up to ${sum.toString()}, not the purchase amount ${amount.toString()}`);
  return clean;
}

export class EarnService {
  constructor(private readonly writer: EarnWriter) {}

  /** capability: what staff acting for a partner need (recording a purchase serves a member; a preview only reads). */
  private validPurchase(caller: Caller, input: Purchase, capability = Capability.SERVE_MEMBERS): ValidPurchase {
    const partnerId = requireId(actingPartnerId(caller, capability, input.partnerId), 'input.partnerId');
    const memberId = requireId(input.memberId, 'input.memberId');
    const amount = new Exact(input.amount);
    if (amount.lte(0)) throw badInput('input.amount', 'must be greater than 0');
    if (amount.gt(MAX_PURCHASE_AMOUNT)) throw badInput('input.amount', 'must be at most 1000000000000');
    return {
      partnerId,
      memberId,
      amount,
      currencyCode: input.currencyCode.trim().toUpperCase(),
      channel: input.channel ?? Channel.ONLINE,
      items: validItems(input.items, amount),
    };
  }

  /** What this purchase would earn right now, without writing anything. */
  async preview(caller: Caller, input: Purchase): Promise<EarnPreview> {
    return this.writer.preview(this.validPurchase(caller, input, Capability.READ_PROGRAM));
  }

  /** Every check that needs no database, and the request's idempotency fingerprint. */
  prepare(caller: Caller, input: EarnPoints): PreparedEarn {
    const p = this.validPurchase(caller, input);
    const key = validKey(input.idempotencyKey);
    const externalRef = requireText(input.externalRef.trim(), 'input.externalRef');
    if (externalRef.length === 0) throw badInput('input.externalRef', 'must not be empty');
    if (externalRef.length > MAX_REF_LENGTH) throw badInput('input.externalRef', `at most ${MAX_REF_LENGTH} characters`);
    const hash = requestHash('earnPoints', {
      memberId: p.memberId,
      amount: p.amount.toString(),
      currencyCode: p.currencyCode,
      channel: p.channel,
      externalRef,
      partnerId: p.partnerId,
      items: p.items,
    });
    return { p, scope: callerScope(caller), key, externalRef, hash };
  }

  async earn(caller: Caller, input: EarnPoints): Promise<PointsTransaction> {
    return this.writer.submit(this.prepare(caller, input));
  }
}
