// Sends webhook deliveries. Every gateway instance runs one; they share the work through the
// table: a delivery is claimed with FOR UPDATE SKIP LOCKED and leased (its next attempt moved past
// the attempt's timeout) in one short statement, then POSTed with no transaction open, then its
// outcome recorded. So each delivery is attempted by one instance at a time, and one that dies
// mid-attempt leaves a lease that runs out: another instance (or it, restarted) tries again.
// At least once, then: receivers dedupe by webhook-id.
//
// Order: per endpoint and member, only the earliest pending delivery is ever claimable, so a
// member's events reach an endpoint in commit order (ids of one member's events are in commit
// order: they are written under its wallet lock). Events without a member (rates) have no lane.
import type { Pool } from '../../db/sql';
import type { WebhookSettings } from '../../config';
import type { Logger } from '../../logger';
import { webhookAttempts, webhookDeliveriesFailed, webhookDeliveryLag } from '../../metrics';
import type { WebhookEventType } from '../../db/webhook-events';
import { query, queryOne } from '../../db/sql';
import { webhookBody } from './webhook-body';
import { signedHeaders, webhookIdOf } from './webhook-signature';
import { Answer, TargetRules, postWebhook } from './webhook-target';

interface Claimed {
  id: number;
  eventId: number;
  eventType: WebhookEventType;
  memberId: string | null;
  payload: Record<string, unknown>;
  bodyReady: boolean;
  attempts: number;
  roundAttempts: number;
  createdAt: Date;
  endpointId: string;
  /** The endpoint's partner (null: the coalition's): what it may see of a member's personal data. */
  endpointPartnerId: string | null;
  url: string;
  secret: Buffer;
}

/** The wait before the next attempt after `failed` failures of this round; null: the schedule is done. */
export function retryDelaySeconds(schedule: readonly number[], failed: number, random = Math.random): number | null {
  const base = schedule[failed - 1];
  if (base === undefined) return null;
  // ±10 % so that the retries of many deliveries that failed together do not return together.
  return base * (0.9 + 0.2 * random());
}

export class WebhookDispatcher {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  /**
   * Whether any endpoint is active, as of the last poll (or an endpoint switched on here): while
   * none is, commits do not wake the dispatcher, so the earn path pays nothing for webhooks.
   */
  private endpointsActive = true;

  constructor(
    private readonly db: Pool,
    private readonly settings: WebhookSettings,
    private readonly rules: TargetRules,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.poll(), this.settings.pollIntervalMs);
    this.timer.unref();
    void this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** An event committed here: its deliveries, if any, are due now. */
  nudge(): void {
    if (this.endpointsActive) void this.run();
  }

  /** An endpoint was created or switched on, or a delivery is to be sent again: due now. */
  endpointsChanged(): void {
    this.endpointsActive = true;
    void this.run();
  }

  /** The slow poll: finds what other instances committed and what retries are due. */
  private async poll(): Promise<void> {
    try {
      const row = await queryOne<{ active: boolean }>(this.db, `SELECT EXISTS (SELECT 1 FROM webhook_endpoint WHERE active) AS active`);
      this.endpointsActive = row!.active;
    } catch (err) {
      this.logger.warn({ err }, 'webhook poll failed; will retry');
      return;
    }
    await this.run();
  }

  /** One round at a time; a nudge during a round runs another right after it. */
  run(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          if (await this.round()) this.again = true;
        } while (this.again && !this.stopped);
      } catch (err) {
        this.logger.warn({ err }, 'webhook delivery round failed; will retry');
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  /** Claims and attempts what is due; true when it claimed a full batch (more may be waiting). */
  private async round(): Promise<boolean> {
    const limit = this.settings.concurrency;
    // Past the timeout, with room to record the outcome; an instance killed mid-attempt delays the retry this long.
    const leaseSeconds = this.settings.timeoutMs / 1000 + 5;
    const claimed = await query<Claimed>(
      this.db,
      `WITH due AS (
         SELECT d.id FROM webhook_delivery d
          WHERE d.status = 'PENDING' AND d.next_attempt_at <= now()
            AND EXISTS (SELECT 1 FROM webhook_endpoint w WHERE w.id = d.endpoint_id AND w.active)
            AND (d.member_id IS NULL OR NOT EXISTS (
                  SELECT 1 FROM webhook_delivery p
                   WHERE p.endpoint_id = d.endpoint_id AND p.member_id = d.member_id AND p.status = 'PENDING' AND p.id < d.id))
          ORDER BY d.next_attempt_at, d.id
          LIMIT $1
          FOR UPDATE OF d SKIP LOCKED)
       UPDATE webhook_delivery d
          SET attempts = d.attempts + 1, round_attempts = d.round_attempts + 1, round_started_at = coalesce(d.round_started_at, now()),
              last_attempt_at = now(), next_attempt_at = now() + make_interval(secs => $2)
         FROM due, webhook_endpoint w
        WHERE d.id = due.id AND w.id = d.endpoint_id
       RETURNING d.id, d.event_id AS "eventId", d.event_type AS "eventType", d.member_id AS "memberId", d.payload, d.body_ready AS "bodyReady",
                 d.attempts, d.round_attempts AS "roundAttempts", d.created_at AS "createdAt", w.id AS "endpointId", w.partner_id AS "endpointPartnerId", w.url, w.secret`,
      [limit, leaseSeconds],
    );
    await Promise.all(claimed.map((d) => this.attempt(d)));
    return claimed.length === limit;
  }

  private async attempt(d: Claimed): Promise<void> {
    try {
      let payload = d.payload;
      if (!d.bodyReady) {
        payload = (await webhookBody(this.db, d, d.endpointPartnerId)) as unknown as Record<string, unknown>;
        // Kept before sending, so a retry or redelivery sends this very body.
        const kept = await queryOne<{ payload: Record<string, unknown> }>(
          this.db,
          `UPDATE webhook_delivery SET payload = $2, body_ready = true WHERE id = $1 RETURNING payload`,
          [d.id, JSON.stringify(payload)],
        );
        payload = kept!.payload;
      }
      const body = JSON.stringify(payload);
      const answer = await postWebhook(d.url, signedHeaders(d.secret, webhookIdOf(d.eventId), body), body, this.rules, this.settings.timeoutMs);
      await this.record(d, answer);
    } catch (err) {
      // The lease runs out and the delivery is tried again.
      this.logger.warn({ err, deliveryId: d.id, endpointId: d.endpointId }, 'webhook attempt could not be recorded');
    }
  }

  private async record(d: Claimed, answer: Answer): Promise<void> {
    const status = 'status' in answer ? answer.status : null;
    if (status !== null && status >= 200 && status < 300) {
      webhookAttempts.inc({ outcome: 'delivered' });
      webhookDeliveryLag.observe(Math.max(0, Date.now() - new Date(d.createdAt).getTime()) / 1000);
      await query(
        this.db,
        `WITH done AS (
           UPDATE webhook_delivery SET status = 'SUCCEEDED', last_status_code = $2, last_error = NULL, next_attempt_at = NULL
            WHERE id = $1 AND attempts = $3 AND status = 'PENDING' RETURNING endpoint_id)
         UPDATE webhook_endpoint w SET failing_since = NULL FROM done WHERE w.id = done.endpoint_id AND w.failing_since IS NOT NULL`,
        [d.id, status, d.attempts],
      );
      return;
    }
    const error = 'error' in answer ? answer.error : `HTTP ${status}`;
    const delay = retryDelaySeconds(this.settings.retrySchedule, d.roundAttempts);
    webhookAttempts.inc({ outcome: 'failed' });
    if (delay === null) webhookDeliveriesFailed.inc();
    // Exhausted: the delivery fails; its endpoint is deactivated if nothing it was sent has
    // succeeded since this delivery's first attempt (it has been failing all that time).
    const row = await queryOne<{ deactivated: boolean }>(
      this.db,
      `WITH d AS (
         UPDATE webhook_delivery
            SET status = CASE WHEN $4::float8 IS NULL THEN 'FAILED' ELSE 'PENDING' END, last_status_code = $2, last_error = $3,
                next_attempt_at = CASE WHEN $4::float8 IS NULL THEN NULL ELSE now() + make_interval(secs => $4::float8) END
          WHERE id = $1 AND attempts = $5 AND status = 'PENDING'
          RETURNING endpoint_id, status, round_started_at, last_attempt_at, event_type, attempts),
       verdict AS (
         SELECT w.id, coalesce(w.failing_since, d.last_attempt_at) AS failing_since,
                (d.status = 'FAILED' AND coalesce(w.failing_since, d.last_attempt_at) <= d.round_started_at) AS deactivate, d.event_type, d.attempts
           FROM d JOIN webhook_endpoint w ON w.id = d.endpoint_id)
       UPDATE webhook_endpoint w
          SET failing_since = v.failing_since,
              active = w.active AND NOT v.deactivate,
              deactivated_at = CASE WHEN v.deactivate AND w.active THEN now() ELSE w.deactivated_at END,
              deactivated_reason = CASE WHEN v.deactivate AND w.active
                THEN format('every delivery failed since %s: delivery %s (%s) failed %s attempts, the last with %s',
                            to_char(v.failing_since AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), $6::text, v.event_type, v.attempts, $3::text)
                ELSE w.deactivated_reason END
         FROM verdict v WHERE w.id = v.id
       RETURNING v.deactivate AS deactivated`,
      [d.id, status, error, delay, d.attempts, String(d.id)],
    );
    if (row?.deactivated)
      this.logger.warn({ endpointId: d.endpointId, deliveryId: d.id }, 'webhook endpoint deactivated: its deliveries failed for the whole retry schedule');
  }
}
