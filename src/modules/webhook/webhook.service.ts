// Webhook endpoints and their deliveries as their owners manage them: create (the secret shown
// once), list, switch on and off, read the deliveries, redeliver one. Sending is the
// dispatcher's (webhook-dispatcher.ts); creating deliveries is the outbox's (db/outbox.ts).
import type { Pool } from '../../db/sql';
import { query, queryOne } from '../../db/sql';
import { withTransaction } from '../../db/transaction';
import { Page, decodeCursor, pageSize, toPage } from '../../db/pagination';
import { DomainError, ErrorCode, badInput, notFound } from '../../errors/domain-error';
import { WEBHOOK_EVENT_TYPES, WebhookEventType } from '../../db/webhook-events';
import { AuditAction, AuditActor, AuditTargetType, recordAudit } from '../audit/audit-trail';
import { newSigningKey, secretOf } from './webhook-signature';
import { TargetRules, checkWebhookUrl } from './webhook-target';
import { CreatedWebhookEndpoint, DELIVERY_COLUMNS, ENDPOINT_COLUMNS, WebhookDelivery, WebhookEndpoint } from './webhook.types';

/** Endpoints one owner (a partner, or the coalition) may have: each event is sent to each of them. */
export const MAX_ENDPOINTS_PER_OWNER = 10;

export class WebhookService {
  constructor(
    private readonly db: Pool,
    private readonly rules: TargetRules,
    /** Wakes this instance's dispatcher (a redelivery or a reactivation is due at once). */
    private readonly nudge: () => void = () => undefined,
  ) {}

  /** `partnerId` null: the coalition's own endpoint (the caller has checked who may). */
  async create(partnerId: string | null, url: string, events: readonly WebhookEventType[], actor: AuditActor): Promise<CreatedWebhookEndpoint> {
    if (events.length === 0) throw badInput('input.events', 'name at least one event type');
    const types = WEBHOOK_EVENT_TYPES.filter((t) => events.includes(t));
    const target = await checkWebhookUrl(url, this.rules);
    const key = newSigningKey();
    return withTransaction(this.db, async (m) => {
      if (partnerId !== null && !(await queryOne(m, `SELECT 1 FROM partner WHERE id = $1`, [partnerId]))) throw notFound('input.partnerId', 'partner');
      // One owner's creations serialise here, so the cap holds under concurrent requests.
      await query(m, `SELECT pg_advisory_xact_lock(hashtext('webhook_endpoint:' || coalesce($1::text, 'coalition')))`, [partnerId]);
      const count = await queryOne<{ n: number }>(m, `SELECT count(*)::int AS n FROM webhook_endpoint WHERE partner_id IS NOT DISTINCT FROM $1`, [partnerId]);
      if (count!.n >= MAX_ENDPOINTS_PER_OWNER) {
        throw badInput('input.url', `at most ${MAX_ENDPOINTS_PER_OWNER} webhook endpoints per partner; reuse or switch off one of them`);
      }
      const endpoint = (await queryOne<WebhookEndpoint>(
        m,
        `INSERT INTO webhook_endpoint (partner_id, url, events, secret) VALUES ($1, $2, $3, $4) RETURNING ${ENDPOINT_COLUMNS}`,
        [partnerId, target, types, key],
      ))!;
      await recordAudit(m, {
        actor,
        action: AuditAction.WEBHOOK_ENDPOINT_CREATED,
        targetType: AuditTargetType.WEBHOOK_ENDPOINT,
        targetId: endpoint.id,
        partnerId,
        previous: null,
        current: { url: target, events: types },
      });
      return { endpoint, secret: secretOf(key) };
    }).then((created) => {
      this.nudge();
      return created;
    });
  }

  /** `partnerId` undefined: every endpoint (admins); null: the coalition's. Oldest first. */
  async list(partnerId: string | null | undefined): Promise<WebhookEndpoint[]> {
    return query<WebhookEndpoint>(
      this.db,
      `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoint
        WHERE $1::boolean OR partner_id IS NOT DISTINCT FROM $2::uuid ORDER BY created_at, id`,
      [partnerId === undefined, partnerId ?? null],
    );
  }

  async byId(id: string): Promise<WebhookEndpoint | null> {
    return (await queryOne<WebhookEndpoint>(this.db, `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoint WHERE id = $1`, [id])) ?? null;
  }

  async byIds(ids: readonly string[]): Promise<WebhookEndpoint[]> {
    return query<WebhookEndpoint>(this.db, `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoint WHERE id = ANY($1::uuid[])`, [ids]);
  }

  /** Switching on forgets the failure streak and the reason; pending deliveries then go out in order. */
  async setActive(id: string, active: boolean, actor: AuditActor, who: string): Promise<WebhookEndpoint> {
    const endpoint = await withTransaction(this.db, async (m) => {
      const before = await queryOne<WebhookEndpoint>(m, `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoint WHERE id = $1 FOR UPDATE`, [id]);
      if (!before) throw notFound('id', 'webhook endpoint');
      if (before.active === active) return before;
      const after = (await queryOne<WebhookEndpoint>(
        m,
        `UPDATE webhook_endpoint
            SET active = $2, failing_since = NULL,
                deactivated_at = CASE WHEN $2 THEN NULL ELSE now() END,
                deactivated_reason = CASE WHEN $2 THEN NULL ELSE $3 END
          WHERE id = $1 RETURNING ${ENDPOINT_COLUMNS}`,
        [id, active, `switched off by ${who}`],
      ))!;
      await recordAudit(m, {
        actor,
        action: AuditAction.WEBHOOK_ENDPOINT_ACTIVE_SET,
        targetType: AuditTargetType.WEBHOOK_ENDPOINT,
        targetId: id,
        partnerId: before.partnerId,
        previous: { active: before.active },
        current: { active },
      });
      return after;
    });
    if (endpoint.active) this.nudge();
    return endpoint;
  }

  /** Newest first. */
  async deliveries(endpointId: string, first?: number | null, after?: string | null): Promise<Page<WebhookDelivery>> {
    const size = pageSize(first);
    const before = decodeCursor('whd', after);
    const [rows, total] = await Promise.all([
      query<WebhookDelivery>(
        this.db,
        `SELECT ${DELIVERY_COLUMNS} FROM webhook_delivery WHERE endpoint_id = $1 AND ($2::bigint IS NULL OR id < $2) ORDER BY id DESC LIMIT $3`,
        [endpointId, before, size + 1],
      ),
      queryOne<{ n: number }>(this.db, `SELECT count(*)::int AS n FROM webhook_delivery WHERE endpoint_id = $1`, [endpointId]),
    ]);
    return toPage('whd', rows, size, total!.n);
  }

  /** The delivery and its endpoint's owner, for the access check. */
  async deliveryOwner(id: string): Promise<{ partnerId: string | null; active: boolean } | null> {
    return (
      (await queryOne(
        this.db,
        `SELECT w.partner_id AS "partnerId", w.active FROM webhook_delivery d JOIN webhook_endpoint w ON w.id = d.endpoint_id WHERE d.id = $1`,
        [id],
      )) ?? null
    );
  }

  /**
   * Sends the delivery again, as soon as possible and with the same webhook-id and body, on a fresh
   * retry schedule; whatever its status was.
   */
  async redeliver(id: string): Promise<WebhookDelivery> {
    const row = await withTransaction(this.db, async (m) => {
      const endpoint = await queryOne<{ active: boolean }>(
        m,
        `SELECT w.active FROM webhook_delivery d JOIN webhook_endpoint w ON w.id = d.endpoint_id WHERE d.id = $1 FOR SHARE OF w`,
        [id],
      );
      if (!endpoint) throw notFound('deliveryId', 'webhook delivery');
      if (!endpoint.active) {
        throw new DomainError(
          ErrorCode.WEBHOOK_ENDPOINT_INACTIVE,
          'deliveryId: its endpoint is inactive; switch it on with setWebhookEndpointActive first',
          'deliveryId',
        );
      }
      return (await queryOne<WebhookDelivery>(
        m,
        `UPDATE webhook_delivery SET status = 'PENDING', round_attempts = 0, round_started_at = NULL, next_attempt_at = now()
          WHERE id = $1 RETURNING ${DELIVERY_COLUMNS}`,
        [id],
      ))!;
    });
    this.nudge();
    return row;
  }
}
