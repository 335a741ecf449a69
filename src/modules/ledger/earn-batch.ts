// The group-commit writer for earnPoints. One transaction per request cannot beat PostgreSQL's
// own limit (each costs a WAL flush and a dozen round trips), so earns that arrive while the
// writers are busy are gathered and written together: one transaction, a handful of set-based
// statements, whatever the batch size. Each request still gets its own answer:
//   - its own errors: a request that fails a check (unknown member, wrong currency, suspended
//     partner, key reused for another request, …) is answered alone and writes nothing; its
//     idempotency claim is taken back before COMMIT;
//   - idempotency exactly as in earnAlone: keys are claimed first, so a concurrent request with
//     the same key (in another batch or transaction) waits for ours and then replays it;
//   - the same arithmetic (points-calculator, earnPostings) and the same rows as earnAlone.
// Punch cards, a referred member's first-earn bonus and challenge progress are the same calls as
// in earnAlone, made one earn at a time after the set-based write, in the batch's transaction
// (only earns that have them pay for those statements). If the batch fails as a whole (deadlock,
// lost connection, a receipt racing another request, any surprise) every request in it is
// retried through earnAlone: idempotency keys make that safe. Only a connection lost during
// COMMIT is answered as it is for a single earn: SERVICE_UNAVAILABLE, the outcome unknown, for
// the client to retry with its key.
// Ordering: a batch takes at most one earn per member and locks its wallets in one order, so
// per member, earns still commit (and announce) one after another, and batches never deadlock
// each other (wallets are locked in member order).
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import type { Logger } from '../../logger';
import { DomainError, notFound } from '../../errors/domain-error';
import { query } from '../../db/sql';
import { isConnectionError } from '../../db/connection-errors';
import { QUALIFYING_WINDOW } from '../tier/tier.service';
import { Component, RuleForEarn, computeEarn } from '../earning/points-calculator';
import { rulesForEarn } from '../earning/earn-rule.service';
import { membershipForEarn } from '../membership/membership.service';
import type { CoalitionIssuer } from '../partner/coalition';
import {
  EARNING_PARTNER_COLUMNS,
  EARNING_PARTNER_FROM,
  EarnService,
  EarnWriter,
  EarningPartner,
  PreparedEarn,
  RatedPartner,
  checkPartner,
  earnPostings,
} from './earn.service';
import { PointsTransaction, TRANSACTION_COLUMNS } from './points-transaction.entity';
import { PriorClaim, judgePrior } from './idempotency';
import { coalitionAccountId } from './wallet';
import { PunchCardService } from '../punch-card/punch-card.service';
import { grantReferralBonus } from '../lifecycle/referral';
import { trackChallenges } from '../challenge/challenge.service';

/** An idempotency key as one string: the caller's scope and its key. */
const keyOf = (scope: string, key: string) => `${scope}\u0000${key}`;

export interface EarnBatchOptions {
  /** Batches in flight at once (each holds one pooled connection while it runs). */
  writers: number;
  /** Most earns in one batch. */
  maxBatch: number;
}

interface Waiting {
  earn: PreparedEarn;
  resolve(tx: PointsTransaction): void;
  reject(err: unknown): void;
}

interface Wallet {
  accountId: string;
  memberId: string;
  balance: number;
  lifetimeEarned: number;
  pending: number;
  tierId: string;
  tierRank: number;
  tierMultiplier: string;
  qualifying: number;
  membership: { planId: string; multiplier: string } | null;
  /** A referred member none of whose earns has counted yet, with a referral bonus configured. */
  referralDue: boolean;
  referrerId: string | null;
}

interface TierRow {
  id: string;
  rank: number;
  qualifyingPoints: number;
}

/** One earn of the batch on its way to the write statement. */
interface Planned {
  w: Waiting;
  txId: string;
  partner: RatedPartner;
  wallet: Wallet;
  breakdown: Component[];
  postings: ReturnType<typeof earnPostings>;
  upgradeTo: TierRow | null;
}

export interface EarnBatchStats {
  batches: number;
  earns: number;
  largest: number;
  /** Earns sent to earnAlone because their batch failed as a whole. */
  alone: number;
  failedBatches: number;
}

export class EarnBatchWriter implements EarnWriter {
  private readonly queue: Waiting[] = [];
  private active = 0;
  private scheduled = false;
  readonly stats: EarnBatchStats = { batches: 0, earns: 0, largest: 0, alone: 0, failedBatches: 0 };

  constructor(
    private readonly db: DataSource,
    private readonly earns: EarnService,
    private readonly coalition: CoalitionIssuer,
    private readonly options: EarnBatchOptions,
    private readonly logger: Logger,
    private readonly afterCommit: () => void,
  ) {}

  submit(earn: PreparedEarn): Promise<PointsTransaction> {
    return new Promise((resolve, reject) => {
      this.queue.push({ earn, resolve, reject });
      this.schedule();
    });
  }

  /** Start batches on the next turn of the event loop, so earns parsed in this turn ride together. */
  private schedule(): void {
    if (this.scheduled || this.active >= this.options.writers || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      while (this.active < this.options.writers && this.queue.length > 0) {
        const batch = this.take();
        this.active++;
        void this.run(batch).finally(() => {
          this.active--;
          this.schedule();
        });
      }
    });
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
    let answers: Map<Waiting, PointsTransaction | DomainError>;
    let committing = false;
    try {
      answers = await this.db.transaction(async (m) => {
        const written = await this.write(m, batch);
        committing = true;
        return written;
      });
    } catch (err) {
      if (committing && isConnectionError(err)) {
        // Lost while committing: the batch may or may not have landed. As for a single earn
        // (withTransaction), each caller learns that (SERVICE_UNAVAILABLE) and retries with its key.
        this.stats.failedBatches++;
        for (const w of batch) w.reject(err);
        return;
      }
      // Whatever went wrong, each earn gets its own transaction (and its own retries and errors).
      this.stats.failedBatches++;
      this.logger.debug({ err, size: batch.length }, 'earn batch failed; writing its earns one by one');
      this.alone(batch);
      return;
    }
    if (answers.size > 0) this.afterCommit();
    for (const [w, answer] of answers) {
      if (answer instanceof DomainError) w.reject(answer);
      else w.resolve(answer);
    }
  }

  private alone(earns: Waiting[]): void {
    this.stats.alone += earns.length;
    for (const w of earns) this.earns.earnAlone(w.earn).then(w.resolve, w.reject);
  }

  /** The batch's writes; the answer for each earn (its transaction, or the error it alone gets). */
  private async write(m: EntityManager, batch: Waiting[]): Promise<Map<Waiting, PointsTransaction | DomainError>> {
    const answers = new Map<Waiting, PointsTransaction | DomainError>();
    const refuse = (w: Waiting, err: unknown) => {
      if (!(err instanceof DomainError)) throw err;
      answers.set(w, err);
    };

    // 1. Partners, their rules and the tiers, in one statement.
    const partnerIds = [...new Set(batch.map((w) => w.earn.p.partnerId))];
    const [refs] = await query<{ partners: EarningPartner[]; rules: RuleForEarn[]; tiers: TierRow[] }>(
      m,
      `SELECT
         (SELECT coalesce(json_agg(x), '[]') FROM (SELECT ${EARNING_PARTNER_COLUMNS} ${EARNING_PARTNER_FROM} WHERE p.id = ANY($1::uuid[])) x) AS partners,
         (SELECT coalesce(json_agg(x ORDER BY x.seq), '[]') FROM (${rulesForEarn('= ANY($1::uuid[])')}) x) AS rules,
         (SELECT json_agg(x ORDER BY x.rank) FROM (SELECT id, rank, qualifying_points AS "qualifyingPoints" FROM tier) x) AS tiers`,
      [partnerIds],
    );
    const partners = new Map(refs!.partners.map((p) => [p.id, p]));
    let ready: { w: Waiting; partner: RatedPartner }[] = [];
    for (const w of batch) {
      try {
        ready.push({ w, partner: checkPartner(partners.get(w.earn.p.partnerId), w.earn.p) });
      } catch (err) {
        refuse(w, err);
      }
    }
    if (ready.length === 0) return answers;

    // 2. Claim the keys. A key already claimed is a replay (or a conflict): same answer as earnAlone.
    const claimed = await query<{ caller: string; key: string }>(
      m,
      `INSERT INTO idempotency_key (caller, key, operation, request_hash)
       SELECT caller, key, 'earnPoints', hash FROM unnest($1::text[], $2::text[], $3::text[]) AS k(caller, key, hash)
       ON CONFLICT (caller, key) DO NOTHING RETURNING caller, key`,
      [ready.map((r) => r.w.earn.scope), ready.map((r) => r.w.earn.key), ready.map((r) => r.w.earn.hash)],
    );
    const mine = new Set(claimed.map((c) => keyOf(c.caller, c.key)));
    const others = ready.filter((r) => !mine.has(keyOf(r.w.earn.scope, r.w.earn.key)));
    if (others.length > 0) await this.replays(m, others.map((r) => r.w), answers);
    ready = ready.filter((r) => mine.has(keyOf(r.w.earn.scope, r.w.earn.key)));
    const unclaim: PreparedEarn[] = [];

    // 3. Lock the wallets, in member order (the unique index's order: no sort, no scan), with what the calculation needs of each member.
    const wallets = new Map(
      (
        await query<Wallet>(
          m,
          `SELECT a.id AS "accountId", a.member_id AS "memberId", a.balance, a.lifetime_earned AS "lifetimeEarned", a.pending,
                  mb.tier_id AS "tierId", t.rank AS "tierRank", t.earn_multiplier::text AS "tierMultiplier",
                  (SELECT coalesce(sum(q.qualifying_points), 0) FROM ledger_transaction q
                    WHERE q.member_id = a.member_id AND q.created_at > now() - ${QUALIFYING_WINDOW})::bigint AS qualifying,
                  (SELECT row_to_json(x) FROM (${membershipForEarn('a.member_id')}) x) AS membership,
                  -- A scalar subquery, not NOT EXISTS: in a select list the planner may turn EXISTS into a
                  -- hashed subplan over every EARN in the ledger (seen: 80 ms a batch).
                  CASE WHEN mb.referred_by IS NOT NULL AND s.referral_bonus_points > 0
                       THEN (SELECT count(*) = 0 FROM (SELECT 1 FROM ledger_transaction e
                                WHERE e.member_id = mb.id AND e.type = 'EARN' AND e.points >= s.referral_minimum_points LIMIT 1) e)
                       ELSE false END AS "referralDue", mb.referred_by AS "referrerId"
             FROM account a JOIN member mb ON mb.id = a.member_id JOIN tier t ON t.id = mb.tier_id
                  CROSS JOIN (SELECT referral_bonus_points, referral_minimum_points FROM program_settings LIMIT 1) s
            WHERE a.member_id = ANY($1::uuid[]) ORDER BY a.member_id FOR UPDATE OF a`,
          [ready.map((r) => r.w.earn.p.memberId)],
        )
      ).map((w) => [w.memberId, w]),
    );

    // 4. Work out each earn, exactly as earnAlone would.
    const now = new Date();
    const tiers = refs!.tiers;
    const planned: Planned[] = [];
    for (const { w, partner } of ready) {
      const p = w.earn.p;
      const wallet = wallets.get(p.memberId);
      try {
        if (!wallet) throw notFound('input.memberId', 'member');
        const breakdown = computeEarn({
          amount: p.amount.toString(),
          items: p.items,
          channel: p.channel,
          earnRate: partner.earnRate,
          burnRate: partner.burnRate,
          tierMultiplier: wallet.tierMultiplier,
          tierRank: wallet.tierRank,
          membership: wallet.membership,
          rules: refs!.rules.filter((r) => r.partnerId === null || r.partnerId === p.partnerId),
          now,
        });
        const postings = earnPostings(partner, wallet, breakdown);
        // Upgrade in the earn's transaction when it crosses a threshold (never down here).
        const best = tiers.filter((t) => t.qualifyingPoints <= wallet.qualifying + postings.points).at(-1) ?? null;
        planned.push({ w, txId: randomUUID(), partner, wallet, breakdown, postings, upgradeTo: best && best.rank > wallet.tierRank ? best : null });
      } catch (err) {
        refuse(w, err);
        unclaim.push(w.earn);
      }
    }
    if (unclaim.length > 0) {
      await query(m, `DELETE FROM idempotency_key k USING unnest($1::text[], $2::text[]) AS u(caller, key) WHERE k.caller = u.caller AND k.key = u.key`, [
        unclaim.map((e) => e.scope),
        unclaim.map((e) => e.key),
      ]);
    }
    if (planned.length === 0) return answers;

    // 5. Everything the earns write, in one statement.
    const rows = await this.record(m, planned);
    const byId = new Map(rows.map((tx) => [tx.id, tx]));
    for (const pl of planned) answers.set(pl.w, byId.get(pl.txId)!);
    // 6. What only some earns do, one earn at a time, still in the batch's transaction: punch
    //    cards, the referral bonus of a first earn, challenge progress (see earnAlone).
    for (const pl of planned) await this.afterEarn(m, pl, byId.get(pl.txId)!);
    return answers;
  }

  private redemptionAccount: Promise<string> | null = null;

  private async afterEarn(m: EntityManager, pl: Planned, tx: PointsTransaction): Promise<void> {
    const { p } = pl.w.earn;
    if (pl.partner.hasPunchCards) {
      this.redemptionAccount ??= coalitionAccountId(m, 'COALITION_REDEMPTION');
      await PunchCardService.punch(m, {
        memberId: p.memberId,
        partnerId: p.partnerId,
        amount: p.amount.toString(),
        rateId: pl.partner.rateId,
        balance: tx.balanceAfter,
        redemptionAccountId: await this.redemptionAccount,
      });
    }
    if (pl.wallet.referralDue && pl.wallet.referrerId) {
      await grantReferralBonus(m, this.coalition, {
        memberId: p.memberId,
        referrerId: pl.wallet.referrerId,
        bonus: pl.partner.referralBonus,
        minimum: pl.partner.referralMinimum,
        earn: tx,
      });
    }
    if (pl.partner.hasChallenges) {
      await trackChallenges(m, this.coalition, {
        memberId: p.memberId,
        partnerId: p.partnerId,
        partnerIssuanceAccountId: pl.partner.issuanceAccountId,
        amount: p.amount.toString(),
        currencyCode: p.currencyCode,
      });
    }
  }

  /** Keys this batch could not claim: the original result when the request is the same, else IDEMPOTENCY_CONFLICT. */
  private async replays(m: EntityManager, earns: Waiting[], answers: Map<Waiting, PointsTransaction | DomainError>): Promise<void> {
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

  private async record(m: EntityManager, planned: Planned[]): Promise<PointsTransaction[]> {
    const entries: [string, string, number][] = [];
    const lots: [string, string, string, number, number, number | null, number][] = [];
    const events: [string, string, string | null, string][] = [];
    for (const pl of planned) {
      const { p } = pl.w.earn;
      const { points, byPartner, byCoalition, pending, balanceAfter, partnerLot, coalitionLot } = pl.postings;
      entries.push([pl.txId, pl.wallet.accountId, points], [pl.txId, pl.partner.issuanceAccountId, -byPartner]);
      if (byCoalition !== 0) entries.push([pl.txId, this.coalition.issuanceAccountId, -byCoalition]);
      const months = pl.partner.expireAfterMonths;
      if (byPartner > 0) lots.push([p.memberId, p.partnerId, pl.txId, byPartner, partnerLot, months, pl.partner.pendingDays]);
      if (byCoalition > 0) lots.push([p.memberId, this.coalition.partnerId, pl.txId, byCoalition, coalitionLot, months, pl.partner.pendingDays]);
      // The balance as of this transaction, as announceBalance would read it after the write.
      events.push([
        'BALANCE_CHANGED',
        p.memberId,
        p.partnerId,
        JSON.stringify({
          transactionId: pl.txId,
          available: balanceAfter,
          lifetimeEarned: pl.wallet.lifetimeEarned + points,
          pending: pl.wallet.pending + (pending ? points : 0),
          qualifyingPoints: pl.wallet.qualifying + points,
        }),
      ]);
      if (pl.upgradeTo) {
        events.push(['TIER_CHANGED', p.memberId, null, JSON.stringify({ fromTierId: pl.wallet.tierId, toTierId: pl.upgradeTo.id, transactionId: pl.txId })]);
      }
    }
    const extend = planned.filter((pl) => pl.partner.extendExpiryOnActivity && pl.partner.expireAfterMonths);
    const upgrades = planned.filter((pl) => pl.upgradeTo);
    const col = <T>(rows: T[][], i: number) => rows.map((r) => r[i]);
    return query<PointsTransaction>(
      m,
      `WITH tx AS (
         INSERT INTO ledger_transaction (id, type, member_id, partner_id, points, balance_after, purchase_amount,
           purchase_currency, channel, external_ref, exchange_rate_id, tier_multiplier, qualifying_points, breakdown)
         SELECT id, 'EARN', member_id, partner_id, points, balance_after, amount, currency, channel, ref, rate_id, multiplier, points, breakdown
           FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::bigint[], $5::bigint[], $6::numeric[], $7::text[], $8::text[], $9::text[],
                       $10::uuid[], $11::numeric[], $12::jsonb[])
             AS t(id, member_id, partner_id, points, balance_after, amount, currency, channel, ref, rate_id, multiplier, breakdown)
         RETURNING *),
       entries AS (
         INSERT INTO ledger_entry (transaction_id, account_id, amount) SELECT * FROM unnest($13::uuid[], $14::uuid[], $15::bigint[])),
       extended AS (
         UPDATE points_lot l SET expires_at = now() + make_interval(months => e.months)
           FROM unnest($16::uuid[], $17::int[]) AS e(member_id, months)
          WHERE l.member_id = e.member_id AND (l.remaining > 0 OR l.pending > 0) AND l.expires_at IS NOT NULL
            AND l.expires_at > now() AND l.expires_at < now() + make_interval(months => e.months)),
       lots AS (
         INSERT INTO points_lot (member_id, partner_id, earn_transaction_id, points, remaining, earned_at, expires_at, pending, pending_until)
         SELECT member_id, partner_id, tx_id, points, remaining, now(), now() + make_interval(months => months),
                CASE WHEN pending_days > 0 THEN points ELSE 0 END, CASE WHEN pending_days > 0 THEN now() + make_interval(days => pending_days) END
           FROM unnest($18::uuid[], $19::uuid[], $20::uuid[], $21::bigint[], $22::bigint[], $23::int[], $24::int[])
             AS l(member_id, partner_id, tx_id, points, remaining, months, pending_days)),
       wallets AS (
         UPDATE account a SET balance = w.balance, lifetime_earned = a.lifetime_earned + w.points, pending = a.pending + w.pending
           FROM unnest($25::uuid[], $26::bigint[], $27::bigint[], $28::bigint[]) AS w(id, balance, points, pending) WHERE a.id = w.id),
       keys AS (
         UPDATE idempotency_key k SET result_id = u.tx_id
           FROM unnest($29::text[], $30::text[], $1::uuid[]) AS u(caller, key, tx_id) WHERE k.caller = u.caller AND k.key = u.key),
       tiers AS (
         UPDATE member mb SET tier_id = u.tier_id FROM unnest($31::uuid[], $32::uuid[]) AS u(member_id, tier_id) WHERE mb.id = u.member_id),
       events AS (
         INSERT INTO outbox_event (topic, member_id, partner_id, payload)
         SELECT topic, member_id, partner_id, payload FROM unnest($33::text[], $34::uuid[], $35::uuid[], $36::jsonb[]) WITH ORDINALITY
             AS e(topic, member_id, partner_id, payload, n) ORDER BY n)
       SELECT ${TRANSACTION_COLUMNS} FROM tx`,
      [
        planned.map((pl) => pl.txId),
        planned.map((pl) => pl.w.earn.p.memberId),
        planned.map((pl) => pl.w.earn.p.partnerId),
        planned.map((pl) => pl.postings.points),
        planned.map((pl) => pl.postings.balanceAfter),
        planned.map((pl) => pl.w.earn.p.amount.toString()),
        planned.map((pl) => pl.w.earn.p.currencyCode),
        planned.map((pl) => pl.w.earn.p.channel),
        planned.map((pl) => pl.w.earn.externalRef),
        planned.map((pl) => pl.partner.rateId),
        planned.map((pl) => pl.wallet.tierMultiplier),
        planned.map((pl) => JSON.stringify(pl.breakdown)),
        col(entries, 0),
        col(entries, 1),
        col(entries, 2),
        extend.map((pl) => pl.w.earn.p.memberId),
        extend.map((pl) => pl.partner.expireAfterMonths),
        col(lots, 0),
        col(lots, 1),
        col(lots, 2),
        col(lots, 3),
        col(lots, 4),
        col(lots, 5),
        col(lots, 6),
        planned.map((pl) => pl.wallet.accountId),
        planned.map((pl) => pl.postings.balanceAfter),
        planned.map((pl) => pl.postings.points),
        planned.map((pl) => (pl.postings.pending ? pl.postings.points : 0)),
        planned.map((pl) => pl.w.earn.scope),
        planned.map((pl) => pl.w.earn.key),
        upgrades.map((pl) => pl.w.earn.p.memberId),
        upgrades.map((pl) => pl.upgradeTo!.id),
        col(events, 0),
        col(events, 1),
        col(events, 2),
        col(events, 3),
      ],
    );
  }
}
