// The one earn path. Every earn — a till's single purchase or a burst of them — is written here,
// in batches: earns that arrive while the writers are busy are gathered and written together,
// one transaction and a handful of set-based statements whatever the batch size; a lone earn is
// a batch of one. (One transaction per request cannot beat PostgreSQL's own limit: each costs a
// WAL flush and a dozen round trips.) Each request still gets its own answer:
//   - its own errors: a request that fails a check (unknown member, wrong currency, suspended
//     partner, key reused for another request, …) is answered alone and writes nothing; its
//     idempotency claim is taken back before COMMIT;
//   - idempotency: keys are claimed first, so a concurrent request with the same key (in another
//     batch) waits for ours and then replays it;
//   - the same arithmetic (points-calculator, earnPostings) as previewEarn.
// The plug-ins (earn-plugin.ts: earn rules, memberships, punch cards, referrals, challenges) read
// what they need in the batch's statements and act on each posted earn in the batch's
// transaction. If a batch fails as a whole (a receipt racing another request, any surprise),
// each of its earns is written again as a batch of one: idempotency keys make that safe.
// Conflicts and connections lost before COMMIT are retried (withTransaction); a connection lost
// during COMMIT is answered SERVICE_UNAVAILABLE, the outcome unknown, for the client to retry
// with its key.
// Ordering: a batch takes at most one earn per member and locks its wallets in member order, so
// per member, earns commit (and announce) one after another, and batches never deadlock.
import type { Pool } from '../../db/sql';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../logger';
import { outsideRequests } from '../../logger';
import { earnBatchSize } from '../../metrics';
import { DomainError, ErrorCode, badInput, notFound } from '../../errors/domain-error';
import { Tx, query, queryOne } from '../../db/sql';
import { isConnectionError } from '../../db/connection-errors';
import { pgConstraint, pgErrorCode, withTransaction } from '../../db/transaction';
import { PriorClaim, judgePrior } from '../ledger/idempotency';
import { assertPointsWithinTransactionLimit } from '../ledger/transaction-limit';
import { Posting, postMany } from '../ledger/journal';
import { PointsTransaction, TRANSACTION_COLUMNS, TransactionType } from '../ledger/points-transaction.entity';
import { Wallet, lockWallets, readWallets } from '../ledger/wallet';
import { assertMemberMayMovePoints } from '../member/member-status';
import { TierMove, moveTiers } from '../tier/tier-change';
import {
  EARNING_PARTNER_COLUMNS,
  EARNING_PARTNER_FROM,
  EarnPreview,
  EarnWriter,
  EarningPartner,
  PreparedEarn,
  RatedPartner,
  ValidPurchase,
  checkPartner,
  earnPostings,
  upsellAmount,
} from './earn.service';
import { EarnPlugin, EarnPluginData } from './earn-plugin';
import { Component, EarnInputs, computeEarn, totalPoints } from './points-calculator';
import type { EarnLimiter } from './rule-budget';

/** The answer to a receipt that already earned (README: Idempotency); `originalTransactionId` names that earn. */
function receiptUsedError(originalTransactionId: string | undefined): DomainError {
  return badInput('input.externalRef', 'this receipt has already earned points; a purchase earns once', { originalTransactionId });
}

/** An idempotency key as one string: the caller's scope and its key. */
const keyOf = (scope: string, key: string) => `${scope}\u0000${key}`;

export interface EarnBatchOptions {
  /** Batches in flight at once (each holds one pooled connection while it runs). */
  writers: number;
  /** Most earns in one batch. */
  maxBatch: number;
}

/** Who funds coalition-funded points (paid memberships, coalition-wide rules). */
export interface Issuer {
  partnerId: string;
  issuanceAccountId: string;
}

interface Waiting {
  earn: PreparedEarn;
  resolve(tx: PointsTransaction): void;
  reject(err: unknown): void;
}

interface TierRow {
  id: string;
  rank: number;
  qualifyingPoints: number;
  earnMultiplier: string;
}

type PartnerRow = EarningPartner & Record<string, unknown>;
type MemberRow = Wallet & Record<string, unknown>;

/** What a batch reads before it locks anything: partners, tiers and the plug-ins' batch columns. */
interface References {
  partners: PartnerRow[];
  tiers: TierRow[];
  [plugin: string]: unknown;
}

export interface EarnBatchStats {
  batches: number;
  earns: number;
  largest: number;
  /** Earns written again as a batch of one because their batch failed as a whole. */
  alone: number;
  failedBatches: number;
}

const column = (plugin: EarnPlugin) => `x_${plugin.name}`;

export class EarnBatchWriter implements EarnWriter {
  private readonly queue: Waiting[] = [];
  private active = 0;
  private scheduled = false;
  readonly stats: EarnBatchStats = { batches: 0, earns: 0, largest: 0, alone: 0, failedBatches: 0 };
  private readonly referencesSql: string;
  private readonly memberColumns: string;

  constructor(
    private readonly db: Pool,
    private readonly coalition: Issuer,
    private readonly plugins: readonly EarnPlugin[],
    private readonly options: EarnBatchOptions,
    private readonly logger: Logger,
  ) {
    const partnerColumns = plugins
      .filter((x) => x.partnerSql)
      .map((x) => `, (${x.partnerSql}) AS "${column(x)}"`)
      .join('');
    const batchColumns = plugins
      .filter((x) => x.batchSql)
      .map((x) => `, (${x.batchSql}) AS "${column(x)}"`)
      .join('');
    this.referencesSql = `SELECT
         (SELECT coalesce(json_agg(x), '[]') FROM (SELECT ${EARNING_PARTNER_COLUMNS}${partnerColumns} ${EARNING_PARTNER_FROM} WHERE p.id = ANY($1::uuid[])) x) AS partners,
         (SELECT json_agg(x ORDER BY x.rank) FROM (SELECT id, rank, qualifying_points AS "qualifyingPoints", earn_multiplier::text AS "earnMultiplier" FROM tier) x) AS tiers${batchColumns}`;
    this.memberColumns = plugins
      .filter((x) => x.memberSql)
      .map((x) => `(${x.memberSql}) AS "${column(x)}"`)
      .join(', ');
  }

  submit(earn: PreparedEarn): Promise<PointsTransaction> {
    return new Promise((resolve, reject) => {
      this.queue.push({ earn, resolve, reject });
      this.schedule();
    });
  }

  /**
   * Bulk files: the live queue's batch (the same statements, checks and plug-ins), only larger
   * (its statements are set-based, so its cost grows far slower than its size) and written in
   * the caller's transaction `m`, beside the queue, so a big file neither waits behind nor
   * crowds out the tills' earns. The caller books the earns in `m` too (an import moves its
   * job's watermark there), so they take no idempotency claims: the earns and their booking
   * commit together or not at all. A receipt that already earned (in the ledger or earlier in
   * `m`) is refused as a live earn's is, before anything is written. The earns are for distinct
   * members and receipts; the answer for each, in order, is its transaction or the error it
   * alone gets. Anything else fails the call, and with it the caller's transaction.
   */
  async writeIn(m: Tx, earns: PreparedEarn[]): Promise<(PointsTransaction | DomainError)[]> {
    const members = new Set(earns.map((e) => e.p.memberId));
    const receipts = new Set(earns.map((e) => `${e.p.partnerId}\u0000${e.externalRef}`));
    if (members.size !== earns.length || receipts.size !== earns.length) throw new Error('writeIn: earns for distinct members and receipts only');
    const batch: Waiting[] = earns.map((earn) => ({ earn, resolve: () => undefined, reject: () => undefined }));
    this.stats.batches++;
    this.stats.earns += batch.length;
    this.stats.largest = Math.max(this.stats.largest, batch.length);
    earnBatchSize.observe(batch.length);
    const used = await query<{ i: number; id: string }>(
      m,
      `SELECT k.i::int AS i, t.id FROM unnest($1::uuid[], $2::text[]) WITH ORDINALITY AS k(partner_id, ref, i)
         JOIN ledger_transaction t ON t.partner_id = k.partner_id AND t.external_ref = k.ref AND t.type = 'EARN'`,
      [earns.map((e) => e.p.partnerId), earns.map((e) => e.externalRef)],
    );
    const answers = new Map<Waiting, PointsTransaction | DomainError>();
    for (const u of used) answers.set(batch[u.i - 1]!, receiptUsedError(u.id));
    const fresh = batch.filter((w) => !answers.has(w));
    if (fresh.length > 0) for (const [w, a] of await this.write(m, fresh, false)) answers.set(w, a);
    return batch.map((w) => answers.get(w)!);
  }

  /** What `p` would earn right now: the same reads and calculation as a write, nothing locked or written. */
  async preview(p: ValidPurchase): Promise<EarnPreview> {
    const refs = await this.references(this.db, [p.partnerId]);
    const partner = checkPartner(refs.partners[0], p) as RatedPartner & Record<string, unknown>;
    const [member] = await readWallets<MemberRow>(this.db, [p.memberId], this.memberColumns);
    if (!member) throw notFound('input.memberId', 'member');
    const limiters = await this.limiters(this.db, refs, [p.memberId], false);
    const breakdown = this.calculate(p, partner, member, refs, new Date(), limiters);
    // What the earn would refuse, the preview refuses the same way.
    assertPointsWithinTransactionLimit(totalPoints(breakdown), 'input.amount', 'this purchase');
    return { points: totalPoints(breakdown), breakdown, exchangeRateId: partner.rateId };
  }

  /** Start batches on the next turn of the event loop, so earns parsed in this turn ride together. */
  private schedule(): void {
    if (this.scheduled || this.active >= this.options.writers || this.queue.length === 0) return;
    this.scheduled = true;
    // A batch serves many requests: its log lines name none of them (not just the first to arrive).
    setImmediate(() =>
      outsideRequests(() => {
        this.scheduled = false;
        while (this.active < this.options.writers && this.queue.length > 0) {
          const batch = this.take();
          this.active++;
          void this.run(batch).finally(() => {
            this.active--;
            this.schedule();
          });
        }
      }),
    );
  }

  /** Resolves once no earn waits or is being written: a draining instance answers every earn it took. */
  async idle(): Promise<void> {
    while (this.queue.length > 0 || this.active > 0 || this.scheduled) await new Promise((r) => setTimeout(r, 10));
  }

  /** The oldest waiting earns, at most one per member and per idempotency key; the rest wait their turn. */
  private take(): Waiting[] {
    const batch: Waiting[] = [];
    const later: Waiting[] = [];
    const members = new Set<string>();
    const keys = new Set<string>();
    for (const w of this.queue) {
      const key = keyOf(w.earn.scope, w.earn.key);
      if (batch.length >= this.options.maxBatch || members.has(w.earn.p.memberId) || keys.has(key)) {
        later.push(w);
        continue;
      }
      members.add(w.earn.p.memberId);
      keys.add(key);
      batch.push(w);
    }
    // One pass, whatever the queue's length (a splice per taken earn was quadratic under a backlog).
    this.queue.length = 0;
    for (const w of later) this.queue.push(w);
    return batch;
  }

  private async run(batch: Waiting[]): Promise<void> {
    this.stats.batches++;
    this.stats.earns += batch.length;
    this.stats.largest = Math.max(this.stats.largest, batch.length);
    earnBatchSize.observe(batch.length);
    let answers: Map<Waiting, PointsTransaction | DomainError>;
    try {
      answers = await withTransaction(this.db, (m) => this.write(m, batch));
    } catch (err) {
      if (batch.length === 1) {
        const [w] = batch;
        if (pgErrorCode(err) === '23505' && pgConstraint(err) === 'ledger_transaction_receipt') {
          this.receiptUsed(w!.earn).then(w!.reject, w!.reject);
        } else w!.reject(err);
        return;
      }
      // Lost while committing, or still lost after the retries: the batch may or may not have
      // landed; each caller learns that (SERVICE_UNAVAILABLE) and retries with its key.
      this.stats.failedBatches++;
      if (isConnectionError(err)) {
        for (const w of batch) w.reject(err);
        return;
      }
      // Anything else (a receipt racing another request, …): each earn on its own.
      this.logger.debug({ err, size: batch.length }, 'earn batch failed; writing its earns one by one');
      this.stats.alone += batch.length;
      await Promise.all(batch.map((w) => this.run([w])));
      return;
    }
    for (const [w, answer] of answers) {
      if (answer instanceof DomainError) w.reject(answer);
      else w.resolve(answer);
    }
  }

  /** The answer to a receipt that already earned: a purchase earns once (README: Idempotency). */
  private async receiptUsed(earn: PreparedEarn): Promise<DomainError> {
    const original = await queryOne<{ id: string }>(
      this.db,
      `SELECT id FROM ledger_transaction WHERE partner_id = $1 AND external_ref = $2 AND type = 'EARN'`,
      [earn.p.partnerId, earn.externalRef],
    );
    return receiptUsedError(original?.id);
  }

  private async references(db: Pool | Tx, partnerIds: string[]): Promise<References> {
    return (await queryOne<References>(db, this.referencesSql, [partnerIds]))!;
  }

  private pluginData(x: EarnPlugin, refs: References, partner: PartnerRow, member: MemberRow): EarnPluginData {
    const key = column(x);
    return { batch: refs[key] ?? null, partner: partner[key] ?? null, member: member[key] ?? null };
  }

  /** The plug-ins' limits for these members (campaign budgets, caps); none costs no statement. */
  private async limiters(db: Pool | Tx, refs: References, memberIds: readonly string[], lock: boolean): Promise<EarnLimiter[]> {
    const limiters: EarnLimiter[] = [];
    for (const x of this.plugins) {
      const l = await x.limit?.(db, refs[column(x)] ?? null, memberIds, lock);
      if (l) limiters.push(l);
    }
    return limiters;
  }

  /** The points-calculator's answer for one purchase, with what the plug-ins add to its input. */
  private calculate(
    p: ValidPurchase,
    partner: RatedPartner & Record<string, unknown>,
    member: MemberRow,
    refs: References,
    now: Date,
    limiters: readonly EarnLimiter[],
  ): Component[] {
    const input: EarnInputs = {
      amount: p.amount.toString(),
      items: p.items,
      channel: p.channel,
      earnRate: partner.earnRate,
      burnRate: partner.burnRate,
      tierMultiplier: member.tierMultiplier,
      tierRank: member.tierRank,
      membership: null,
      rules: [],
      now,
      allowance:
        limiters.length === 0
          ? undefined
          : (ruleId) =>
              limiters.reduce<number | null>((least, l) => {
                const a = l.allowance(p.memberId, ruleId);
                return a === null ? least : least === null ? a : Math.min(least, a);
              }, null),
    };
    for (const x of this.plugins) x.shape?.(input, this.pluginData(x, refs, partner, member), p.partnerId);
    return computeEarn(input);
  }

  /**
   * Earns reported after the fact (occurredAt) take the rate version that was in force then —
   * effective and already created at that moment — instead of today's; one statement for all.
   */
  private async ratedAsOccurred<R extends { w: Waiting; partner: RatedPartner & Record<string, unknown> }>(
    m: Tx,
    ready: R[],
    refuse: (w: Waiting, err: unknown) => void,
  ): Promise<R[]> {
    const late = ready.filter((r) => r.w.earn.occurredAt);
    if (late.length === 0) return ready;
    const rates = await query<{ i: number; id: string; earnRate: string; burnRate: string }>(
      m,
      `SELECT DISTINCT ON (k.i) k.i::int AS i, x.id, x.earn_rate::text AS "earnRate", x.burn_rate::text AS "burnRate"
         FROM unnest($1::uuid[], $2::timestamptz[]) WITH ORDINALITY AS k(partner_id, at, i)
         JOIN exchange_rate x ON x.partner_id = k.partner_id AND x.effective_from <= k.at AND x.created_at <= k.at
        ORDER BY k.i, x.effective_from DESC, x.version DESC`,
      [late.map((r) => r.w.earn.p.partnerId), late.map((r) => r.w.earn.occurredAt)],
    );
    const byIndex = new Map(rates.map((r) => [r.i, r]));
    const refused = new Set<Waiting>();
    late.forEach((r, n) => {
      const rate = byIndex.get(n + 1);
      if (!rate) {
        refused.add(r.w);
        refuse(r.w, new DomainError(ErrorCode.RATE_NOT_SET, 'occurredAt: the partner had no exchange rate in force then', 'input.occurredAt'));
        return;
      }
      r.partner = { ...r.partner, rateId: rate.id, earnRate: rate.earnRate, burnRate: rate.burnRate };
    });
    return ready.filter((r) => !refused.has(r.w));
  }

  /**
   * The batch's writes; the answer for each earn (its transaction, or the error it alone gets).
   * claim: take each earn's idempotency key (false: the caller's own booking makes them once-only).
   */
  private async write(m: Tx, batch: Waiting[], claim = true): Promise<Map<Waiting, PointsTransaction | DomainError>> {
    const answers = new Map<Waiting, PointsTransaction | DomainError>();
    const refuse = (w: Waiting, err: unknown) => {
      if (!(err instanceof DomainError)) throw err;
      answers.set(w, err);
    };

    // 1. Partners, tiers and the plug-ins' batch reads, in one statement.
    const refs = await this.references(m, [...new Set(batch.map((w) => w.earn.p.partnerId))]);
    const partners = new Map(refs.partners.map((p) => [p.id, p]));
    let ready: { w: Waiting; partner: RatedPartner & Record<string, unknown>; txId: string }[] = [];
    for (const w of batch) {
      try {
        const partner = checkPartner(partners.get(w.earn.p.partnerId), w.earn.p) as RatedPartner & Record<string, unknown>;
        ready.push({ w, partner, txId: randomUUID() });
      } catch (err) {
        refuse(w, err);
      }
    }
    if (ready.length === 0) return answers;
    ready = await this.ratedAsOccurred(m, ready, refuse);
    if (ready.length === 0) return answers;

    // 2. Claim the keys, each with the id its transaction will have (so no second statement
    //    records the result). A key already claimed is a replay, or a conflict.
    if (claim) {
      const claimed = await query<{ caller: string; key: string }>(
        m,
        `INSERT INTO idempotency_key (caller, key, operation, request_hash, result_id)
         SELECT caller, key, 'earnPoints', hash, tx_id FROM unnest($1::text[], $2::text[], $3::text[], $4::uuid[]) AS k(caller, key, hash, tx_id)
         ON CONFLICT (caller, key) DO NOTHING RETURNING caller, key`,
        [ready.map((r) => r.w.earn.scope), ready.map((r) => r.w.earn.key), ready.map((r) => r.w.earn.hash), ready.map((r) => r.txId)],
      );
      const mine = new Set(claimed.map((c) => keyOf(c.caller, c.key)));
      const others = ready.filter((r) => !mine.has(keyOf(r.w.earn.scope, r.w.earn.key)));
      if (others.length > 0)
        await this.replays(
          m,
          others.map((r) => r.w),
          answers,
        );
      ready = ready.filter((r) => mine.has(keyOf(r.w.earn.scope, r.w.earn.key)));
      if (ready.length === 0) return answers;
    }

    // 3. Lock the wallets, with what the plug-ins read of each member.
    const wallets = new Map(
      (
        await lockWallets<MemberRow>(
          m,
          ready.map((r) => r.w.earn.p.memberId),
          this.memberColumns,
        )
      ).map((w) => [w.memberId, w]),
    );

    // 4. Work out each earn (after the limits of budgeted rules, read under their locks).
    const limiters = await this.limiters(
      m,
      refs,
      ready.map((r) => r.w.earn.p.memberId),
      true,
    );
    const now = new Date();
    const planned: { w: Waiting; partner: RatedPartner & Record<string, unknown>; wallet: MemberRow; posting: Posting }[] = [];
    const unclaim: PreparedEarn[] = [];
    for (const { w, partner, txId } of ready) {
      const p = w.earn.p;
      const wallet = wallets.get(p.memberId);
      try {
        if (!wallet) throw notFound('input.memberId', 'member');
        assertMemberMayMovePoints(wallet, 'input.memberId');
        const breakdown = this.calculate(p, partner, wallet, refs, w.earn.occurredAt ?? now, limiters);
        const { points, byPartner, byCoalition, pending } = earnPostings(partner, wallet, breakdown);
        const counter = [{ accountId: partner.issuanceAccountId, amount: -byPartner }];
        if (byCoalition !== 0) counter.push({ accountId: this.coalition.issuanceAccountId, amount: -byCoalition });
        planned.push({
          w,
          partner,
          wallet,
          posting: {
            id: txId,
            type: TransactionType.EARN,
            wallet,
            partnerId: p.partnerId,
            points,
            counter,
            pendingDelta: pending ? points : 0,
            lifetimeDelta: points,
            qualifyingPoints: points,
            issue: {
              lots: [
                { partnerId: p.partnerId, points: byPartner },
                { partnerId: this.coalition.partnerId, points: byCoalition },
              ],
              expireAfterMonths: partner.expireAfterMonths,
              pendingDays: partner.pendingDays,
            },
            extendExpiryMonths: partner.extendExpiryOnActivity ? partner.expireAfterMonths : null,
            exchangeRateId: partner.rateId,
            purchase: {
              amount: p.amount.toString(),
              currencyCode: p.currencyCode,
              channel: p.channel,
              externalRef: w.earn.externalRef,
              upsellAmount: upsellAmount(p.items),
            },
            tierMultiplier: wallet.tierMultiplier,
            breakdown,
          },
        });
        // Only once it will be posted does it use up what the budgets and caps have left.
        for (const l of limiters) l.consume(p.memberId, breakdown);
      } catch (err) {
        refuse(w, err);
        unclaim.push(w.earn);
      }
    }
    if (claim && unclaim.length > 0) {
      await query(m, `DELETE FROM idempotency_key k USING unnest($1::text[], $2::text[]) AS u(caller, key) WHERE k.caller = u.caller AND k.key = u.key`, [
        unclaim.map((e) => e.scope),
        unclaim.map((e) => e.key),
      ]);
    }
    if (planned.length === 0) return answers;

    // 5. The postings, in one statement; then the upgrades they earn (never down here: downgrades
    //    belong to the scheduled evaluation).
    const posted = await postMany(
      m,
      planned.map((pl) => pl.posting),
    );
    const upgrades: TierMove[] = [];
    planned.forEach((pl, i) => {
      answers.set(pl.w, posted[i]!);
      const best = refs.tiers.filter((t) => t.qualifyingPoints <= pl.wallet.qualifying).at(-1);
      if (best && best.rank > pl.wallet.tierRank) {
        upgrades.push({ memberId: pl.wallet.memberId, fromTierId: pl.wallet.tierId, toTierId: best.id, transactionId: posted[i]!.id });
        Object.assign(pl.wallet, { tierId: best.id, tierRank: best.rank, tierMultiplier: best.earnMultiplier });
      }
    });
    await moveTiers(m, upgrades);
    for (const l of limiters) await l.record(m);

    // 6. The plug-ins act on each posted earn, one earn at a time, still in the batch's transaction.
    for (const [i, pl] of planned.entries()) {
      const p = pl.w.earn.p;
      for (const x of this.plugins) {
        await x.afterEarn?.(
          m,
          {
            memberId: p.memberId,
            partnerId: p.partnerId,
            amount: p.amount.toString(),
            currencyCode: p.currencyCode,
            rateId: pl.partner.rateId,
            partnerIssuanceAccountId: pl.partner.issuanceAccountId,
            pendingDays: pl.partner.pendingDays,
            transaction: posted[i]!,
            wallet: pl.wallet,
          },
          this.pluginData(x, refs, pl.partner, pl.wallet),
        );
      }
    }
    return answers;
  }

  /** Keys this batch could not claim: the original result when the request is the same, else IDEMPOTENCY_CONFLICT. */
  private async replays(m: Tx, earns: Waiting[], answers: Map<Waiting, PointsTransaction | DomainError>): Promise<void> {
    const prior = await query<PriorClaim & { caller: string; key: string; tx: PointsTransaction | null }>(
      m,
      `SELECT k.caller, k.key, k.operation, k.request_hash AS "requestHash", k.result_id AS "resultId",
              (SELECT row_to_json(x) FROM (SELECT ${TRANSACTION_COLUMNS} FROM ledger_transaction WHERE id = k.result_id) x) AS tx
         FROM idempotency_key k JOIN unnest($1::text[], $2::text[]) AS u(caller, key) ON k.caller = u.caller AND k.key = u.key`,
      [earns.map((w) => w.earn.scope), earns.map((w) => w.earn.key)],
    );
    const found = new Map(prior.map((r) => [keyOf(r.caller, r.key), r]));
    for (const w of earns) {
      const r = found.get(keyOf(w.earn.scope, w.earn.key));
      try {
        judgePrior(r, 'earnPoints', w.earn.hash);
        answers.set(w, { ...r!.tx!, createdAt: new Date(r!.tx!.createdAt) });
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        answers.set(w, err);
      }
    }
  }
}
